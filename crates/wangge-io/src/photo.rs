//! Photos of cases (a grid worker's picture of a broken lamp): the type told by the bytes
//! themselves (JPEG or PNG, whatever the request claims), and the location a phone writes
//! into a photo removed: in a JPEG, the APP1 segments of EXIF (GPS among its tags) and XMP
//! (extended XMP too), and whatever follows the end of the image (the extra images of MPF,
//! gain maps, the video of a "motion photo", each with metadata of its own); in a PNG, the
//! `eXIf` chunk and text chunks of XMP or raw EXIF/XMP profiles. Everything else is copied byte
//! for byte (no re-encoding: the picture is as taken). A JPEG's EXIF orientation (a portrait
//! photo a phone stored sideways, to be turned when shown) is kept: the EXIF segment is
//! replaced by one holding that tag alone. A file that is not well-formed is refused.

/// The types a photo may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoType {
    Jpeg,
    Png,
}

impl PhotoType {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    /// The type from a stored MIME type.
    pub fn from_mime(m: &str) -> Option<Self> {
        match m {
            "image/jpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            _ => None,
        }
    }
}

/// The largest photo accepted (bytes).
pub const MAX_PHOTO_BYTES: usize = 8 << 20;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The type of a photo by its first bytes (`None`: neither JPEG nor PNG).
pub fn sniff(bytes: &[u8]) -> Option<PhotoType> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(PhotoType::Jpeg)
    } else if bytes.starts_with(PNG_SIGNATURE) {
        Some(PhotoType::Png)
    } else {
        None
    }
}

/// The photo without its location metadata, and whether anything was removed; an error
/// saying where the file is malformed.
pub fn strip_location(bytes: &[u8]) -> Result<(Vec<u8>, bool), String> {
    match sniff(bytes) {
        Some(PhotoType::Jpeg) => strip_jpeg(bytes),
        Some(PhotoType::Png) => strip_png(bytes),
        None => Err("neither a JPEG nor a PNG".into()),
    }
}

fn strip_jpeg(b: &[u8]) -> Result<(Vec<u8>, bool), String> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..2]);
    let mut i = 2;
    let mut oriented = false;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while b.get(i) == Some(&0xFF) && b.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (b.get(i), b.get(i + 1)) else {
            return Err(format!("JPEG: no marker at byte {i}"));
        };
        // Markers without a length: TEM and RSTn; EOI ends the file.
        if marker == 0xD9 {
            out.extend_from_slice(&b[i..i + 2]);
            // Anything after the end of the image (MPF images, a motion photo's video) goes.
            let removed = out.as_slice() != b;
            return Ok((out, removed));
        }
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            out.extend_from_slice(&b[i..i + 2]);
            i += 2;
            continue;
        }
        let len = match (b.get(i + 2), b.get(i + 3)) {
            (Some(&h), Some(&l)) => usize::from(h) << 8 | usize::from(l),
            _ => return Err(format!("JPEG: segment at byte {i} cut off")),
        };
        let end = i + 2 + len;
        if len < 2 || end > b.len() {
            return Err(format!("JPEG: segment at byte {i} runs past the end"));
        }
        let payload = &b[i + 4..end];
        let location = marker == 0xE1
            && (payload.starts_with(b"Exif\0") || payload.starts_with(b"http://ns.adobe.com/"));
        if location {
            if !oriented && let Some(o) = exif_orientation(payload) {
                out.extend(orientation_segment(o));
                oriented = true;
            }
        } else {
            out.extend_from_slice(&b[i..end]);
        }
        i = end;
        // Start of scan: the entropy-coded data, copied up to the next marker (0xFF followed
        // by neither a stuffed 0x00 nor a restart marker); a progressive JPEG has several.
        if marker == 0xDA {
            let start = i;
            while i < b.len() {
                if b[i] == 0xFF
                    && let Some(&next) = b.get(i + 1)
                    && next != 0x00
                    && !(0xD0..=0xD7).contains(&next)
                    && next != 0xFF
                {
                    break;
                }
                i += 1;
            }
            if i >= b.len() {
                return Err("JPEG: the image data has no end marker".into());
            }
            out.extend_from_slice(&b[start..i]);
        }
    }
}

/// The orientation (2-8; 1 is upright and needs no tag) of an APP1 EXIF payload (`Exif\0\0`
/// and a TIFF header, either byte order), from its first IFD.
fn exif_orientation(payload: &[u8]) -> Option<u16> {
    let t = payload.strip_prefix(b"Exif\0\0")?;
    let le = match t.get(..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let u16_at = |o: usize| {
        t.get(o..o + 2).map(|x| {
            if le {
                u16::from_le_bytes([x[0], x[1]])
            } else {
                u16::from_be_bytes([x[0], x[1]])
            }
        })
    };
    let u32_at = |o: usize| {
        t.get(o..o + 4).map(|x| {
            let a = [x[0], x[1], x[2], x[3]];
            if le {
                u32::from_le_bytes(a)
            } else {
                u32::from_be_bytes(a)
            }
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let n = usize::from(u16_at(ifd)?);
    (0..n)
        .find_map(|k| {
            let e = ifd.checked_add(2 + 12 * k)?;
            // Orientation: tag 0x0112, type SHORT, one value.
            (u16_at(e)? == 0x0112 && u16_at(e + 2)? == 3 && u32_at(e + 4)? == 1)
                .then(|| u16_at(e + 8))
                .flatten()
        })
        .filter(|o| (2..=8).contains(o))
}

/// An APP1 EXIF segment with the orientation alone: a little-endian TIFF header and one IFD
/// of one entry (nothing else of the original EXIF: no place, no time, no device).
fn orientation_segment(orientation: u16) -> Vec<u8> {
    let mut p = b"Exif\0\0II*\0".to_vec();
    p.extend_from_slice(&8u32.to_le_bytes());
    p.extend_from_slice(&1u16.to_le_bytes());
    p.extend_from_slice(&0x0112u16.to_le_bytes());
    p.extend_from_slice(&3u16.to_le_bytes());
    p.extend_from_slice(&1u32.to_le_bytes());
    p.extend_from_slice(&orientation.to_le_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(&0u32.to_le_bytes());
    let mut s = vec![0xFF, 0xE1];
    s.extend_from_slice(&u16::try_from(p.len() + 2).unwrap_or(u16::MAX).to_be_bytes());
    s.extend(p);
    s
}

fn strip_png(b: &[u8]) -> Result<(Vec<u8>, bool), String> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(PNG_SIGNATURE);
    let mut i = PNG_SIGNATURE.len();
    let mut removed = false;
    while i < b.len() {
        if i + 8 > b.len() {
            return Err(format!("PNG: chunk at byte {i} cut off"));
        }
        let len = u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
        let kind = &b[i + 4..i + 8];
        let end = i
            .checked_add(12)
            .and_then(|x| x.checked_add(len))
            .filter(|e| *e <= b.len())
            .ok_or_else(|| format!("PNG: chunk at byte {i} runs past the end"))?;
        let data = &b[i + 8..i + 8 + len];
        let text = kind == b"iTXt" || kind == b"tEXt" || kind == b"zTXt";
        let location = kind == b"eXIf"
            || (text
                && (data.starts_with(b"XML:com.adobe.xmp\0")
                    || data.starts_with(b"Raw profile type exif\0")
                    || data.starts_with(b"Raw profile type xmp\0")
                    || data.starts_with(b"Raw profile type APP1\0")));
        if location {
            removed = true;
        } else {
            out.extend_from_slice(&b[i..end]);
        }
        i = end;
        if kind == b"IEND" {
            return Ok((out, removed));
        }
    }
    Err("PNG: no IEND chunk".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SOI, APP0 (JFIF), APP1 (Exif with a GPS tag's bytes), a DQT-like segment, SOS, data, EOI.
    fn jpeg() -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        b.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x07, b'J', b'F', b'I', b'F', 0]);
        let exif = b"Exif\0\0MM\0*GPS:32.05N118.79E";
        b.extend_from_slice(&[0xFF, 0xE1, 0x00, (exif.len() + 2) as u8]);
        b.extend_from_slice(exif);
        b.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x04, 1, 2]);
        b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x03, 9, 0x12, 0xFF, 0x00, 0x34]);
        b.extend_from_slice(&[0xFF, 0xD9]);
        b
    }

    #[test]
    fn exif_goes_and_everything_else_stays() {
        let j = jpeg();
        assert_eq!(sniff(&j), Some(PhotoType::Jpeg));
        let (out, removed) = strip_location(&j).expect("strip");
        assert!(removed);
        assert!(!out.windows(4).any(|w| w == b"Exif"));
        assert!(out.windows(4).any(|w| w == b"JFIF"));
        assert!(out.ends_with(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9]));
        assert_eq!(out.len(), j.len() - (4 + 27));
        // Stripping again changes nothing.
        assert_eq!(strip_location(&out).expect("again"), (out.clone(), false));
    }

    #[test]
    fn what_follows_the_image_and_extended_xmp_go_and_a_second_scan_stays() {
        let mut j = jpeg();
        // A second scan (progressive), then trailing data after EOI (a motion photo's video).
        let eoi = j.len() - 2;
        j.splice(eoi..eoi, [0xFF, 0xDA, 0x00, 0x03, 7, 0x55, 0x66]);
        let ext = b"http://ns.adobe.com/xmp/extension/\0GPS";
        let mut seg = vec![0xFF, 0xE1, 0x00, (ext.len() + 2) as u8];
        seg.extend_from_slice(ext);
        j.splice(2..2, seg);
        j.extend_from_slice(b"ftypmp42 GPS 32.05 118.79");
        let (out, removed) = strip_location(&j).expect("strip");
        assert!(removed);
        assert!(out.ends_with(&[0x55, 0x66, 0xFF, 0xD9]), "{out:02x?}");
        assert!(!out.windows(3).any(|w| w == b"GPS"));
        // Only trailing bytes: still removed.
        let mut tail = jpeg();
        tail.extend_from_slice(b"xx");
        let (clean, _) = strip_location(&jpeg()).expect("clean");
        assert_eq!(strip_location(&tail).expect("tail"), (clean, true));
        // Image data that never ends is refused.
        let mut open = jpeg();
        open.truncate(open.len() - 2);
        assert!(strip_location(&open).is_err());
    }

    #[test]
    fn png_exif_chunks_go() {
        let mut p = PNG_SIGNATURE.to_vec();
        for (kind, data) in [
            (&b"IHDR"[..], &b"0123456789abc"[..]),
            (b"eXIf", b"MM\0*GPS"),
            (b"IDAT", b"xx"),
            (b"IEND", b""),
        ] {
            p.extend_from_slice(&(data.len() as u32).to_be_bytes());
            p.extend_from_slice(kind);
            p.extend_from_slice(data);
            p.extend_from_slice(&[0, 0, 0, 0]);
        }
        let (out, removed) = strip_location(&p).expect("strip");
        assert!(removed);
        assert!(!out.windows(4).any(|w| w == b"eXIf"));
        assert!(out.windows(4).any(|w| w == b"IDAT"));
    }

    /// A JPEG whose EXIF (big-endian) holds a GPS pointer, the orientation `o` and GPS bytes.
    fn jpeg_oriented(o: u16) -> Vec<u8> {
        let mut tiff = b"MM\0*".to_vec();
        tiff.extend_from_slice(&8u32.to_be_bytes());
        tiff.extend_from_slice(&2u16.to_be_bytes());
        // GPS IFD pointer (0x8825, LONG), then Orientation (0x0112, SHORT).
        for (tag, kind, value) in [(0x8825u16, 4u16, 38u32), (0x0112, 3, u32::from(o) << 16)] {
            tiff.extend_from_slice(&tag.to_be_bytes());
            tiff.extend_from_slice(&kind.to_be_bytes());
            tiff.extend_from_slice(&1u32.to_be_bytes());
            tiff.extend_from_slice(&value.to_be_bytes());
        }
        tiff.extend_from_slice(&0u32.to_be_bytes());
        tiff.extend_from_slice(b"GPSLatitude 32.0583N");
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend(tiff);
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE1];
        b.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        b.extend(exif);
        b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x03, 9, 0x12, 0x34]);
        b.extend_from_slice(&[0xFF, 0xD9]);
        b
    }

    #[test]
    fn the_orientation_stays_and_nothing_else_of_the_exif() {
        let (out, removed) = strip_location(&jpeg_oriented(6)).expect("strip");
        assert!(removed);
        assert!(!out.windows(3).any(|w| w == b"GPS"));
        // SOI, then the EXIF of the orientation alone (written out by hand), then the scan.
        let mut want = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x22];
        want.extend_from_slice(
            b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0",
        );
        want.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x03, 9, 0x12, 0x34, 0xFF, 0xD9]);
        assert_eq!(out, want);
        assert_eq!(exif_orientation(&out[6..]), Some(6));
        // Stripping again changes nothing; an upright photo keeps no EXIF at all.
        assert_eq!(strip_location(&out).expect("again"), (out.clone(), false));
        let (upright, _) = strip_location(&jpeg_oriented(1)).expect("strip");
        assert!(!upright.windows(4).any(|w| w == b"Exif"));
    }

    #[test]
    fn malformed_files_are_refused_not_panicked_on() {
        assert!(strip_location(b"GIF89a").is_err());
        assert!(strip_location(&[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF]).is_err());
        let mut j = jpeg();
        j.truncate(12);
        assert!(strip_location(&j).is_err());
        let mut p = PNG_SIGNATURE.to_vec();
        p.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, b'I', b'D', b'A', b'T']);
        assert!(strip_location(&p).is_err());
    }
}
