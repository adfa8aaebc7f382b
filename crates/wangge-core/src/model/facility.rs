use crate::FacilityCategory;
use geo_types::Point;

/// A service facility (kindergarten, health station, market, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Facility {
    pub key: String,
    pub category: FacilityCategory,
    pub name: Option<String>,
    /// The source's own type text (`amenity=clinic`, `診所`), kept for re-mapping.
    pub source_kind: String,
    pub location: Point<f64>,
}
