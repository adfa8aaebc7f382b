use geo_types::LineString;
use std::collections::BTreeMap;

/// A street or path segment, with the tags that decide who may walk it.
#[derive(Debug, Clone, PartialEq)]
pub struct Street {
    pub key: String,
    /// `highway=*` class (`primary`, `residential`, `footway`, ...).
    pub highway: String,
    pub name: Option<String>,
    /// All source tags (foot, access, sidewalk, oneway, bridge, ...), kept for the walking
    /// network and the basemap.
    pub tags: BTreeMap<String, String>,
    pub geometry: LineString<f64>,
}

impl Street {
    /// A tag value.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }
}
