//! Text files read in bounded memory: a UTF-8 stream decoded chunk by chunk from the file's
//! encoding, which refuses what no text file holds (NUL bytes: binary data, or the empty space
//! of a sparse file) and lines longer than a limit, with errors that name the line and quote
//! at most 200 characters of it. Memory is one chunk, the decoder's output and the start of
//! the current line, whatever the size of the file or of the gaps in it.

use encoding_rs::{BIG5, DecoderResult, Encoding, GBK, UTF_8};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::text::encoding_for_label;
use crate::{Error, Result};

/// Characters of a bad line quoted in an error.
pub(crate) const QUOTE_CHARS: usize = 200;
/// Bytes read to tell UTF-8 from GBK when no encoding is given.
const SNIFF_BYTES: usize = 1 << 20;
/// Raw bytes read per chunk.
const CHUNK: usize = 64 * 1024;

/// Line-length limits: the first line (a CSV header) and every other line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub first_line: usize,
    pub line: usize,
    /// Whether errors may quote the start of a bad line (not for registers of residents,
    /// whose lines are personal data).
    pub quote: bool,
}

/// A file's text as a UTF-8 byte stream (`Read`). Errors are `io::ErrorKind::InvalidData`
/// carrying the message; [`TextStream::error`] turns them into the crate's error.
pub(crate) struct TextStream {
    raw: BufReader<File>,
    decoder: encoding_rs::Decoder,
    encoding: &'static Encoding,
    out: Vec<u8>,
    pos: usize,
    done: bool,
    /// Raw bytes consumed, the current line (1-based), its length so far and its start.
    consumed: u64,
    line: u64,
    line_len: usize,
    line_head: Vec<u8>,
    limits: Limits,
    /// Set by a refusal: the message returned on every later read.
    failed: Option<String>,
}

impl TextStream {
    /// Opens `path`: a BOM wins, then `given`, else UTF-8 when the first MiB is UTF-8, else
    /// GBK when it decodes as GBK. Returns the stream and the encoding's name.
    pub(crate) fn open(path: &Path, given: Option<&str>, limits: Limits) -> Result<Self> {
        let open = || File::open(path).map_err(|e| Error::io(path, e));
        let mut head = Vec::with_capacity(4096);
        open()?
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(|e| Error::io(path, e))?;
        if head.is_empty() {
            return Err(Error::format(path, "the file is empty (0 bytes)"));
        }
        let encoding = match given {
            Some(label) => encoding_for_label(label)
                .ok_or_else(|| Error::format(path, format!("unknown encoding {label:?}")))?,
            None if head.starts_with(b"\xEF\xBB\xBF") => UTF_8,
            None => sniff(&head).ok_or_else(|| {
                Error::format(path, "the text is neither UTF-8 nor GBK: give --encoding")
            })?,
        };
        Ok(Self {
            raw: BufReader::with_capacity(CHUNK, open()?),
            decoder: encoding.new_decoder_with_bom_removal(),
            encoding,
            out: Vec::with_capacity(CHUNK * 3),
            pos: 0,
            done: false,
            consumed: 0,
            line: 1,
            line_len: 0,
            line_head: Vec::new(),
            limits,
            failed: None,
        })
    }

    /// The encoding's name (`UTF-8`, `GBK`, ...).
    pub(crate) fn encoding(&self) -> &'static str {
        self.encoding.name()
    }

    /// The crate error for an I/O error of this stream (a refusal keeps its message).
    pub(crate) fn error(path: &Path, e: &std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::InvalidData {
            Error::format(path, e.to_string())
        } else {
            Error::format(path, format!("cannot read: {e}"))
        }
    }

    fn refuse(&mut self, message: String) -> std::io::Error {
        self.failed = Some(message.clone());
        std::io::Error::new(std::io::ErrorKind::InvalidData, message)
    }

    fn quote(&self) -> String {
        if !self.limits.quote {
            return "(not quoted: personal data)".to_string();
        }
        String::from_utf8_lossy(&self.line_head)
            .chars()
            .take(QUOTE_CHARS)
            .map(|c| if c.is_control() { '·' } else { c })
            .collect()
    }

    /// Decodes the next chunk into `out`, checking every byte for NUL and line lengths.
    fn refill(&mut self) -> std::io::Result<()> {
        self.out.clear();
        self.pos = 0;
        while self.out.is_empty() && !self.done {
            let chunk = self.raw.fill_buf()?;
            let last = chunk.is_empty();
            self.out.reserve(CHUNK * 3 + 16);
            let start = self.out.len();
            let spare = self.out.capacity() - start;
            self.out.resize(start + spare, 0);
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                chunk,
                &mut self.out[start..],
                last,
            );
            self.out.truncate(start + written);
            // Bytes that are not UTF-8 but are GBK: say so.
            let gbk = matches!(result, DecoderResult::Malformed(_, _))
                && self.encoding == UTF_8
                && sniff(chunk) == Some(GBK);
            let at = self.consumed + read as u64;
            self.raw.consume(read);
            self.consumed = at;
            if let DecoderResult::Malformed(_, _) = result {
                let hint = if gbk {
                    "it decodes as GBK: try --encoding gbk"
                } else {
                    "give --encoding if the file is in another one"
                };
                let msg = format!(
                    "line {} (near byte {at}) is not valid {}; {hint}",
                    self.line,
                    self.encoding.name()
                );
                return Err(self.refuse(msg));
            }
            if last {
                self.done = true;
            }
        }
        for k in 0..self.out.len() {
            let b = self.out[k];
            if b == 0 {
                let msg = format!(
                    "line {} holds a NUL byte (near byte {}): binary data or the empty space of a sparse file, not text; it begins {:?}",
                    self.line,
                    self.consumed,
                    self.quote()
                );
                return Err(self.refuse(msg));
            }
            if b == b'\n' {
                self.line += 1;
                self.line_len = 0;
                self.line_head.clear();
                continue;
            }
            self.line_len += 1;
            if self.line_head.len() < QUOTE_CHARS * 4 {
                self.line_head.push(b);
            }
            let limit = if self.line == 1 {
                self.limits.first_line
            } else {
                self.limits.line
            };
            if self.line_len > limit {
                let msg = if self.line == 1 {
                    format!(
                        "the first line is longer than {} KiB, more than a header of column names; it begins {:?}: is this a CSV file?",
                        limit / 1024,
                        self.quote()
                    )
                } else {
                    format!(
                        "line {} is longer than {} MiB, more than any one feature; it begins {:?}",
                        self.line,
                        limit >> 20,
                        self.quote()
                    )
                };
                return Err(self.refuse(msg));
            }
        }
        Ok(())
    }
}

impl Read for TextStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(m) = &self.failed {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                m.clone(),
            ));
        }
        if self.pos >= self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// UTF-8 when `head` is (a sequence cut at its end allowed), else GBK when it decodes, else
/// Big5 when it does.
fn sniff(head: &[u8]) -> Option<&'static Encoding> {
    match std::str::from_utf8(head) {
        Ok(_) => return Some(UTF_8),
        Err(e) if e.error_len().is_none() => return Some(UTF_8),
        Err(_) => {}
    }
    for enc in [GBK, BIG5] {
        let mut d = enc.new_decoder_without_bom_handling();
        let mut out = vec![0u8; head.len() * 3 + 16];
        let (r, _, _) = d.decode_to_utf8_without_replacement(head, &mut out, false);
        if !matches!(r, DecoderResult::Malformed(_, _)) {
            return Some(enc);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(bytes: &[u8], limits: Limits) -> (Result<TextStream>, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("t.csv");
        std::fs::write(&p, bytes).expect("write");
        (TextStream::open(&p, None, limits), dir)
    }

    const WIDE: Limits = Limits {
        first_line: 1 << 16,
        line: 1 << 20,
        quote: true,
    };

    #[test]
    fn decodes_utf8_gbk_and_bom_in_chunks() {
        let text = "名称,lon,lat\n".to_string() + &"玄武区,118.8,32.0\n".repeat(20_000);
        for bytes in [
            text.as_bytes().to_vec(),
            GBK.encode(&text).0.into_owned(),
            [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        ] {
            let (s, _d) = stream(&bytes, WIDE);
            let mut out = String::new();
            s.expect("opens").read_to_string(&mut out).expect("reads");
            assert_eq!(out, text);
        }
    }

    #[test]
    fn refuses_nul_bytes_and_long_lines_quoting_at_most_200_characters() {
        let mut bytes = b"id,lon,lat\n1,118.8,32.0\n".to_vec();
        bytes.extend(std::iter::repeat_n(0u8, 300_000));
        let (s, _d) = stream(&bytes, WIDE);
        let mut out = Vec::new();
        let e = s.expect("opens").read_to_end(&mut out).expect_err("NUL");
        assert!(e.to_string().contains("line 3 holds a NUL byte"), "{e}");
        let long = format!("id,lon,lat\n{}\n", "x".repeat(2 << 20));
        let (s, _d) = stream(long.as_bytes(), WIDE);
        let e = s.expect("opens").read_to_end(&mut out).expect_err("long");
        let m = e.to_string();
        assert!(m.contains("line 2 is longer than 1 MiB"), "{m}");
        assert!(m.len() < 400, "{m}");
        let header = "c,".repeat(40_000);
        let (s, _d) = stream(header.as_bytes(), WIDE);
        let e = s.expect("opens").read_to_end(&mut out).expect_err("header");
        assert!(e.to_string().contains("is this a CSV file"), "{e}");
    }
}
