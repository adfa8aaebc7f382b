//! Incidents as clients send them to the HTTP API: a JSON object or array, a GeoJSON Feature
//! or FeatureCollection, or CSV with a header. Every item is checked; a batch with any bad
//! item is refused whole, with each problem named by position and id.
//!
//! Fields: `id` (the client's case number; keeps retries from duplicating), `time` (default:
//! now), `category` (a taxonomy code, Chinese name or alias), `source` (default `other`),
//! `status` (default `reported`), `component` (the key of the city component it is about,
//! optional), and the location as `lon`/`lat`, `location: [lon, lat]` or
//! a GeoJSON Point, in the request's coordinate system (WGS84 by default; GCJ-02 and BD-09
//! accepted).

use crate::{FeatureProblem, ToWgs84};
use geo_types::{Coord, Point};
use serde_json::Value;
use wangge_core::{Incident, IncidentSource, IncidentStatus, Taxonomy, Timestamp};

/// What the body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    Json,
    GeoJson,
    Csv,
}

impl Payload {
    /// From a Content-Type header (parameters ignored).
    pub fn from_content_type(ct: &str) -> Option<Self> {
        match ct.split(';').next().unwrap_or("").trim() {
            "application/json" => Some(Self::Json),
            "application/geo+json" => Some(Self::GeoJson),
            "text/csv" => Some(Self::Csv),
            _ => None,
        }
    }
}

/// How items become incidents.
pub struct Context<'a> {
    pub taxonomy: &'a Taxonomy,
    /// Used for items without a time, and for ids the server makes up.
    pub now: Timestamp,
    /// Offset of times without a zone (default +08:00).
    pub utc_offset_s: i32,
    /// Coordinates not in WGS84.
    pub crs: Option<&'a ToWgs84>,
    /// Prefix of made-up ids (items without `id`).
    pub id_prefix: String,
}

/// Parses a body into incidents (status and steps as given; not yet assigned). At most
/// `max_items`; problems are listed per item.
pub fn parse_incidents(
    body: &[u8],
    kind: Payload,
    cx: &Context<'_>,
    max_items: usize,
) -> Result<Vec<Incident>, PayloadError> {
    let one = |m: String| {
        PayloadError::Invalid(vec![FeatureProblem {
            index: 0,
            id: None,
            message: m,
        }])
    };
    let items: Vec<Item> = match kind {
        Payload::Csv => csv_items(body).map_err(one)?,
        Payload::Json | Payload::GeoJson => {
            let v: Value =
                serde_json::from_slice(body).map_err(|e| one(format!("not JSON: {e}")))?;
            json_items(v).map_err(one)?
        }
    };
    if items.is_empty() {
        return Err(one("no incidents in the body".into()));
    }
    if items.len() > max_items {
        return Err(PayloadError::TooMany {
            items: items.len(),
            max: max_items,
        });
    }
    let mut out = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let id = item.text("id");
        match incident(&item, cx, index) {
            Ok(i) => out.push(i),
            Err(message) => problems.push(FeatureProblem { index, id, message }),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(PayloadError::Invalid(problems))
    }
}

/// Why a batch of incidents was refused whole.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayloadError {
    /// More items than one request may carry.
    #[error("{items} incidents in one request; send at most {max} per batch")]
    TooMany { items: usize, max: usize },
    /// Items that cannot be read, each named.
    #[error("{} of the items are invalid; nothing was stored", .0.len())]
    Invalid(Vec<FeatureProblem>),
}

impl PayloadError {
    /// The problems of an invalid batch (none for one that is too large).
    pub fn problems(&self) -> &[FeatureProblem] {
        match self {
            Self::Invalid(p) => p,
            Self::TooMany { .. } => &[],
        }
    }
}

/// One item's fields (text or numbers) and its location when given as geometry.
struct Item {
    fields: serde_json::Map<String, Value>,
    point: Option<Value>,
}

impl Item {
    fn text(&self, k: &str) -> Option<String> {
        match self.fields.get(k)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn number(&self, k: &str) -> Result<Option<f64>, String> {
        match self.fields.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_f64().map(Some).ok_or(format!("{k} is not a number")),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .map(Some)
                .map_err(|_| format!("{k} {s:?} is not a number")),
            Some(v) => Err(format!("{k} {v} is not a number")),
        }
    }
}

fn json_items(v: Value) -> Result<Vec<Item>, String> {
    let feature = |f: Value| -> Result<Item, String> {
        let mut f = match f {
            Value::Object(o) => o,
            other => return Err(format!("an item is not an object: {other}")),
        };
        if f.get("type").and_then(Value::as_str) == Some("Feature") {
            let props = match f.remove("properties") {
                Some(Value::Object(p)) => p,
                _ => serde_json::Map::new(),
            };
            let mut fields = props;
            if let Some(id) = f.remove("id") {
                fields.entry("id").or_insert(id);
            }
            Ok(Item {
                fields,
                point: f.remove("geometry"),
            })
        } else {
            let point = f.remove("location");
            Ok(Item { fields: f, point })
        }
    };
    match v {
        Value::Array(a) => a.into_iter().map(feature).collect(),
        Value::Object(mut o) => match o.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => match o.remove("features") {
                Some(Value::Array(a)) => a.into_iter().map(feature).collect(),
                _ => Err("a FeatureCollection without a features array".into()),
            },
            _ => match o.remove("incidents") {
                Some(Value::Array(a)) => a.into_iter().map(feature).collect(),
                _ => Ok(vec![feature(Value::Object(o))?]),
            },
        },
        other => Err(format!("expected an object or an array, got {other}")),
    }
}

fn csv_items(body: &[u8]) -> Result<Vec<Item>, String> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(body);
    let header: Vec<String> = r
        .headers()
        .map_err(|e| format!("CSV header: {e}"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| format!("CSV row {}: {e}", i + 1))?;
        let fields = header
            .iter()
            .zip(rec.iter())
            .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
            .collect();
        out.push(Item {
            fields,
            point: None,
        });
    }
    Ok(out)
}

fn incident(item: &Item, cx: &Context<'_>, index: usize) -> Result<Incident, String> {
    let key = item
        .text("id")
        .unwrap_or_else(|| format!("{}-{index}", cx.id_prefix));
    if key.len() > 200 {
        return Err("id is longer than 200 characters".into());
    }
    let given = item.text("category").ok_or("category is missing")?;
    let category = cx.taxonomy.resolve(&given).ok_or_else(|| {
        format!(
            "category {given:?} is not in the taxonomy ({})",
            cx.taxonomy.codes().collect::<Vec<_>>().join(", ")
        )
    })?;
    let time = match item.text("time") {
        Some(t) => Timestamp::parse(&t, cx.utc_offset_s).map_err(|e| e.to_string())?,
        None => cx.now,
    };
    let source = match item.text("source") {
        Some(s) => IncidentSource::parse(&s).map_err(|e| e.to_string())?,
        None => IncidentSource::Other,
    };
    let status = match item.text("status") {
        Some(s) => IncidentStatus::parse(&s).map_err(|e| e.to_string())?,
        None => IncidentStatus::Reported,
    };
    let (x, y) = match (&item.point, item.number("lon")?, item.number("lat")?) {
        (_, Some(x), Some(y)) => (x, y),
        (Some(p), _, _) => point_of(p)?,
        _ => return Err("no location: give lon and lat, location [lon, lat] or a Point".into()),
    };
    if !x.is_finite() || !y.is_finite() {
        return Err("the location is not a finite number".into());
    }
    let c = match cx.crs {
        Some(t) => t.convert(Coord { x, y }).map_err(|e| e.to_string())?,
        None => Coord { x, y },
    };
    if !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y) {
        return Err(format!(
            "location ({}, {}) is not a longitude/latitude (give ?crs= for projected coordinates)",
            c.x, c.y
        ));
    }
    let mut i = Incident::reported(key, time, category.code.clone(), source, Point(c));
    if given != category.code {
        i.raw_category = Some(given);
    }
    i.status = status;
    i.component = item.text("component").filter(|c| !c.trim().is_empty());
    Ok(i)
}

fn point_of(v: &Value) -> Result<(f64, f64), String> {
    let coords = match v {
        Value::Array(a) => a,
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("Point") => o
            .get("coordinates")
            .and_then(Value::as_array)
            .ok_or("a Point without coordinates")?,
        Value::Object(o) => {
            return Err(format!(
                "geometry {} is not a Point",
                o.get("type").and_then(Value::as_str).unwrap_or("?")
            ));
        }
        _ => return Err("location is not [lon, lat]".into()),
    };
    match coords.as_slice() {
        [x, y, ..] => Ok((
            x.as_f64().ok_or("longitude is not a number")?,
            y.as_f64().ok_or("latitude is not a number")?,
        )),
        _ => Err("a location needs two numbers".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(t: &Taxonomy) -> Context<'_> {
        Context {
            taxonomy: t,
            now: Timestamp::from_unix(1_790_000_000),
            utc_offset_s: 8 * 3600,
            crs: None,
            id_prefix: "api:1".into(),
        }
    }

    #[test]
    fn the_three_formats_give_the_same_incident() {
        let t = Taxonomy::builtin();
        let json = r#"{"id": "A1", "time": "2026-11-01 08:00", "category": "噪声扰民",
                        "source": "12345", "lon": 118.79, "lat": 32.05}"#
            .as_bytes();
        let geo = r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "A1",
            "properties": {"time": "2026-11-01 08:00", "category": "噪声扰民", "source": "12345"},
            "geometry": {"type": "Point", "coordinates": [118.79, 32.05]}}]}"#
            .as_bytes();
        let csv = "\u{feff}id,time,category,source,lon,lat\nA1,2026-11-01 08:00,噪声扰民,12345,118.79,32.05\n";
        let a = parse_incidents(json, Payload::Json, &cx(&t), 10).expect("json");
        let b = parse_incidents(geo, Payload::GeoJson, &cx(&t), 10).expect("geojson");
        let c = parse_incidents(csv.as_bytes(), Payload::Csv, &cx(&t), 10).expect("csv");
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a[0].category, "noise");
        assert_eq!(a[0].raw_category.as_deref(), Some("噪声扰民"));
        assert_eq!(a[0].source, IncidentSource::Hotline);
        // 2026-11-01 08:00 +08:00 is midnight UTC.
        assert_eq!(a[0].time.unix(), 1_793_491_200);
    }

    #[test]
    fn bad_items_are_named_and_the_batch_refused() {
        let t = Taxonomy::builtin();
        let body = br#"[{"id": "ok", "category": "noise", "lon": 118.8, "lat": 32.0},
                        {"id": "b1", "category": "ufo", "lon": 118.8, "lat": 32.0},
                        {"category": "noise", "lon": 418.8, "lat": 32.0},
                        {"id": "b3", "category": "noise"}]"#;
        let e = parse_incidents(body, Payload::Json, &cx(&t), 10).expect_err("bad");
        let e = e.problems();
        assert_eq!(e.len(), 3);
        assert_eq!((e[0].index, e[0].id.as_deref()), (1, Some("b1")));
        assert!(
            e[0].message.contains("not in the taxonomy"),
            "{}",
            e[0].message
        );
        assert!(
            e[1].message.contains("longitude/latitude"),
            "{}",
            e[1].message
        );
        assert!(e[2].message.contains("no location"), "{}", e[2].message);
        let many = format!(
            "[{}]",
            [r#"{"category":"noise","lon":1,"lat":1}"#; 3].join(",")
        );
        let e = parse_incidents(many.as_bytes(), Payload::Json, &cx(&t), 2).expect_err("too many");
        assert_eq!(e, PayloadError::TooMany { items: 3, max: 2 });
        assert!(parse_incidents(b"{", Payload::Json, &cx(&t), 2).is_err());
        assert!(parse_incidents(b"[]", Payload::Json, &cx(&t), 2).is_err());
    }
}
