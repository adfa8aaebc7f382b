//! A minimal ZIP writer (deflate, no ZIP64): a Shapefile's sidecar files as one download.
//! PKWARE APPNOTE 6.3: a local header and data per file, then the central directory.

use flate2::Compression;
use flate2::Crc;
use flate2::write::DeflateEncoder;
use std::io::Write;

/// Zips `(name, bytes)` pairs; names are UTF-8 (flag bit 11).
pub fn zip(files: &[(String, Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let mut crc = Crc::new();
        crc.update(data);
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data)?;
        let packed = enc.finish()?;
        let too_big = |n: usize| u32::try_from(n).map_err(std::io::Error::other);
        let (size, csize, offset) = (
            too_big(data.len())?,
            too_big(packed.len())?,
            too_big(out.len())?,
        );
        let name_len = u16::try_from(name.len()).map_err(std::io::Error::other)?;
        // version 2.0, UTF-8 names, deflate, DOS time 00:00 1 Jan 1980
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes());
            v.extend_from_slice(&0x0800u16.to_le_bytes());
            v.extend_from_slice(&8u16.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
            v.extend_from_slice(&0x21u16.to_le_bytes());
            v.extend_from_slice(&crc.sum().to_le_bytes());
            v.extend_from_slice(&csize.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&name_len.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&packed);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        common(&mut central);
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let count = u16::try_from(files.len()).map_err(std::io::Error::other)?;
    let cd_offset = u32::try_from(out.len()).map_err(std::io::Error::other)?;
    let cd_size = u32::try_from(central.len()).map_err(std::io::Error::other)?;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn python_reads_the_archive_back() {
        let files = vec![
            ("a.txt".to_string(), b"hello hello hello".to_vec()),
            ("网格.dbf".to_string(), vec![0u8; 1000]),
        ];
        let bytes = zip(&files).expect("zip");
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.zip");
        std::fs::write(&path, &bytes).expect("write");
        let out = std::process::Command::new("python3")
            .args(["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(' '.join(f'{i.filename}:{len(z.read(i))}' for i in z.infolist()))"])
            .arg(&path)
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "a.txt:17 网格.dbf:1000"
        );
        // and the first entry inflates to its bytes
        let packed = &bytes[30 + 5..];
        let mut d = flate2::read::DeflateDecoder::new(packed);
        let mut s = String::new();
        d.read_to_string(&mut s).expect("inflate");
        assert_eq!(s, "hello hello hello");
    }
}
