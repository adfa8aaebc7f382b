//! Layers and tiles as MVT 2.1 protocol buffers: keys and values shared per layer, feature
//! tags as index pairs, geometry as the command stream of [`TileGeom::encode`].

use super::geometry::TileGeom;
use super::pbf::{FIXED64, VARINT, put_bytes, put_key, put_packed, put_varint};
use std::collections::HashMap;

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

/// Values are deduplicated by type and bits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ValueKey {
    S(String),
    D(u64),
    I(i64),
    U(u64),
    B(bool),
}

impl Value {
    fn key(&self) -> ValueKey {
        match self {
            Value::String(s) => ValueKey::S(s.clone()),
            Value::Double(d) => ValueKey::D(d.to_bits()),
            Value::Int(i) => ValueKey::I(*i),
            Value::UInt(u) => ValueKey::U(*u),
            Value::Bool(b) => ValueKey::B(*b),
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        match self {
            Value::String(s) => put_bytes(&mut b, 1, s.as_bytes()),
            Value::Double(d) => {
                put_key(&mut b, 3, FIXED64);
                b.extend_from_slice(&d.to_le_bytes());
            }
            Value::Int(i) => {
                put_key(&mut b, 4, VARINT);
                put_varint(&mut b, *i as u64);
            }
            Value::UInt(u) => {
                put_key(&mut b, 5, VARINT);
                put_varint(&mut b, *u);
            }
            Value::Bool(v) => {
                put_key(&mut b, 7, VARINT);
                put_varint(&mut b, u64::from(*v));
            }
        }
        b
    }
}

/// One layer being filled.
#[derive(Debug)]
pub struct LayerBuilder {
    name: String,
    extent: u32,
    keys: Vec<String>,
    key_index: HashMap<String, u32>,
    values: Vec<Value>,
    value_index: HashMap<ValueKey, u32>,
    features: Vec<Vec<u8>>,
}

impl LayerBuilder {
    pub fn new(name: &str, extent: u32) -> Self {
        Self {
            name: name.to_string(),
            extent,
            keys: Vec::new(),
            key_index: HashMap::new(),
            values: Vec::new(),
            value_index: HashMap::new(),
            features: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Adds a feature; an empty geometry is skipped. Properties with the same key twice keep
    /// the first.
    pub fn add(&mut self, id: Option<u64>, geom: &TileGeom, props: &[(&str, Value)]) {
        if geom.is_empty() {
            return;
        }
        let mut tags = Vec::with_capacity(props.len() * 2);
        let mut seen: Vec<u32> = Vec::with_capacity(props.len());
        for (k, v) in props {
            let ki = match self.key_index.get(*k) {
                Some(&i) => i,
                None => {
                    let i = self.keys.len() as u32;
                    self.keys.push((*k).to_string());
                    self.key_index.insert((*k).to_string(), i);
                    i
                }
            };
            if seen.contains(&ki) {
                continue;
            }
            seen.push(ki);
            let vk = v.key();
            let vi = match self.value_index.get(&vk) {
                Some(&i) => i,
                None => {
                    let i = self.values.len() as u32;
                    self.values.push(v.clone());
                    self.value_index.insert(vk, i);
                    i
                }
            };
            tags.push(ki);
            tags.push(vi);
        }
        let mut f = Vec::new();
        if let Some(id) = id {
            put_key(&mut f, 1, VARINT);
            put_varint(&mut f, id);
        }
        if !tags.is_empty() {
            put_packed(&mut f, 2, &tags);
        }
        put_key(&mut f, 3, VARINT);
        put_varint(&mut f, u64::from(geom.geom_type()));
        put_packed(&mut f, 4, &geom.encode());
        self.features.push(f);
    }

    /// The encoded layer message (version 2).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        put_key(&mut b, 15, VARINT);
        put_varint(&mut b, 2);
        put_bytes(&mut b, 1, self.name.as_bytes());
        for f in &self.features {
            put_bytes(&mut b, 2, f);
        }
        for k in &self.keys {
            put_bytes(&mut b, 3, k.as_bytes());
        }
        for v in &self.values {
            put_bytes(&mut b, 4, &v.encode());
        }
        put_key(&mut b, 5, VARINT);
        put_varint(&mut b, u64::from(self.extent));
        b
    }
}

/// A tile from its layers (empty layers are left out).
pub fn encode_tile(layers: &[LayerBuilder]) -> Vec<u8> {
    let mut b = Vec::new();
    for l in layers.iter().filter(|l| !l.is_empty()) {
        put_bytes(&mut b, 3, &l.encode());
    }
    b
}
