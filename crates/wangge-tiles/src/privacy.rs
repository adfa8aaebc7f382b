//! What aggregates may show: below these sizes a figure is not drawn, so that no household
//! can be singled out from a map.

/// Households (peak-normalised, within the heat kernel; or in a community's total) below
/// which a rate or a total is not shown.
pub const MIN_HOUSEHOLDS: f64 = 20.0;
