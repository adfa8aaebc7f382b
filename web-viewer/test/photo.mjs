// A phone's photo for the tests that send one (worker.mjs, loop.mjs) and check the server
// strips its location: a small JPEG drawn in the page, with the EXIF GPS a camera writes.

/// A JPEG's APP1 segment "Exif\0\0" with a GPS IFD (N latitude, E longitude as degrees,
/// minutes and seconds) in a big-endian TIFF.
export function exifGps(latitude, longitude) {
  const tiff = Buffer.alloc(140);
  tiff.write("MM", 0, "latin1");
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4); // IFD0
  tiff.writeUInt16BE(1, 8); // one entry: the GPS IFD pointer
  tiff.writeUInt16BE(0x8825, 10); tiff.writeUInt16BE(4, 12); tiff.writeUInt32BE(1, 14); tiff.writeUInt32BE(26, 18);
  tiff.writeUInt32BE(0, 22); // no IFD1
  let o = 26;
  tiff.writeUInt16BE(5, o); o += 2;
  const entry = (tag, type, count, value) => {
    tiff.writeUInt16BE(tag, o); tiff.writeUInt16BE(type, o + 2); tiff.writeUInt32BE(count, o + 4);
    if (Buffer.isBuffer(value)) value.copy(tiff, o + 8); else tiff.writeUInt32BE(value, o + 8);
    o += 12;
  };
  entry(0x0000, 1, 4, Buffer.from([2, 3, 0, 0])); // GPSVersionID
  entry(0x0001, 2, 2, Buffer.from("N\0", "latin1"));
  entry(0x0002, 5, 3, 92);
  entry(0x0003, 2, 2, Buffer.from("E\0", "latin1"));
  entry(0x0004, 5, 3, 116);
  tiff.writeUInt32BE(0, o); // no next IFD (o = 88)
  const dms = (v, at) => {
    const d = Math.floor(v), m = Math.floor((v - d) * 60), s = Math.round(((v - d) * 60 - m) * 60 * 1000);
    [[d, 1], [m, 1], [s, 1000]].forEach(([n, q], i) => { tiff.writeUInt32BE(n, at + i * 8); tiff.writeUInt32BE(q, at + i * 8 + 4); });
  };
  dms(latitude, 92);
  dms(longitude, 116);
  const payload = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/// A 48 × 32 JPEG drawn on a canvas in `page`, with `exifGps(latitude, longitude)` after its
/// start-of-image marker.
export async function phonePhoto(page, latitude, longitude) {
  const jpeg = Buffer.from(await page.evaluate(() => {
    const c = document.createElement("canvas");
    c.width = 48; c.height = 32;
    const x = c.getContext("2d");
    x.fillStyle = "#e8590c"; x.fillRect(0, 0, 48, 32);
    x.fillStyle = "#ffffff"; x.fillRect(12, 8, 24, 16);
    return c.toDataURL("image/jpeg", 0.9).split(",")[1];
  }), "base64");
  return Buffer.concat([jpeg.subarray(0, 2), exifGps(latitude, longitude), jpeg.subarray(2)]);
}
