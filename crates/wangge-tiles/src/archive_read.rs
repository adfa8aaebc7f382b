//! Reading a PMTiles v3 archive, for serving one directly: the file is held in memory and
//! every directory (root and leaves) is decoded once into a map from tile id to the tile's
//! bytes, so a request is one hash lookup and a slice.

use std::collections::HashMap;
use std::path::Path;

/// Longest run of one tile accepted (a damaged count must not make the index unbounded).
const MAX_RUN: u64 = 1 << 24;

/// Header fields the server needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveInfo {
    /// 1 none, 2 gzip, 3 brotli, 4 zstd (the spec's codes).
    pub tile_compression: u8,
    /// 1 MVT.
    pub tile_type: u8,
    pub minzoom: u8,
    pub maxzoom: u8,
    /// [west, south, east, north].
    pub bounds: [f64; 4],
    pub center: [f64; 2],
    pub center_zoom: u8,
    /// The JSON metadata (decompressed).
    pub metadata: String,
}

/// A damaged or unsupported archive.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ArchiveError {
    pub path: String,
    pub message: String,
}

/// The index of an archive held in memory: where each tile's bytes lie in the file.
#[derive(Debug)]
pub struct PmTilesArchive {
    /// tile id → (start, end) in the file's bytes.
    tiles: HashMap<u64, (usize, usize)>,
    pub info: ArchiveInfo,
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for i in 0..10 {
            let byte = *self.b.get(self.pos)?;
            self.pos += 1;
            v |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
}

impl PmTilesArchive {
    /// Reads a file: its bytes and their index.
    pub fn open(path: &Path) -> Result<(Self, Vec<u8>), ArchiveError> {
        let bytes = std::fs::read(path).map_err(|e| ArchiveError {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let a = Self::index(&bytes, path)?;
        Ok((a, bytes))
    }

    // Long: the PMTiles v3 header and directory decoding in the specification's order, each
    // field checked against the bytes with the archive named in the error.
    /// Indexes an archive's bytes (`path` names it in errors).
    pub fn index(bytes: &[u8], path: &Path) -> Result<Self, ArchiveError> {
        let fail = |m: String| ArchiveError {
            path: path.display().to_string(),
            message: m,
        };
        if bytes.len() < 127 || &bytes[0..7] != b"PMTiles" {
            return Err(fail("not a PMTiles archive (no PMTiles magic)".into()));
        }
        if bytes[7] != 3 {
            return Err(fail(format!(
                "PMTiles version {}, only 3 is read",
                bytes[7]
            )));
        }
        let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().expect("8 bytes"));
        let i32_at = |o: usize| i32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"));
        let section = |o: usize| -> Result<(usize, usize), ArchiveError> {
            let (off, len) = (u64_at(o), u64_at(o + 8));
            let start = usize::try_from(off).map_err(|_| fail("offset too large".into()))?;
            let end = usize::try_from(off.saturating_add(len))
                .ok()
                .filter(|&e| e <= bytes.len())
                .ok_or_else(|| fail(format!("section at header byte {o} runs past the end")))?;
            Ok((start, end))
        };
        let root = section(8)?;
        let meta = section(24)?;
        let leaves = section(40)?;
        let data = section(56)?;
        let internal = bytes[97];
        let e7 = |v: i32| f64::from(v) / 1e7;
        let decompress = |b: &[u8]| -> Result<Vec<u8>, ArchiveError> {
            match internal {
                1 => Ok(b.to_vec()),
                2 => {
                    use std::io::Read;
                    let mut out = Vec::new();
                    flate2::read::GzDecoder::new(b)
                        .read_to_end(&mut out)
                        .map_err(|e| fail(format!("directory: {e}")))?;
                    Ok(out)
                }
                c => Err(fail(format!(
                    "internal compression {c} is not supported (gzip or none)"
                ))),
            }
        };
        let metadata = String::from_utf8(decompress(&bytes[meta.0..meta.1])?)
            .map_err(|_| fail("metadata is not UTF-8".into()))?;
        let info = ArchiveInfo {
            tile_compression: bytes[98],
            tile_type: bytes[99],
            minzoom: bytes[100],
            maxzoom: bytes[101],
            bounds: [
                e7(i32_at(102)),
                e7(i32_at(106)),
                e7(i32_at(110)),
                e7(i32_at(114)),
            ],
            center_zoom: bytes[118],
            center: [e7(i32_at(119)), e7(i32_at(123))],
            metadata,
        };
        let mut tiles = HashMap::new();
        // Directories to read: (start, end) in `bytes`; leaves come from the root.
        let mut todo = vec![root];
        let mut seen = 0;
        while let Some((s, e)) = todo.pop() {
            seen += 1;
            if seen > 1_000_000 {
                return Err(fail("too many directories".into()));
            }
            let dir = decompress(&bytes[s..e])?;
            let mut c = Cursor { b: &dir, pos: 0 };
            let bad = || fail("damaged directory".into());
            let n = usize::try_from(c.varint().ok_or_else(bad)?).map_err(|_| bad())?;
            if n > dir.len() {
                return Err(bad());
            }
            let mut ids = Vec::with_capacity(n);
            let mut last = 0u64;
            for _ in 0..n {
                last = last
                    .checked_add(c.varint().ok_or_else(bad)?)
                    .ok_or_else(bad)?;
                ids.push(last);
            }
            let runs: Vec<u64> = (0..n)
                .map(|_| c.varint().ok_or_else(bad))
                .collect::<Result<_, _>>()?;
            let lens: Vec<u64> = (0..n)
                .map(|_| c.varint().ok_or_else(bad))
                .collect::<Result<_, _>>()?;
            let mut offsets = Vec::with_capacity(n);
            for i in 0..n {
                let v = c.varint().ok_or_else(bad)?;
                let off = if v == 0 && i > 0 {
                    offsets[i - 1] + lens[i - 1]
                } else {
                    v.checked_sub(1).ok_or_else(bad)?
                };
                offsets.push(off);
            }
            for i in 0..n {
                let (base, limit) = if runs[i] == 0 { leaves } else { data };
                let limit = (base, limit);
                let start = base
                    .checked_add(usize::try_from(offsets[i]).map_err(|_| bad())?)
                    .ok_or_else(bad)?;
                let end = start
                    .checked_add(usize::try_from(lens[i]).map_err(|_| bad())?)
                    .filter(|&e| e <= limit.1)
                    .ok_or_else(|| {
                        fail(format!(
                            "entry {} of a directory points past its section",
                            ids[i]
                        ))
                    })?;
                if runs[i] == 0 {
                    todo.push((start, end));
                } else {
                    // A run longer than a whole zoom level of a city is damage, not data.
                    if runs[i] > MAX_RUN {
                        return Err(fail(format!(
                            "entry {} repeats one tile {} times (at most {MAX_RUN})",
                            ids[i], runs[i]
                        )));
                    }
                    for k in 0..runs[i] {
                        tiles.insert(ids[i] + k, (start, end));
                    }
                }
            }
        }
        Ok(Self { tiles, info })
    }

    /// Where a tile's stored bytes (compressed as `info.tile_compression` says) lie in the
    /// file: (start, end).
    pub fn range(&self, z: u8, x: u32, y: u32) -> Option<(usize, usize)> {
        let id = pmtiles::TileId::from(pmtiles::TileCoord::new(z, x, y).ok()?).value();
        self.tiles.get(&id).copied()
    }

    /// Number of addressed tiles.
    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }
}
