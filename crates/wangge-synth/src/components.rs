//! City components (部件) along the generated streets, as a survey would find them: a street
//! lamp every 30 m along streets (alternate sides, 6 m out), manhole covers of the utilities
//! under the carriageway every 45 m, rain grates at the kerb every 40 m, litter bins every
//! 80 m, hydrants every 120 m; benches every 60 m along footways and paths. Most are intact;
//! a few are damaged, missing or occupied, each with the department that owns its kind.

use crate::rng::Rng;
use geo_types::{Coord, Point};
use wangge_core::{Component, ComponentStatus, Dataset, LocalFrame};

/// (subclass, spacing m, offset from the centre line m, owner department, streets it lines).
type Rule = (&'static str, f64, f64, &'static str, fn(&str) -> bool);

fn carriageway(h: &str) -> bool {
    matches!(
        h,
        "primary" | "secondary" | "tertiary" | "residential" | "unclassified" | "living_street"
    )
}

fn walkway(h: &str) -> bool {
    matches!(h, "footway" | "path" | "pedestrian")
}

fn any_street(h: &str) -> bool {
    carriageway(h) || h == "service"
}

const RULES: &[Rule] = &[
    ("0120", 30.0, 6.0, "路灯管理所", any_street),
    ("0101", 90.0, 1.5, "供水公司", carriageway),
    ("0102", 90.0, -1.5, "排水公司", carriageway),
    ("0103", 135.0, 2.5, "排水公司", carriageway),
    ("0104", 40.0, 4.5, "排水公司", carriageway),
    ("0105", 180.0, -2.5, "供电公司", carriageway),
    ("0107", 180.0, 3.0, "通信管理局", carriageway),
    ("0111", 270.0, -3.0, "燃气公司", carriageway),
    ("0310", 80.0, -6.0, "环卫所", any_street),
    ("0117", 120.0, 6.5, "消防救援大队", carriageway),
    ("0406", 60.0, 2.0, "园林绿化所", walkway),
];

/// Components along `data`'s streets (appended to `data.components`).
pub(crate) fn along_streets(data: &mut Dataset, frame: &LocalFrame, root: &Rng) {
    let mut r = root.fork(0xC0_4B_0E);
    let mut n = 0usize;
    let mut out = Vec::new();
    for s in &data.streets {
        let pts: Vec<Coord<f64>> = s.geometry.0.iter().map(|c| frame.forward(*c)).collect();
        for &(class, spacing, offset, owner, lines) in RULES {
            if !lines(&s.highway) {
                continue;
            }
            // Start a random part of the spacing in, so streets do not all align.
            let mut next = r.range(0.2, 1.0) * spacing;
            let mut walked = 0.0;
            let mut side = 1.0;
            for w in pts.windows(2) {
                let (dx, dy) = (w[1].x - w[0].x, w[1].y - w[0].y);
                let len = dx.hypot(dy);
                if len <= 0.0 {
                    continue;
                }
                let (nx, ny) = (-dy / len, dx / len);
                while next <= walked + len {
                    let t = (next - walked) / len;
                    let o = offset * side;
                    if class == "0120" {
                        side = -side;
                    }
                    let at = Coord {
                        x: w[0].x + dx * t + nx * o,
                        y: w[0].y + dy * t + ny * o,
                    };
                    let status = ComponentStatus::ALL[r.weighted(&[0.95, 0.03, 0.01, 0.01])];
                    n += 1;
                    out.push(Component {
                        key: format!("c{n}"),
                        class: class.into(),
                        status,
                        owner: Some(owner.into()),
                        inspected: None,
                        name: None,
                        source_kind: "synthetic".into(),
                        geometry: Point(frame.inverse(at)).into(),
                    });
                    next += spacing;
                }
                walked += len;
            }
        }
    }
    data.components.extend(out);
}

/// The major component class an incident category is about (公用设施, 道路交通, 市容环境,
/// 园林绿化), for the categories that name one.
fn major_of(category: &str) -> Option<&'static str> {
    match category {
        "facilities" => Some("01"),
        "roads" => Some("02"),
        "streetscape" => Some("03"),
        "greenery" => Some("04"),
        _ => None,
    }
}

/// Incidents of a component category name the nearest component of that major class within
/// 25 m, as a grid worker reporting a broken lamp or a missing cover would.
pub(crate) fn link_incidents(data: &mut Dataset, frame: &LocalFrame) {
    for major in ["01", "02", "03", "04"] {
        let (keys, points): (Vec<&str>, Vec<Point<f64>>) = data
            .components
            .iter()
            .filter(|c| c.class.starts_with(major))
            .filter_map(|c| match &c.geometry {
                geo_types::Geometry::Point(p) => Some((c.key.as_str(), *p)),
                _ => None,
            })
            .unzip();
        if keys.is_empty() {
            continue;
        }
        let index = wangge_core::index::PointIndex::new(*frame, &points);
        for i in &mut data.incidents {
            if major_of(&i.category) != Some(major) {
                continue;
            }
            if let Some((k, d)) = index.nearest(i.location)
                && d <= 25.0
            {
                i.component = Some(keys[k].to_string());
            }
        }
    }
}
