//! Text encodings: UTF-8 (with or without BOM) and the Chinese legacy encodings (GBK/GB18030,
//! Big5). Decoding is strict: bytes that do not decode are an error, never replacement marks.
//! Whole files are decoded as they stream (`stream.rs`).

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_code_pages() {
        assert_eq!(encoding_for_label("ANSI 936"), Some(GBK));
        assert_eq!(encoding_for_label("65001"), Some(UTF_8));
        assert_eq!(encoding_for_label("cp950"), Some(BIG5));
        let gbk = GBK.encode("玄武区").0.into_owned();
        assert_eq!(decode_strict(&gbk, GBK).as_deref(), Some("玄武区"));
        assert_eq!(decode_strict(&gbk, UTF_8), None);
    }
}
