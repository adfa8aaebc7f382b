//! The few protocol-buffer primitives a vector tile needs: varints, zigzag, tags and
//! length-delimited fields, written into a byte vector and read back with bounds checks.

/// Wire types used by the MVT schema.
pub const VARINT: u8 = 0;
pub const FIXED64: u8 = 1;
pub const LEN: u8 = 2;
pub const FIXED32: u8 = 5;

/// Appends a base-128 varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a field key (field number and wire type).
pub fn put_key(out: &mut Vec<u8>, field: u32, wire: u8) {
    put_varint(out, (u64::from(field) << 3) | u64::from(wire));
}

/// Appends a length-delimited field.
pub fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_key(out, field, LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Bytes of a varint.
fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Appends a packed repeated uint32 field (written in place: its length first counted).
pub fn put_packed(out: &mut Vec<u8>, field: u32, values: &[u32]) {
    let len: usize = values.iter().map(|&v| varint_len(u64::from(v))).sum();
    put_key(out, field, LEN);
    put_varint(out, len as u64);
    out.reserve(len);
    for &v in values {
        put_varint(out, u64::from(v));
    }
}

/// Zigzag encoding of a signed 32-bit parameter.
pub fn zigzag(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

/// Inverse of [`zigzag`].
pub fn unzigzag(n: u32) -> i32 {
    ((n >> 1) as i32) ^ -((n & 1) as i32)
}

/// A problem reading protocol-buffer bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("protobuf: {0}")]
pub struct PbfError(pub String);

/// A field read from a message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// Reads the fields of one message in order.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Reads a varint (at most 10 bytes).
    pub fn varint(&mut self) -> Result<u64, PbfError> {
        let mut v = 0u64;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(PbfError(format!(
                    "varint runs past the end at byte {}",
                    self.pos
                )));
            };
            self.pos += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(PbfError(format!(
            "varint longer than 10 bytes at byte {}",
            self.pos
        )))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], PbfError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| PbfError(format!("{n} bytes run past the end at byte {}", self.pos)))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next field (number and value), or `None` at the end of the message.
    pub fn next_field(&mut self) -> Result<Option<(u32, Field<'a>)>, PbfError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field =
            u32::try_from(key >> 3).map_err(|_| PbfError("field number too large".into()))?;
        if field == 0 {
            return Err(PbfError(format!("field number 0 at byte {}", self.pos)));
        }
        let value = match (key & 7) as u8 {
            VARINT => Field::Varint(self.varint()?),
            FIXED64 => {
                let b = self.take(8)?;
                Field::Fixed64(u64::from_le_bytes(b.try_into().expect("8 bytes")))
            }
            LEN => {
                let n = usize::try_from(self.varint()?)
                    .map_err(|_| PbfError("length too large".into()))?;
                Field::Bytes(self.take(n)?)
            }
            FIXED32 => {
                let b = self.take(4)?;
                Field::Fixed32(u32::from_le_bytes(b.try_into().expect("4 bytes")))
            }
            w => {
                return Err(PbfError(format!(
                    "unsupported wire type {w} for field {field}"
                )));
            }
        };
        Ok(Some((field, value)))
    }
}

/// Unpacks a packed repeated uint32 field.
pub fn unpack_u32(bytes: &[u8]) -> Result<Vec<u32>, PbfError> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while r.pos < bytes.len() {
        let v = r.varint()?;
        out.push(u32::try_from(v).map_err(|_| PbfError(format!("{v} is not a uint32")))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag_round_trip() {
        for v in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            assert_eq!(Reader::new(&b).varint(), Ok(v));
        }
        for n in [0, 1, -1, 2, -2, 4095, -4096, i32::MAX, i32::MIN] {
            assert_eq!(unzigzag(zigzag(n)), n);
        }
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        let mut b = Vec::new();
        put_bytes(&mut b, 3, b"hello");
        b.truncate(4);
        let mut r = Reader::new(&b);
        assert!(r.next_field().is_err());
        assert!(Reader::new(&[0x80]).varint().is_err());
    }
}
