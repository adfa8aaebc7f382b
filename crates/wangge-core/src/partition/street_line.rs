//! A street as the partitioner sees it.

use geo_types::LineString;

/// A street line for the partitioner (lon/lat) with its `highway` class.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetLine {
    pub highway: String,
    pub line: LineString<f64>,
}
