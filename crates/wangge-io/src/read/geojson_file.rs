//! GeoJSON (RFC 7946) FeatureCollections, Features and bare geometries. Geometries are parsed
//! by hand from the JSON so that a bad coordinate (`"NA"`, a missing ordinate, an open ring)
//! becomes a problem of that one feature with a precise message.

use super::{RawFile, Value};
use crate::{CrsSpec, Error, Result};
use geo_types::{
    Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon,
};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;

/// Reads a GeoJSON file feature by feature: a FeatureCollection's `features` are parsed one
/// at a time from a buffered reader and dropped once read, so memory is the features kept
/// and one feature's JSON, never the whole document.
pub(super) fn read(path: &Path) -> Result<RawFile> {
    use std::io::{BufRead, BufReader};
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let head = reader.fill_buf().map_err(|e| Error::io(path, e))?;
    if head.is_empty() {
        return Err(Error::format(path, "the file is empty (0 bytes)"));
    }
    if head.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    let mut file = RawFile {
        encoding: Some("UTF-8"),
        ..RawFile::default()
    };
    let mut fields: Vec<String> = Vec::new();
    let mut index = 0usize;
    let mut take = |f: Json| {
        one_feature(&mut file, &mut fields, index, &f);
        index += 1;
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let rest = serde::de::DeserializeSeed::deserialize(
        Top {
            on_feature: &mut take,
        },
        &mut de,
    )
    .and_then(|rest| de.end().map(|()| rest))
    .map_err(|e| Error::format(path, format!("not valid JSON: {e}")))?;
    let saw_features = rest.features;
    let json = Json::Object(rest.members);
    if let Some(name) = json.pointer("/crs/properties/name").and_then(Json::as_str) {
        file.crs = Some(CrsSpec::parse(name).map_err(|e| Error::format(path, e.to_string()))?);
    }
    match (json.get("type").and_then(Json::as_str), saw_features) {
        (Some("FeatureCollection"), true) => {}
        (Some("FeatureCollection"), false) => {
            return Err(Error::format(
                path,
                "FeatureCollection without a \"features\" array",
            ));
        }
        (_, true) => {
            return Err(Error::format(
                path,
                "a \"features\" array outside a FeatureCollection",
            ));
        }
        (Some("Feature"), false) => one_feature(&mut file, &mut fields, 0, &json),
        (Some(_), false) => one_feature(
            &mut file,
            &mut fields,
            0,
            &serde_json::json!({"type": "Feature", "geometry": json, "properties": {}}),
        ),
        (None, false) => return Err(Error::format(path, "not GeoJSON: no \"type\" member")),
    }
    file.fields = fields;
    Ok(file)
}

/// One feature into the file: its properties (new names added to `fields`) and geometry.
fn one_feature(file: &mut RawFile, fields: &mut Vec<String>, index: usize, f: &Json) {
    file.total += 1;
    let mut props = BTreeMap::new();
    if let Some(Json::Object(o)) = f.get("properties") {
        for (k, v) in o {
            if !fields.contains(k) {
                fields.push(k.clone());
            }
            props.insert(k.clone(), json_value(v));
        }
    }
    if let Some(id) = f.get("id").map(json_value) {
        props.entry("id".to_string()).or_insert(id);
    }
    let id = props.get("id").and_then(Value::as_text);
    let geometry = match f.get("geometry") {
        None | Some(Json::Null) => Err("has no geometry".to_string()),
        Some(g) => geometry(g),
    };
    file.push(index, id, props, geometry);
}

/// The top-level object, streamed: `features` handed over one by one, every other member kept.
struct Top<'a> {
    on_feature: &'a mut dyn FnMut(Json),
}

/// What is left of the top-level object.
struct TopRest {
    members: serde_json::Map<String, Json>,
    features: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for Top<'_> {
    type Value = TopRest;
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<TopRest, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Top<'_> {
    type Value = TopRest;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a GeoJSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<TopRest, A::Error> {
        let mut rest = TopRest {
            members: serde_json::Map::new(),
            features: false,
        };
        while let Some(key) = map.next_key::<String>()? {
            if key == "features" {
                map.next_value_seed(Features {
                    on_feature: &mut *self.on_feature,
                })?;
                rest.features = true;
            } else {
                let v: Json = map.next_value()?;
                rest.members.insert(key, v);
            }
        }
        Ok(rest)
    }
}

/// The `features` array, one element at a time.
struct Features<'a> {
    on_feature: &'a mut dyn FnMut(Json),
}

impl<'de> serde::de::DeserializeSeed<'de> for Features<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Features<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of features")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<(), A::Error> {
        while let Some(f) = seq.next_element::<Json>()? {
            (self.on_feature)(f);
        }
        Ok(())
    }
}

fn json_value(v: &Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n.as_f64().map_or(Value::Null, Value::Number),
        Json::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
}

fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

fn position(v: &Json) -> std::result::Result<Coord<f64>, String> {
    let a = v
        .as_array()
        .ok_or_else(|| format!("a position must be an array of numbers, found {}", short(v)))?;
    if a.len() < 2 {
        return Err(format!("a position needs 2 numbers, found {}", short(v)));
    }
    match (a[0].as_f64(), a[1].as_f64()) {
        (Some(x), Some(y)) if x.is_finite() && y.is_finite() => Ok(Coord { x, y }),
        _ => Err(format!("coordinates are not numbers: {}", short(v))),
    }
}

fn positions(v: &Json) -> std::result::Result<Vec<Coord<f64>>, String> {
    v.as_array()
        .ok_or_else(|| format!("expected an array of positions, found {}", short(v)))?
        .iter()
        .map(position)
        .collect()
}

fn line(v: &Json) -> std::result::Result<LineString<f64>, String> {
    let p = positions(v)?;
    if p.len() < 2 {
        return Err(format!(
            "a line needs at least 2 positions, found {}",
            p.len()
        ));
    }
    Ok(LineString(p))
}

fn ring(v: &Json, which: &str) -> std::result::Result<LineString<f64>, String> {
    let p = positions(v)?;
    if p.len() < 4 {
        return Err(format!(
            "{which} ring has {} positions; a ring needs at least 4",
            p.len()
        ));
    }
    if p.first() != p.last() {
        return Err(format!(
            "{which} ring is not closed: it starts at ({}, {}) and ends at ({}, {})",
            p[0].x,
            p[0].y,
            p[p.len() - 1].x,
            p[p.len() - 1].y
        ));
    }
    Ok(LineString(p))
}

fn polygon(v: &Json) -> std::result::Result<Polygon<f64>, String> {
    let rings = v
        .as_array()
        .ok_or_else(|| format!("a polygon must be an array of rings, found {}", short(v)))?;
    let Some((first, rest)) = rings.split_first() else {
        return Err("polygon is empty".into());
    };
    let ext = ring(first, "exterior")?;
    let holes = rest
        .iter()
        .map(|r| ring(r, "interior"))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Polygon::new(ext, holes))
}

fn array<'a>(v: &'a Json, what: &str) -> std::result::Result<&'a Vec<Json>, String> {
    let a = v
        .as_array()
        .ok_or_else(|| format!("{what} coordinates must be an array"))?;
    if a.is_empty() {
        return Err(format!("empty geometry ({what} with no coordinates)"));
    }
    Ok(a)
}

/// Parses a GeoJSON geometry object.
pub(crate) fn geometry(g: &Json) -> std::result::Result<Geometry<f64>, String> {
    let t = g
        .get("type")
        .and_then(Json::as_str)
        .ok_or("geometry has no \"type\"")?;
    if t == "GeometryCollection" {
        return Err("GeometryCollection is not supported; split it into features".into());
    }
    let c = g
        .get("coordinates")
        .ok_or_else(|| format!("{t} has no \"coordinates\""))?;
    Ok(match t {
        "Point" => {
            if c.as_array().is_some_and(Vec::is_empty) {
                return Err("empty geometry (Point with no coordinates)".into());
            }
            Geometry::Point(Point(position(c)?))
        }
        "MultiPoint" => Geometry::MultiPoint(MultiPoint(
            array(c, t)?
                .iter()
                .map(|p| position(p).map(Point))
                .collect::<std::result::Result<_, _>>()?,
        )),
        "LineString" => {
            array(c, t)?;
            Geometry::LineString(line(c)?)
        }
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(
            array(c, t)?
                .iter()
                .map(line)
                .collect::<std::result::Result<_, _>>()?,
        )),
        "Polygon" => {
            array(c, t)?;
            Geometry::Polygon(polygon(c)?)
        }
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(
            array(c, t)?
                .iter()
                .map(polygon)
                .collect::<std::result::Result<_, _>>()?,
        )),
        other => return Err(format!("unknown geometry type {other:?}")),
    })
}
