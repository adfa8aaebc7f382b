//! The city layout, built in local metres and converted to WGS84 at the end.

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
    /// What the district is built of; with [`Layout::LowRise`], `households` is read as the
    /// number of address points (houses) to generate.
    pub layout: Layout,
}

/// The kind of housing a synthetic district is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Gated compounds of walk-ups and towers: few, large unit entrances (the demo city).
    #[default]
    Compounds,
    /// Detached and terraced houses of 1-6 households on irregular streets with cul-de-sacs:
    /// many small address points, grids of 50-200 of them (`crate::lowrise`).
    LowRise,
    /// A street about every 60 m with a vertex every 10 m, houses along the blocks: about two
    /// walking nodes per house, a real city's network size (`crate::dense`).
    Dense,
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
            layout: Layout::Compounds,
        }
    }

    /// A dense-street district of about `points` houses (address points); fewer incidents
    /// per household, since it is made for walking coverage at city scale.
    pub fn dense(points: u64, seed: u64) -> Self {
        Self {
            layout: Layout::Dense,
            incident_rate: 0.02,
            ..Self::new(points, seed)
        }
    }

    /// A low-rise district of about `points` houses (address points).
    pub fn lowrise(points: u64, seed: u64) -> Self {
        Self {
            layout: Layout::LowRise,
            ..Self::new(points, seed)
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
/// A community name such as 和园社区, drawn from `r`.
pub(crate) fn community_name(r: &mut Rng) -> String {
    format!(
        "{}{}社区",
        NAME_A[r.int(0, NAME_A.len() as u32 - 1) as usize],
        NAME_B[r.int(0, NAME_B.len() as u32 - 1) as usize]
    )
}

pub(crate) const ROADS: &[&str] = &[
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

pub(crate) struct Builder {
    pub(crate) frame: LocalFrame,
    pub(crate) out: Dataset,
}

impl Builder {
    pub(crate) fn ll(&self, x: f64, y: f64) -> Coord<f64> {
        self.frame.inverse(Coord { x, y })
    }

    pub(crate) fn rect(&self, x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
            .iter()
            .map(|&(x, y)| self.ll(x, y))
            .collect();
        MultiPolygon(vec![Polygon::new(LineString(ring), vec![])])
    }

    /// A house of `households` (a terrace when more than one) with its one address point at
    /// `door` (lon/lat); `ring` is its footprint (lon/lat).
    pub(crate) fn house(
        &mut self,
        key: String,
        (households, levels, footprint_m2): (u32, u32, f64),
        ring: Vec<Coord<f64>>,
        door: Coord<f64>,
    ) {
        self.out.buildings.push(Building {
            key: key.clone(),
            kind: if households > 1 { "terrace" } else { "house" }.into(),
            name: None,
            levels_given: Some(levels),
            levels,
            footprint_m2,
            households,
            households_estimated: false,
            geometry: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
        });
        self.out.address_points.push(AddressPoint {
            key: format!("{key}:1"),
            building: Some(key),
            households,
            households_estimated: false,
            units: Some(1),
            floors: Some(levels),
            location: Point(door),
        });
    }

    pub(crate) fn street(
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

/// The compound city: a square lattice of 400 m communities, each one gated compound.
pub(crate) fn compounds(params: &CityParams, root: &Rng, b: &mut Builder, progress: &dyn Progress) {
    let n_comm = ((params.households as f64 / COMMUNITY_HH).round() as usize).max(1);
    let cols = (n_comm as f64).sqrt().ceil() as usize;
    let rows = n_comm.div_ceil(cols);
    let (w, h) = (cols as f64 * CELL_M, rows as f64 * CELL_M);
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
            // The compound gates (lane ends) at mid-cell are shared nodes.
            b.street(
                format!("synth:sh{i}_{j}"),
                hw,
                Some(name.clone()),
                &[(x0, y), (x0 + CELL_M / 2.0, y), (x1, y)],
                tags,
            );
        }
    }

    let per_comm = params.households as f64 / n_comm as f64;
    for c in 0..n_comm {
        let (ci, cj) = (c % cols, c / cols);
        let (x0, y0) = (ox + ci as f64 * CELL_M, oy + cj as f64 * CELL_M);
        let mut r = root.fork(c as u64 + 1);
        let name = community_name(&mut r);
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
        compound(b, &mut r, &code, x0, y0, target);
        facilities(b, &mut r, &code, |r| {
            // In the frontage band between the street and the fence, on a random side.
            let along = r.range(30.0, CELL_M - 30.0);
            let inset = r.range(8.0, SETBACK_M - 4.0);
            match r.int(0, 3) {
                0 => (x0 + along, y0 + inset),
                1 => (x0 + along, y0 + CELL_M - inset),
                2 => (x0 + inset, y0 + along),
                _ => (x0 + CELL_M - inset, y0 + along),
            }
        });
        progress.advance(1);
    }
    progress.finish();
}

/// One gated compound filling a community cell: walk-up slabs, point towers or both, with
/// lanes between the rows and unit entrances on the south façades.
/// A building planned in a row, before the rows are spread over the compound.
struct Planned {
    x: f64,
    len: f64,
    units: u32,
    floors: u32,
    per_floor: u32,
    tower: bool,
}

// Long: one compound laid out row by row (plan the rows, spread them, lane, entrances); the
// generator's random draws must stay in this order for the demo city to stay the same byte for
// byte.
/// One gated compound filling a community cell: walk-up slabs, point towers or both. Rows are
/// planned first (until the household target is met), then spread evenly over the compound's
/// depth, with a lane along each row and unit entrances on the south façades.
fn compound(b: &mut Builder, r: &mut Rng, code: &str, x0: f64, y0: f64, target: u32) {
    let style = r.weighted(&[0.45, 0.35, 0.2]); // walk-up, tower, mixed
    let (ix0, iy0, ix1, iy1) = (
        x0 + SETBACK_M,
        y0 + SETBACK_M,
        x0 + CELL_M - SETBACK_M,
        y0 + CELL_M - SETBACK_M,
    );
    let mid = x0 + CELL_M / 2.0;
    let mut households = 0u32;
    let mut rows: Vec<(f64, Vec<Planned>)> = Vec::new(); // (depth, buildings)
    let mut used = 0.0;
    while households < target {
        let tower_row = match style {
            0 => false,
            1 => true,
            _ => rows.len() % 2 == 1,
        };
        let (depth, gap) = if tower_row {
            (22.0, 40.0)
        } else {
            (12.0, 22.0)
        };
        if used + depth + 8.0 > iy1 - iy0 {
            break;
        }
        let mut row = Vec::new();
        for (from, to) in [(ix0 + 4.0, mid - 8.0), (mid + 8.0, ix1 - 4.0)] {
            let mut x = from;
            while households < target {
                let p = if tower_row {
                    if r.chance(0.06) {
                        Planned {
                            x,
                            len: 28.0,
                            units: 1,
                            floors: r.int(30, 34),
                            per_floor: r.int(7, 8),
                            tower: true,
                        }
                    } else {
                        Planned {
                            x,
                            len: 28.0,
                            units: r.int(1, 2),
                            floors: r.int(18, 33),
                            per_floor: r.int(2, 4),
                            tower: true,
                        }
                    }
                } else {
                    // 多层 walk-ups: 2-4 stair units, mostly 6 floors, 2 flats per landing.
                    let units = r.int(2, 4);
                    Planned {
                        x,
                        len: f64::from(units) * 14.0,
                        units,
                        floors: [5, 6, 6, 6, 7][r.int(0, 4) as usize],
                        per_floor: 2,
                        tower: false,
                    }
                };
                if x + p.len > to {
                    break;
                }
                x += p.len + if p.tower { 30.0 } else { 10.0 };
                households += p.units * p.floors * p.per_floor;
                row.push(p);
            }
        }
        used += depth + gap;
        rows.push((depth, row));
    }
    // Spread the rows over the depth of the compound.
    let depths: f64 = rows.iter().map(|(d, _)| d).sum();
    let free = (iy1 - iy0 - 8.0 - depths).max(0.0);
    let step = if rows.len() > 1 {
        free / rows.len() as f64
    } else {
        free / 2.0
    };
    let mut y = iy0 + 8.0 + step / 2.0;
    // Central lane from the south gate to the north gate, through every footway row.
    let mut lane = vec![(mid, y0)];
    let mut n_building = 0;
    for (row_no, (depth, row)) in rows.into_iter().enumerate() {
        b.street(
            format!("synth:{code}:row{row_no}"),
            "footway",
            None,
            &[(ix0, y - 4.0), (mid, y - 4.0), (ix1, y - 4.0)],
            &[],
        );
        lane.push((mid, y - 4.0));
        for p in row {
            let key = format!("synth:{code}:b{n_building}");
            n_building += 1;
            let hh_unit = p.floors * p.per_floor;
            b.out.buildings.push(Building {
                key: key.clone(),
                kind: if p.tower {
                    "residential".into()
                } else {
                    "apartments".into()
                },
                name: Some(format!("{n_building}栋")),
                levels_given: Some(p.floors),
                levels: p.floors,
                footprint_m2: p.len * depth,
                households: hh_unit * p.units,
                households_estimated: false,
                geometry: b.rect(p.x, y, p.x + p.len, y + depth),
            });
            for u in 0..p.units {
                let ux = p.x + (f64::from(u) + 0.5) * p.len / f64::from(p.units);
                let loc = b.ll(ux, y - 0.5);
                b.out.address_points.push(AddressPoint {
                    key: format!("{key}:u{}", u + 1),
                    building: Some(key.clone()),
                    households: hh_unit,
                    households_estimated: false,
                    units: Some(1),
                    floors: Some(p.floors),
                    location: Point(loc),
                });
            }
        }
        y += depth + step;
    }
    lane.push((mid, y0 + CELL_M));
    b.street(
        format!("synth:{code}:lane"),
        "service",
        None,
        &lane,
        &[("service", "driveway")],
    );
}

/// Facilities of the life-circle mix for one community, each at a place `at` draws (local m).
pub(crate) fn facilities(
    b: &mut Builder,
    r: &mut Rng,
    code: &str,
    mut at: impl FnMut(&mut Rng) -> (f64, f64),
) {
    let mut n = 0;
    for &(cat, p, max) in FACILITY_MIX {
        if !r.chance(p) {
            continue;
        }
        let count = r.int(1, max);
        for _ in 0..count {
            let (x, y) = at(r);
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
