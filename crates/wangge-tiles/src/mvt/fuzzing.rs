//! Entry points for the fuzz targets (`fuzz/`) and their seed replay: arbitrary bytes into the
//! tile decoder, and arbitrary geometry through the encoder pipeline, whose output the strict
//! validator must accept.

use super::{Clip, LayerBuilder, TileCoord, Value, encode_tile, validate};

/// Arbitrary bytes into the strict decoder: an error, never a panic.
pub fn decode(bytes: &[u8]) {
    let _ = validate(bytes, &Default::default());
}

/// Bytes read as coordinates (pairs of little-endian u16 scaled around one tile) and drawn
/// as points, lines and polygons; the encoded tile must pass the validator.
pub fn encode(bytes: &[u8]) {
    let coord = TileCoord::new(14, 13_700, 6_700).unwrap_or_else(|_| unreachable!());
    let t = coord.transform(4096);
    let (x0, y0) = (13_700.0 / 16_384.0, 6_700.0 / 16_384.0);
    let pts: Vec<[f64; 2]> = bytes
        .chunks_exact(4)
        .map(|c| {
            let u = f64::from(u16::from_le_bytes([c[0], c[1]])) / 65_535.0;
            let v = f64::from(u16::from_le_bytes([c[2], c[3]])) / 65_535.0;
            // From half a tile outside to half a tile beyond, so clipping is exercised.
            [
                x0 + (u * 2.0 - 0.5) / 16_384.0,
                y0 + (v * 2.0 - 0.5) / 16_384.0,
            ]
        })
        .collect();
    if pts.is_empty() {
        return;
    }
    let clip = Clip {
        extent: 4096,
        buffer: 64,
        tolerance_px: 1.0,
    };
    let mut layer = LayerBuilder::new("fuzz", 4096);
    let props = [("n", Value::UInt(pts.len() as u64))];
    if let Some(g) = clip.points(&t, &pts) {
        layer.add(Some(1), &g, &props);
    }
    let lines: Vec<Vec<[f64; 2]>> = pts.chunks(5).map(<[_]>::to_vec).collect();
    if let Some(g) = clip.lines(&t, &lines) {
        layer.add(Some(2), &g, &props);
    }
    let rings: Vec<Vec<Vec<[f64; 2]>>> = pts
        .chunks(7)
        .filter(|c| c.len() >= 3)
        .map(|c| vec![c.to_vec()])
        .collect();
    if let Some(g) = clip.polygons(&t, &rings) {
        layer.add(Some(3), &g, &props);
    }
    let tile = encode_tile(&[layer]);
    if let Err(problems) = validate(&tile, &Default::default()) {
        panic!("the encoder wrote an invalid tile: {problems:?}");
    }
}
