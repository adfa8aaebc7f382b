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
