//! Categories coverage cannot judge: a required category with no facility in the workspace,
//! none within the search radius of the district, or none near a walkable way. Their shares
//! are "no data", not 0%: an office must be able to tell "nothing there" from "not imported".
//! One judgement for the CLI (`coverage`, `gaps`, `siting`) and the API (`warnings`).

use crate::LocalFrame;
use geo_types::Point;
use std::fmt;

/// Why a category cannot be judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Absence {
    /// No facility of the category anywhere in the workspace.
    NoFacility,
    /// Facilities exist, but the nearest is farther than the search radius from every
    /// address point's box (`nearest_m`: its distance to that box, m).
    OutOfReach { nearest_m: f64 },
    /// Facilities within reach, but none close enough to a walkable way to be snapped.
    OffNetwork { facilities: usize },
}

/// A required category coverage cannot judge.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingCategory {
    pub category: String,
    pub absence: Absence,
}

impl MissingCategory {
    /// `no_facility`, `out_of_reach` or `off_network` (the API's `reason`).
    pub fn reason(&self) -> &'static str {
        match self.absence {
            Absence::NoFacility => "no_facility",
            Absence::OutOfReach { .. } => "out_of_reach",
            Absence::OffNetwork { .. } => "off_network",
        }
    }
}

impl fmt::Display for MissingCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.category;
        match self.absence {
            Absence::NoFacility => write!(
                f,
                "{c}: no facility of this category in the workspace (none exists, or it was not imported); shown as \"no data\", not 0%"
            ),
            Absence::OutOfReach { nearest_m } => write!(
                f,
                "{c}: no facility within the search radius of the district (the nearest is {:.0} m beyond its address points); shown as \"no data\", not 0%",
                nearest_m
            ),
            Absence::OffNetwork { facilities } => write!(
                f,
                "{c}: none of its {facilities} facilities within reach is near a walkable way; shown as \"no data\", not 0%"
            ),
        }
    }
}

/// The required `categories` coverage cannot judge, in their order. `facilities` are
/// (catalogue category, lon/lat); `limit_m` the search radius; `on_network` whether a
/// facility snaps onto the walking network.
pub fn missing_categories(
    frame: LocalFrame,
    points: &[Point<f64>],
    facilities: &[(String, Point<f64>)],
    categories: &[String],
    limit_m: f64,
    on_network: impl Fn(Point<f64>) -> bool,
) -> Vec<MissingCategory> {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in points {
        let c = frame.forward(p.0);
        lo = [lo[0].min(c.x), lo[1].min(c.y)];
        hi = [hi[0].max(c.x), hi[1].max(c.y)];
    }
    let to_box = |p: Point<f64>| {
        let c = frame.forward(p.0);
        let dx = (lo[0] - c.x).max(c.x - hi[0]).max(0.0);
        let dy = (lo[1] - c.y).max(c.y - hi[1]).max(0.0);
        dx.hypot(dy)
    };
    let mut out = Vec::new();
    for cat in categories {
        let mut nearest = f64::INFINITY;
        let mut within = 0;
        let mut snapped = false;
        for (_, p) in facilities.iter().filter(|(c, _)| c == cat) {
            let d = to_box(*p);
            nearest = nearest.min(d);
            if d <= limit_m {
                within += 1;
                snapped = snapped || on_network(*p);
            }
        }
        let absence = if nearest.is_infinite() {
            Absence::NoFacility
        } else if within == 0 {
            Absence::OutOfReach { nearest_m: nearest }
        } else if !snapped {
            Absence::OffNetwork { facilities: within }
        } else {
            continue;
        };
        out.push(MissingCategory {
            category: cat.clone(),
            absence,
        });
    }
    out
}

/// A circle's categories split into those judged (indices into `categories`) and those not
/// (names): completeness is measured over the first and says which are the second.
pub fn judged(
    circle: &[String],
    categories: &[String],
    missing: &[MissingCategory],
) -> (Vec<usize>, Vec<String>) {
    let mut yes = Vec::new();
    let mut no = Vec::new();
    for c in circle {
        if missing.iter().any(|m| &m.category == c) {
            no.push(c.clone());
        } else if let Some(i) = categories.iter().position(|x| x == c) {
            yes.push(i);
        }
    }
    (yes, no)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(frame: LocalFrame, x: f64, y: f64) -> Point<f64> {
        Point(frame.inverse(geo_types::Coord { x, y }))
    }

    #[test]
    fn tells_none_from_far_from_off_network_and_keeps_order() {
        let f = LocalFrame::new(118.8, 32.05);
        let points = [at(f, 0.0, 0.0), at(f, 500.0, 300.0)];
        let fac = |c: &str, x, y| (c.to_string(), at(f, x, y));
        let facilities = [
            fac("school", 250.0, 100.0),
            fac("market", 5000.0, 300.0),
            fac("clinic", 600.0, 300.0),
        ];
        let cats: Vec<String> = ["pharmacy", "school", "market", "clinic"]
            .map(String::from)
            .to_vec();
        let off = |p: Point<f64>| f.forward(p.0).x < 550.0;
        let m = missing_categories(f, &points, &facilities, &cats, 1000.0, off);
        let got: Vec<(&str, &str)> = m
            .iter()
            .map(|m| (m.category.as_str(), m.reason()))
            .collect();
        assert_eq!(
            got,
            [
                ("pharmacy", "no_facility"),
                ("market", "out_of_reach"),
                ("clinic", "off_network")
            ]
        );
        let Absence::OutOfReach { nearest_m } = m[1].absence else {
            panic!("{m:?}")
        };
        assert!((nearest_m - 4500.0).abs() < 0.5, "{nearest_m}");
        assert!(m[0].to_string().contains("no data"));
        // Within reach and on the network: judged.
        assert!(
            missing_categories(f, &points, &facilities, &cats[1..2], 1000.0, |_| true).is_empty()
        );
    }
}
