use geo_types::MultiPolygon;

/// A community (社区): the unit that is partitioned into grids of at most 200 households.
#[derive(Debug, Clone, PartialEq)]
pub struct Community {
    /// Stable code, unique in a workspace (e.g. the official code, `CPTVID` in Taipei).
    pub key: String,
    pub name: String,
    /// The parent street office (街道) or district, when known.
    pub street: Option<String>,
    /// Where it came from: `official` (imported boundary), `osm_landuse` or `osm_admin`
    /// (candidate polygons from OpenStreetMap), `synthetic`.
    pub kind: String,
    pub geometry: MultiPolygon<f64>,
}
