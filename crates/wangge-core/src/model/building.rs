use geo_types::MultiPolygon;

/// A building footprint with what is known of its storeys and households.
#[derive(Debug, Clone, PartialEq)]
pub struct Building {
    pub key: String,
    /// Building type as tagged (`apartments`, `residential`, `yes`, `school`, ...).
    pub kind: String,
    pub name: Option<String>,
    /// Storeys as given by the source, if any.
    pub levels_given: Option<u32>,
    /// Storeys used for the household estimate (given, or the default for the kind).
    pub levels: u32,
    pub footprint_m2: f64,
    /// Households living here (0 for non-residential buildings).
    pub households: u32,
    /// True when `households` is an estimate rather than given data.
    pub households_estimated: bool,
    pub geometry: MultiPolygon<f64>,
}
