//! The adjacency of units: an edge with its cut cost and the street it crosses.

/// One adjacency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub to: usize,
    /// Cut cost: shared length × street factor.
    pub weight: f64,
    pub length_m: f64,
    /// 1.0 no street between the sites; 0.1 arterial; 0.3 branch street; 0.7 lane or path.
    pub street: f64,
}

/// Street factor of an arterial (primary, secondary, tertiary and up): the smallest.
pub const ARTERIAL: f64 = 0.1;

/// Street factor of a highway class.
pub fn street_factor(highway: &str) -> f64 {
    match highway.trim_end_matches("_link") {
        "motorway" | "trunk" | "primary" | "secondary" | "tertiary" => ARTERIAL,
        "residential" | "unclassified" | "living_street" | "pedestrian" | "road" => 0.3,
        _ => 0.7,
    }
}

/// Test helper: units 0..n on a path, each sharing 1 m with its neighbours.
#[cfg(test)]
pub(crate) fn path_graph(n: usize) -> Vec<Vec<Edge>> {
    (0..n)
        .map(|i| {
            [i.checked_sub(1), (i + 1 < n).then_some(i + 1)]
                .into_iter()
                .flatten()
                .map(|to| Edge {
                    to,
                    weight: 1.0,
                    length_m: 1.0,
                    street: 1.0,
                })
                .collect()
        })
        .collect()
}
