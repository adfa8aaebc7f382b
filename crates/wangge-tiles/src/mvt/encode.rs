//! Layers and tiles as MVT 2.1 protocol buffers: keys and values shared per layer, feature
//! tags as index pairs, geometry as the command stream of [`TileGeom::encode`].

use super::geometry::TileGeom;
use super::pbf::{FIXED64, VARINT, put_bytes, put_key, put_packed, put_varint};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(String),
    Double(f64),
    Int(i64),
    UInt(u64),
    Bool(bool),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::UInt(u64::from(v))
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::UInt(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

/// A non-string value by type and bits (strings are kept apart, found without a copy).
type ScalarKey = (u8, u64);

impl Value {
    fn scalar_key(&self) -> Option<ScalarKey> {
        match self {
            Value::String(_) => None,
            Value::Double(d) => Some((3, d.to_bits())),
            Value::Int(i) => Some((4, *i as u64)),
            Value::UInt(u) => Some((5, *u)),
            Value::Bool(b) => Some((7, u64::from(*b))),
        }
    }

    /// Appends the value message's body.
    fn encode_into(&self, b: &mut Vec<u8>) {
        match self {
            Value::String(s) => put_bytes(b, 1, s.as_bytes()),
            Value::Double(d) => {
                put_key(b, 3, FIXED64);
                b.extend_from_slice(&d.to_le_bytes());
            }
            Value::Int(i) => {
                put_key(b, 4, VARINT);
                put_varint(b, *i as u64);
            }
            Value::UInt(u) => {
                put_key(b, 5, VARINT);
                put_varint(b, *u);
            }
            Value::Bool(v) => {
                put_key(b, 7, VARINT);
                put_varint(b, u64::from(*v));
            }
        }
    }
}

/// FxHash (rustc's): keys and values of a layer are few and short; SipHash's resistance to
/// chosen inputs buys nothing here and cost a tenth of a live tile.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// One layer being filled. Features are written framed (field 2, length, bytes) into one
/// buffer as they come; per-feature scratch space is reused.
#[derive(Debug)]
pub struct LayerBuilder {
    name: String,
    extent: u32,
    keys: Vec<String>,
    /// Values so far, each already framed as field 4 of the layer.
    values: Vec<u8>,
    value_count: u32,
    string_index: FxMap<String, u32>,
    scalar_index: FxMap<ScalarKey, u32>,
    features: usize,
    framed: Vec<u8>,
    scratch: Vec<u8>,
    tags: Vec<u32>,
    geometry: Vec<u32>,
}

impl std::fmt::Debug for Fx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fx")
    }
}

impl LayerBuilder {
    pub fn new(name: &str, extent: u32) -> Self {
        Self {
            name: name.to_string(),
            extent,
            keys: Vec::new(),
            values: Vec::new(),
            value_count: 0,
            string_index: FxMap::default(),
            scalar_index: FxMap::default(),
            features: 0,
            framed: Vec::new(),
            scratch: Vec::new(),
            tags: Vec::new(),
            geometry: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.features
    }

    pub fn is_empty(&self) -> bool {
        self.features == 0
    }

    fn key(&mut self, k: &str) -> u32 {
        // A layer has a handful of keys: a scan beats hashing.
        if let Some(i) = self.keys.iter().position(|x| x == k) {
            return i as u32;
        }
        self.keys.push(k.to_string());
        self.keys.len() as u32 - 1
    }

    fn value(&mut self, v: &Value) -> u32 {
        let found = match (v, v.scalar_key()) {
            (Value::String(s), _) => self.string_index.get(s.as_str()).copied(),
            (_, Some(k)) => self.scalar_index.get(&k).copied(),
            _ => None,
        };
        if let Some(i) = found {
            return i;
        }
        let i = self.value_count;
        match (v, v.scalar_key()) {
            (Value::String(s), _) => {
                self.string_index.insert(s.clone(), i);
            }
            (_, Some(k)) => {
                self.scalar_index.insert(k, i);
            }
            _ => {}
        }
        let mut body = std::mem::take(&mut self.scratch);
        body.clear();
        v.encode_into(&mut body);
        put_bytes(&mut self.values, 4, &body);
        self.scratch = body;
        self.value_count += 1;
        i
    }

    /// Adds a feature; an empty geometry is skipped. Properties with the same key twice keep
    /// the first.
    pub fn add(&mut self, id: Option<u64>, geom: &TileGeom, props: &[(&str, Value)]) {
        if geom.is_empty() {
            return;
        }
        self.add_with(id, geom.geom_type(), props, |g| geom.encode_into(g));
    }

    /// Adds a polygon feature of one ring (closed implicitly, exterior positive), written
    /// straight from its points: no geometry is built for it.
    pub fn add_ring(
        &mut self,
        id: Option<u64>,
        ring: impl ExactSizeIterator<Item = super::geometry::Pt>,
        props: &[(&str, Value)],
    ) {
        self.add_with(id, super::geometry::POLYGON, props, |g| {
            super::geometry::encode_ring_into(g, ring)
        });
    }

    fn add_with(
        &mut self,
        id: Option<u64>,
        geom_type: u32,
        props: &[(&str, Value)],
        geometry: impl FnOnce(&mut Vec<u32>),
    ) {
        let mut tags = std::mem::take(&mut self.tags);
        tags.clear();
        for (k, v) in props {
            let ki = self.key(k);
            if tags.chunks(2).any(|t| t[0] == ki) {
                continue;
            }
            let vi = self.value(v);
            tags.push(ki);
            tags.push(vi);
        }
        let mut f = std::mem::take(&mut self.scratch);
        f.clear();
        if let Some(id) = id {
            put_key(&mut f, 1, VARINT);
            put_varint(&mut f, id);
        }
        if !tags.is_empty() {
            put_packed(&mut f, 2, &tags);
        }
        put_key(&mut f, 3, VARINT);
        put_varint(&mut f, u64::from(geom_type));
        let mut g = std::mem::take(&mut self.geometry);
        geometry(&mut g);
        put_packed(&mut f, 4, &g);
        put_bytes(&mut self.framed, 2, &f);
        self.features += 1;
        self.geometry = g;
        self.scratch = f;
        self.tags = tags;
    }

    /// Appends the encoded layer message (version 2).
    fn encode_into(&self, b: &mut Vec<u8>) {
        put_key(b, 15, VARINT);
        put_varint(b, 2);
        put_bytes(b, 1, self.name.as_bytes());
        b.extend_from_slice(&self.framed);
        for k in &self.keys {
            put_bytes(b, 3, k.as_bytes());
        }
        b.extend_from_slice(&self.values);
        put_key(b, 5, VARINT);
        put_varint(b, u64::from(self.extent));
    }

    /// The encoded layer message (version 2).
    pub fn encode(&self) -> Vec<u8> {
        let mut b =
            Vec::with_capacity(self.framed.len() + self.values.len() + 32 * self.keys.len() + 32);
        self.encode_into(&mut b);
        b
    }
}

/// A tile from its layers (empty layers are left out).
pub fn encode_tile(layers: &[LayerBuilder]) -> Vec<u8> {
    let size: usize = layers
        .iter()
        .map(|l| l.framed.len() + l.values.len() + 256)
        .sum();
    let mut b = Vec::with_capacity(size);
    let mut layer = Vec::new();
    for l in layers.iter().filter(|l| !l.is_empty()) {
        layer.clear();
        l.encode_into(&mut layer);
        put_bytes(&mut b, 3, &layer);
    }
    b
}
