//! Text encodings: UTF-8 (with or without BOM) and the Chinese legacy encodings (GBK/GB18030,
//! Big5). Decoding is strict: bytes that do not decode are an error, never replacement marks.

use encoding_rs::{BIG5, Encoding, GBK, UTF_8, WINDOWS_1252};

/// Maps a label or code page (`utf-8`, `GBK`, `cp936`, `936`, `ANSI 936`, `65001`) to an encoding.
pub fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let l = label.trim().to_ascii_lowercase();
    let l = l.strip_prefix("ansi ").unwrap_or(&l);
    match l {
        "936" | "cp936" | "gb2312" | "gbk" | "gb18030" | "54936" => Some(GBK),
        "65001" | "utf8" | "utf-8" => Some(UTF_8),
        "950" | "cp950" | "big5" => Some(BIG5),
        "1252" | "cp1252" => Some(WINDOWS_1252),
        other => Encoding::for_label(other.as_bytes()),
    }
}

/// Decodes strictly; `None` when the bytes are not valid in that encoding.
pub fn decode_strict(bytes: &[u8], enc: &'static Encoding) -> Option<String> {
    enc.decode_without_bom_handling_and_without_replacement(bytes)
        .map(|c| c.into_owned())
}

/// Decodes a whole text file: a BOM wins, then the given encoding, else UTF-8 if valid,
/// else GBK. Returns the text and the encoding's name, or a message.
pub fn decode_file(bytes: &[u8], given: Option<&str>) -> Result<(String, &'static str), String> {
    if let Some(label) = given {
        let enc = encoding_for_label(label).ok_or_else(|| format!("unknown encoding {label:?}"))?;
        let body = if enc == UTF_8 {
            bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
        } else {
            bytes
        };
        return decode_strict(body, enc)
            .map(|t| (t, enc.name()))
            .ok_or_else(|| {
                let hint = if enc == UTF_8 && decode_strict(bytes, GBK).is_some() {
                    "; it decodes as GBK: try --encoding gbk"
                } else {
                    ""
                };
                format!("the text is not valid {}{hint}", enc.name())
            });
    }
    if let Some(body) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return decode_strict(body, UTF_8)
            .map(|t| (t, "UTF-8"))
            .ok_or_else(|| "has a UTF-8 byte-order mark but is not valid UTF-8".to_string());
    }
    if let Ok(t) = std::str::from_utf8(bytes) {
        return Ok((t.to_string(), "UTF-8"));
    }
    decode_strict(bytes, GBK)
        .map(|t| (t, "GBK"))
        .ok_or_else(|| "the text is neither UTF-8 nor GBK: give --encoding".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_utf8_bom_and_gbk() {
        let gbk = GBK.encode("玄武区").0.into_owned();
        assert_eq!(decode_file(&gbk, None), Ok(("玄武区".to_string(), "GBK")));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("名称".as_bytes());
        assert_eq!(decode_file(&bom, None), Ok(("名称".to_string(), "UTF-8")));
        assert!(decode_file(&gbk, Some("utf-8")).is_err_and(|e| e.contains("--encoding gbk")));
        assert_eq!(encoding_for_label("ANSI 936"), Some(GBK));
    }
}
