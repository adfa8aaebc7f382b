use geo_types::Point;

/// An address point or unit entrance (单元门) with its households.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressPoint {
    pub key: String,
    /// Key of the building it opens into, when known.
    pub building: Option<String>,
    pub households: u32,
    /// True when `households` is an estimate (from a footprint or a population grid).
    pub households_estimated: bool,
    /// Units (entrances) and floors behind this point, when given: used to split large
    /// buildings across grids.
    pub units: Option<u32>,
    pub floors: Option<u32>,
    pub location: Point<f64>,
}
