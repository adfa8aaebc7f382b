//! A strict dBASE III reader for Shapefile attributes: field names and text are decoded with
//! the given encoding, and bytes that do not decode are an error naming record and field.

use super::Value;
use super::text::decode_strict;
use encoding_rs::Encoding;

/// The attribute table: field names and records.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub fields: Vec<String>,
    pub records: Vec<Vec<Value>>,
}

struct Field {
    kind: u8,
    len: usize,
}

/// Parses a DBF file's bytes.
pub fn parse(bytes: &[u8], enc: &'static Encoding) -> Result<Table, String> {
    if bytes.len() < 32 {
        return Err("the .dbf is too short to hold a header".into());
    }
    let n_records = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    let record_len = usize::from(u16::from_le_bytes([bytes[10], bytes[11]]));
    let mut fields = Vec::new();
    let mut names = Vec::new();
    let mut pos = 32;
    while pos + 32 <= bytes.len() && bytes[pos] != 0x0D && pos + 32 <= header_len {
        let d = &bytes[pos..pos + 32];
        let raw = d[..11].split(|&b| b == 0).next().unwrap_or(&[]);
        let name = decode_strict(raw, enc).ok_or_else(|| {
            format!(
                "field name {} is not valid {} text",
                fields.len(),
                enc.name()
            )
        })?;
        names.push(name.trim().to_string());
        fields.push(Field {
            kind: d[11],
            len: usize::from(d[16]),
        });
        pos += 32;
    }
    let sum: usize = 1 + fields.iter().map(|f| f.len).sum::<usize>();
    if sum != record_len {
        return Err(format!(
            "the .dbf header is inconsistent (fields sum to {sum} bytes, records are {record_len})"
        ));
    }
    // The header's record count is checked against the file before anything is allocated
    // for it (a damaged count once asked for 51 GB: found by the dbf fuzz target).
    let needed = n_records
        .checked_mul(record_len)
        .and_then(|n| n.checked_add(header_len));
    if needed.is_none_or(|n| n > bytes.len()) {
        return Err(format!(
            "the .dbf is truncated: its header promises {n_records} records of {record_len} bytes after a {header_len}-byte header, but the file has {} bytes",
            bytes.len()
        ));
    }
    let mut records = Vec::with_capacity(n_records);
    for r in 0..n_records {
        let start = header_len + r * record_len;
        let Some(rec) = bytes.get(start..start + record_len) else {
            return Err(format!(
                "the .dbf is truncated: record {r} of {n_records} is missing"
            ));
        };
        let mut values = Vec::with_capacity(fields.len());
        let mut off = 1;
        for (f, name) in fields.iter().zip(&names) {
            let raw = &rec[off..off + f.len];
            off += f.len;
            let text = decode_strict(raw, enc).ok_or_else(|| {
                format!(
                    "record {r}, field {name}: the text is not valid {} (the .cpg or --encoding names the encoding)",
                    enc.name()
                )
            })?;
            let t = text.trim_matches(|c: char| c == ' ' || c == '\0');
            values.push(match f.kind {
                _ if t.is_empty() => Value::Null,
                b'N' | b'F' | b'O' | b'I' => match t.parse::<f64>() {
                    Ok(v) => Value::Number(v),
                    Err(_) => Value::Text(t.to_string()),
                },
                b'L' => match t {
                    "T" | "t" | "Y" | "y" => Value::Bool(true),
                    "F" | "f" | "N" | "n" => Value::Bool(false),
                    _ => Value::Null,
                },
                _ => Value::Text(t.to_string()),
            });
        }
        // deleted records ('*') are skipped, but keep numbering aligned with the .shp
        if rec[0] == b'*' {
            values.clear();
        }
        records.push(values);
    }
    Ok(Table {
        fields: names,
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_record_count_is_an_error_not_an_allocation() {
        // One 10-byte character field; the header claims 4 billion records.
        let mut b = vec![0u8; 65];
        b[0] = 3;
        b[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        b[8..10].copy_from_slice(&65u16.to_le_bytes());
        b[10..12].copy_from_slice(&11u16.to_le_bytes());
        b[32..34].copy_from_slice(b"id");
        b[43] = b'C';
        b[48] = 10;
        b[64] = 0x0D;
        let e = parse(&b, encoding_rs::UTF_8).expect_err("truncated");
        assert!(e.contains("promises 4294967295 records"), "{e}");
    }
}
