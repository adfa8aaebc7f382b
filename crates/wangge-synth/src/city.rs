//! The city layout, built in local metres and converted to WGS84 at the end.

use crate::incidents::incidents;
use crate::rng::Rng;
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};
use std::collections::BTreeMap;
use wangge_core::{
    AddressPoint, Building, Community, Dataset, Facility, FacilityCategory, LocalFrame, Progress,
    Street,
};

/// Parameters of a synthetic city.
#[derive(Debug, Clone, PartialEq)]
pub struct CityParams {
    /// Households to generate (the result is within a few percent).
    pub households: u64,
    pub seed: u64,
    /// Centre of the district (lon, lat); default: Nanjing.
    pub centre: (f64, f64),
    /// Days of incident history, ending on `history_end_unix`.
    pub history_days: u32,
    pub history_end_unix: i64,
    /// Incidents per household per year.
    pub incident_rate: f64,
}

impl CityParams {
    /// Defaults for a number of households and a seed.
    pub fn new(households: u64, seed: u64) -> Self {
        Self {
            households,
            seed,
            centre: (118.78, 32.04),
            history_days: 365,
            // 2026-11-01T00:00:00+08:00
            history_end_unix: 1_793_462_400,
            incident_rate: 0.25,
        }
    }
}

/// Side of one community cell (m), street centre line to street centre line.
pub(crate) const CELL_M: f64 = 400.0;
/// Distance from the street centre line to the compound fence (m): frontage for shops.
const SETBACK_M: f64 = 22.0;
/// Households per community: mean.
const COMMUNITY_HH: f64 = 2000.0;

const NAME_A: &[&str] = &[
    "和", "平", "安", "康", "福", "兴", "华", "新", "春", "翠", "竹", "梅", "锦", "瑞", "祥", "丰",
    "富", "嘉", "明", "阳",
];
const NAME_B: &[&str] = &[
    "园", "苑", "里", "村", "湖", "山", "桥", "巷", "坊", "庭", "城", "湾", "河", "林", "门", "台",
];
const ROADS: &[&str] = &[
    "中山",
    "北京",
    "珠江",
    "龙蟠",
    "太平",
    "洪武",
    "汉中",
    "虎踞",
    "广州",
    "长江",
    "黄河",
    "北京东",
    "玄武",
    "湖南",
    "丹凤",
    "进香河",
];

/// Display names per category, in Chinese as a street office would label them.
fn display(cat: &str) -> &'static str {
    match cat {
        "kindergarten" => "幼儿园",
        "primary_school" => "小学",
        "middle_school" => "中学",
        "health_station" => "社区卫生服务站",
        "hospital" => "医院",
        "pharmacy" => "药店",
        "elderly_care" => "日间照料中心",
        "community_centre" => "社区党群服务中心",
        "culture" => "文化活动室",
        "sports" => "健身场地",
        "park" => "口袋公园",
        "fresh_market" => "农贸市场",
        "supermarket" => "超市",
        "convenience_store" => "便利店",
        "food" => "餐馆",
        "police" => "警务室",
        _ => "设施",
    }
}

/// (category, probability per community, max count).
const FACILITY_MIX: &[(&str, f64, u32)] = &[
    ("convenience_store", 0.9, 3),
    ("food", 0.95, 5),
    ("community_centre", 0.85, 1),
    ("kindergarten", 0.6, 1),
    ("health_station", 0.5, 1),
    ("pharmacy", 0.5, 2),
    ("elderly_care", 0.4, 1),
    ("fresh_market", 0.3, 1),
    ("supermarket", 0.25, 1),
    ("primary_school", 0.2, 1),
    ("middle_school", 0.1, 1),
    ("park", 0.2, 1),
    ("sports", 0.2, 1),
    ("culture", 0.12, 1),
    ("police", 0.08, 1),
    ("hospital", 0.03, 1),
];

struct Builder {
    frame: LocalFrame,
    out: Dataset,
}

impl Builder {
    fn ll(&self, x: f64, y: f64) -> Coord<f64> {
        self.frame.inverse(Coord { x, y })
    }

    fn rect(&self, x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
            .iter()
            .map(|&(x, y)| self.ll(x, y))
            .collect();
        MultiPolygon(vec![Polygon::new(LineString(ring), vec![])])
    }

    fn street(
        &mut self,
        key: String,
        highway: &str,
        name: Option<String>,
        pts: &[(f64, f64)],
        tags: &[(&str, &str)],
    ) {
        let mut t: BTreeMap<String, String> = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        t.insert("highway".into(), highway.into());
        if let Some(n) = &name {
            t.insert("name".into(), n.clone());
        }
        let geometry = LineString(pts.iter().map(|&(x, y)| self.ll(x, y)).collect());
        self.out.streets.push(Street {
            key,
            highway: highway.into(),
            name,
            tags: t,
            geometry,
        });
    }
}

/// Generates a city.
pub fn generate(params: &CityParams, progress: &dyn Progress) -> Dataset {
    let root = Rng::new(params.seed);
    let n_comm = ((params.households as f64 / COMMUNITY_HH).round() as usize).max(1);
    let cols = (n_comm as f64).sqrt().ceil() as usize;
    let rows = n_comm.div_ceil(cols);
    let (w, h) = (cols as f64 * CELL_M, rows as f64 * CELL_M);
    let frame = LocalFrame::new(params.centre.0, params.centre.1);
    let mut b = Builder {
        frame,
        out: Dataset::default(),
    };
    let (ox, oy) = (-w / 2.0, -h / 2.0);
    progress.start("generating city", Some(n_comm as u64));

    // Streets: arterials every second cell line, branch streets between; one segment per cell
    // edge so that intersections are shared nodes.
    for i in 0..=cols {
        let x = ox + i as f64 * CELL_M;
        let arterial = i % 2 == 0;
        let name = format!("{}路", ROADS[i % ROADS.len()]);
        for j in 0..rows {
            let (y0, y1) = (oy + j as f64 * CELL_M, oy + (j + 1) as f64 * CELL_M);
            let (hw, tags): (&str, &[(&str, &str)]) = if arterial {
                ("primary", &[("sidewalk", "both"), ("lanes", "6")])
            } else {
                ("residential", &[("sidewalk", "both")])
            };
            b.street(
                format!("synth:sv{i}_{j}"),
                hw,
                Some(name.clone()),
                &[(x, y0), (x, y1)],
                tags,
            );
        }
    }
    for j in 0..=rows {
        let y = oy + j as f64 * CELL_M;
        let arterial = j % 2 == 0;
        let name = format!("{}街", ROADS[(j + 7) % ROADS.len()]);
        for i in 0..cols {
            let (x0, x1) = (ox + i as f64 * CELL_M, ox + (i + 1) as f64 * CELL_M);
            let (hw, tags): (&str, &[(&str, &str)]) = if arterial {
                ("secondary", &[("sidewalk", "both")])
            } else {
                ("residential", &[("sidewalk", "both")])
            };
            b.street(
                format!("synth:sh{i}_{j}"),
                hw,
                Some(name.clone()),
                &[(x0, y), (x1, y)],
                tags,
            );
        }
    }

    let per_comm = params.households as f64 / n_comm as f64;
    for c in 0..n_comm {
        let (ci, cj) = (c % cols, c / cols);
        let (x0, y0) = (ox + ci as f64 * CELL_M, oy + cj as f64 * CELL_M);
        let mut r = root.fork(c as u64 + 1);
        let name = format!(
            "{}{}社区",
            NAME_A[r.int(0, NAME_A.len() as u32 - 1) as usize],
            NAME_B[r.int(0, NAME_B.len() as u32 - 1) as usize]
        );
        let street_no = (ci / 3) + (cj / 3) * cols.div_ceil(3);
        let code = format!("320102{:03}{:03}", street_no + 1, c + 1);
        b.out.communities.push(Community {
            key: code.clone(),
            name,
            street: Some(format!("{}街道", ROADS[street_no % ROADS.len()])),
            kind: "synthetic".into(),
            geometry: b.rect(x0, y0, x0 + CELL_M, y0 + CELL_M),
        });
        let target = (per_comm * r.range(0.9, 1.1)).round() as u32;
        compound(&mut b, &mut r, &code, x0, y0, target);
        facilities(&mut b, &mut r, &code, x0, y0);
        progress.advance(1);
    }
    progress.finish();
    let inc = incidents(&b.out, params, &root.fork(0xABCD), &frame);
    b.out.incidents = inc;
    b.out
}

/// One gated compound filling a community cell: walk-up slabs, point towers or both, with
/// lanes between the rows and unit entrances on the south façades.
fn compound(b: &mut Builder, r: &mut Rng, code: &str, x0: f64, y0: f64, target: u32) {
    let style = r.weighted(&[0.45, 0.35, 0.2]); // walk-up, tower, mixed
    let (ix0, iy0, ix1, iy1) = (
        x0 + SETBACK_M,
        y0 + SETBACK_M,
        x0 + CELL_M - SETBACK_M,
        y0 + CELL_M - SETBACK_M,
    );
    let mid = x0 + CELL_M / 2.0;
    // Central lane from the south gate to the north gate.
    b.street(
        format!("synth:{code}:lane"),
        "service",
        None,
        &[(mid, y0), (mid, y0 + CELL_M)],
        &[("service", "driveway")],
    );
    let mut households = 0u32;
    let mut y = iy0 + 8.0;
    let mut row = 0;
    let mut n_building = 0;
    while y < iy1 - 20.0 && households < target {
        let tower_row = match style {
            0 => false,
            1 => true,
            _ => row % 2 == 1,
        };
        let depth = if tower_row { 22.0 } else { 12.0 };
        if y + depth > iy1 {
            break;
        }
        // A lane along the south side of the row, from the central lane to both fences.
        b.street(
            format!("synth:{code}:row{row}"),
            "footway",
            None,
            &[(ix0, y - 4.0), (ix1, y - 4.0)],
            &[],
        );
        for (from, to) in [(ix0 + 4.0, mid - 8.0), (mid + 8.0, ix1 - 4.0)] {
            let mut x = from;
            loop {
                if households >= target {
                    break;
                }
                let (len, units, floors, per_floor, tower) = if tower_row {
                    let superlative = r.chance(0.06);
                    if superlative {
                        (28.0, 1, r.int(30, 34), r.int(7, 8), true)
                    } else {
                        (28.0, r.int(1, 2), r.int(18, 33), r.int(2, 4), true)
                    }
                } else {
                    let units = r.int(3, 5);
                    (units as f64 * 14.0, units, r.int(5, 7), 2, false)
                };
                if x + len > to {
                    break;
                }
                let key = format!("synth:{code}:b{n_building}");
                n_building += 1;
                let hh_unit = floors * per_floor;
                let total = hh_unit * units;
                b.out.buildings.push(Building {
                    key: key.clone(),
                    kind: if tower {
                        "residential".into()
                    } else {
                        "apartments".into()
                    },
                    name: Some(format!("{}栋", n_building)),
                    levels_given: Some(floors),
                    levels: floors,
                    footprint_m2: len * depth,
                    households: total,
                    households_estimated: false,
                    geometry: b.rect(x, y, x + len, y + depth),
                });
                for u in 0..units {
                    let ux = x + (u as f64 + 0.5) * len / units as f64;
                    let loc = b.ll(ux, y - 0.5);
                    b.out.address_points.push(AddressPoint {
                        key: format!("{key}:u{}", u + 1),
                        building: Some(key.clone()),
                        households: hh_unit,
                        households_estimated: false,
                        units: Some(1),
                        floors: Some(floors),
                        location: Point(loc),
                    });
                }
                households += total;
                x += len + if tower { 30.0 } else { 10.0 };
            }
        }
        y += depth + if tower_row { 40.0 } else { 22.0 };
        row += 1;
    }
}

fn facilities(b: &mut Builder, r: &mut Rng, code: &str, x0: f64, y0: f64) {
    let mut n = 0;
    for &(cat, p, max) in FACILITY_MIX {
        if !r.chance(p) {
            continue;
        }
        let count = r.int(1, max);
        for _ in 0..count {
            // In the frontage band between the street and the fence, on a random side.
            let along = r.range(30.0, CELL_M - 30.0);
            let inset = r.range(8.0, SETBACK_M - 4.0);
            let (x, y) = match r.int(0, 3) {
                0 => (x0 + along, y0 + inset),
                1 => (x0 + along, y0 + CELL_M - inset),
                2 => (x0 + inset, y0 + along),
                _ => (x0 + CELL_M - inset, y0 + along),
            };
            let loc = b.ll(x, y);
            b.out.facilities.push(Facility {
                key: format!("synth:{code}:f{n}"),
                category: FacilityCategory::new(cat).expect("FACILITY_MIX holds valid codes"),
                name: Some(display(cat).to_string()),
                source_kind: cat.to_string(),
                location: Point(loc),
            });
            n += 1;
        }
    }
}
