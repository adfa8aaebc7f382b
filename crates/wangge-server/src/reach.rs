//! What the street-office mode asks: walking coverage of a facility category within 5, 10 or
//! 15 minutes over the workspace's street network, per community and grid, the life-circle
//! completeness rate, service areas, gap areas, siting suggestions and what-if changes.
//! Built once per workspace version on first use (`ReachCache`): network, snaps and one
//! distance field per category at the longest circle's reach; every query after that reads
//! the fields, and a what-if clones one field and updates it by a bounded local search.

use crate::AppError;
use crate::contract::reach::{
    CatalogueAnswer, CategoryInfo, CircleInfo, CommunityChange, CommunityCoverage, CoverageAnswer,
    GridCoverage, SiteAnswer, SitingAnswer, Warning, WhatIfAnswer,
};
use geo::Area;
use geo_types::{MultiPolygon, Point};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use wangge_app::HouseholdAreas;
use wangge_core::walk::{
    AreaPoint, AreaShares, Catalogue, Coverage, Field, MissingCategory, NOT_REACHED, Siting,
    SitingInput, Snap, SnapRefusal, Snapper, WalkNetwork, WalkSpeed, gaps, service_areas, site,
};
use wangge_core::{Dataset, LocalFrame};

use wangge_app::walking::{MAX_SNAP_M, WalkError, WalkSettings, WalkingModel};
/// Building frontage of service areas (m) and gap clustering (m), the CLI's defaults.
const FRONTAGE_M: f64 = 20.0;
const GAP_LINK_M: f64 = 150.0;
const GAP_MARGIN_M: f64 = 30.0;
/// Most suggestions one siting request may ask for.
pub const MAX_K: usize = 20;
/// Most facilities one what-if may add.
pub const MAX_ADD: usize = 50;

/// Per catalogue category, every address point's walking distance to the nearest facility
/// as the server holds it (`None` beyond reach): (address keys, categories, distances).
pub type Walks = (Vec<String>, Vec<String>, Vec<Vec<Option<f64>>>);

/// A workspace's walking reach.
pub struct Reach {
    data: Dataset,
    catalogue: Catalogue,
    speed: WalkSpeed,
    net: WalkNetwork,
    snapper: Snapper,
    points: Vec<Option<Snap>>,
    households: Vec<u32>,
    community_of: Vec<Option<usize>>,
    /// Where each address point's households count (wangge-app: the CLI counts the same).
    by_area: HouseholdAreas,
    /// Per category: the distance field and its facilities' keys.
    fields: BTreeMap<String, (Field, Vec<String>)>,
    /// Every address point's walking distance per catalogue category, from the fields: what
    /// coverage per area is tallied from (`Coverage::summarise`, as in the CLI).
    walks: Coverage,
    /// Required categories that cannot be judged (no facility, none within reach, none on
    /// the network): "no data" and a warning wherever they are asked for.
    missing: Vec<MissingCategory>,
    /// Service areas already drawn: (category, minutes) → GeoJSON.
    areas: Mutex<HashMap<(String, u32), Arc<Value>>>,
}

/// The reach of the workspace's current version, rebuilt when the version changes.
#[derive(Default)]
pub struct ReachCache(Mutex<Option<(String, Arc<Reach>)>>);

impl ReachCache {
    /// The reach for `version`, built if needed (blocking; seconds on a city).
    pub fn get(&self, path: &Path, version: &str) -> Result<Arc<Reach>, AppError> {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((v, r)) = &*held
            && v == version
        {
            return Ok(r.clone());
        }
        let r = Arc::new(Reach::build(path)?);
        *held = Some((version.to_string(), r.clone()));
        Ok(r)
    }
}

/// A workspace without a walking model is "not found" (nothing to walk on), a store failure
/// by its kind.
fn walk_error(e: WalkError) -> AppError {
    match e {
        WalkError::Store(e) => crate::error::io(e),
        other => AppError::NotFound(other.to_string()),
    }
}

fn pct(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| (a as f64 * 1000.0 / b as f64).round() / 10.0)
}

impl Reach {
    // Long: the street-office model built once per data version: walking model, distance fields
    // per category, per-point walks; the steps share the network.
    /// Loads the workspace and builds the network, snaps and fields.
    pub fn build(path: &Path) -> Result<Self, AppError> {
        let store =
            wangge_app::open_store(path, wangge_app::Access::Read).map_err(crate::error::io)?;
        // The one walking model (wangge-app), with the CLI's defaults.
        let model =
            WalkingModel::load(store.as_ref(), WalkSettings::standard()).map_err(walk_error)?;
        let by_area = model
            .household_areas(store.as_ref())
            .map_err(crate::error::io)?;
        let catalogue = &model.settings.catalogue;
        let limit_m = catalogue
            .circles
            .iter()
            .map(|c| c.minutes)
            .chain([15])
            .map(|m| catalogue.limit_m(m, model.settings.speed).unwrap_or(0.0))
            .fold(0.0f64, f64::max);
        let missing = model.missing(&catalogue.categories(), limit_m);
        let WalkingModel {
            data,
            settings: WalkSettings {
                catalogue, speed, ..
            },
            net,
            snapper,
            ..
        } = model;
        let points: Vec<Option<Snap>> = data
            .address_points
            .iter()
            .map(|p| snapper.snap(&net, p.location, MAX_SNAP_M))
            .collect();
        let households = data.address_points.iter().map(|p| p.households).collect();
        let community_of = by_area.community_of.clone();
        let mut fields = BTreeMap::new();
        for cat in catalogue.categories() {
            let mut keys = Vec::new();
            let mut snaps = Vec::new();
            for f in &data.facilities {
                if catalogue.category_of(f.category.as_str()) == cat
                    && let Some(s) = snapper.snap(&net, f.location, MAX_SNAP_M)
                {
                    keys.push(f.key.clone());
                    snaps.push(s);
                }
            }
            fields.insert(cat, (Field::new(&net, &snaps, limit_m), keys));
        }
        let categories = catalogue.categories();
        let walks = Coverage {
            walk_m: categories
                .iter()
                .map(|c| {
                    let (f, _) = &fields[c];
                    points
                        .iter()
                        .map(|p| p.map_or(NOT_REACHED, |p| f.at(&net, &p)))
                        .collect()
                })
                .collect(),
            facilities: categories.iter().map(|c| fields[c].1.len()).collect(),
            categories,
            point_snaps: points.clone(),
            unsnapped_facilities: Vec::new(),
        };
        Ok(Self {
            data,
            catalogue,
            speed,
            net,
            snapper,
            points,
            households,
            community_of,
            by_area,
            fields,
            missing,
            walks,
            areas: Mutex::default(),
        })
    }

    /// Every address point's distance per category (`crate::testing`).
    pub(crate) fn walks_for_tests(&self) -> Walks {
        let keys = self
            .data
            .address_points
            .iter()
            .map(|p| p.key.clone())
            .collect();
        let d = self
            .walks
            .walk_m
            .iter()
            .map(|c| c.iter().map(|&m| (m < NOT_REACHED).then_some(m)).collect())
            .collect();
        (keys, self.walks.categories.clone(), d)
    }

    /// The `warnings` of a response about `categories`: each one that cannot be judged.
    fn warnings<'a>(&self, categories: impl IntoIterator<Item = &'a str>) -> Vec<Warning> {
        let wanted: Vec<&str> = categories.into_iter().collect();
        self.missing
            .iter()
            .filter(|m| wanted.contains(&m.category.as_str()))
            .map(|m| Warning {
                category: m.category.clone(),
                reason: m.reason().to_string(),
                message: m.to_string(),
            })
            .collect()
    }

    fn judged(&self, category: &str) -> bool {
        !self.missing.iter().any(|m| m.category == category)
    }

    fn frame(&self) -> LocalFrame {
        self.net.frame
    }

    /// The walking distance of `minutes`, checked against the fields' reach.
    pub fn threshold_m(&self, minutes: u32) -> Result<f64, AppError> {
        if !(1..=15).contains(&minutes) {
            return Err(AppError::BadRequest(format!(
                "minutes {minutes}: 1 to 15 (the 15-minute circle is the longest)"
            )));
        }
        self.catalogue
            .limit_m(minutes, self.speed)
            .map_err(|e| AppError::BadRequest(e.to_string()))
    }

    fn field(&self, category: &str) -> Result<&(Field, Vec<String>), AppError> {
        self.fields.get(category).ok_or_else(|| {
            AppError::BadRequest(format!(
                "category {category:?} is in no life circle; categories: {}",
                self.fields.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })
    }

    fn reached(&self, field: &Field, threshold_m: f64) -> Vec<bool> {
        self.points
            .iter()
            .map(|p| p.is_some_and(|p| field.at(&self.net, &p) <= threshold_m))
            .collect()
    }

    /// Categories, circles and the walking speed.
    pub fn catalogue(&self) -> CatalogueAnswer {
        let describe: HashMap<&str, &str> = wangge_core::facility_category::KNOWN
            .iter()
            .copied()
            .collect();
        let categories = self
            .fields
            .iter()
            .map(|(c, (_, keys))| CategoryInfo {
                code: c.clone(),
                description: describe.get(c.as_str()).map(|d| d.to_string()),
                facilities: keys.len(),
            })
            .collect();
        let circles = self
            .catalogue
            .circles
            .iter()
            .map(|c| CircleInfo {
                minutes: c.minutes,
                name: c.name.clone(),
                categories: c.categories.clone(),
            })
            .collect();
        let total: u64 = self.households.iter().map(|&h| u64::from(h)).sum();
        let unsnapped: u64 = self
            .points
            .iter()
            .zip(&self.households)
            .filter(|(p, _)| p.is_none())
            .map(|(_, &h)| u64::from(h))
            .sum();
        CatalogueAnswer {
            categories,
            circles,
            minutes: vec![5, 10, 15],
            speed_kmh: self.catalogue.default_kmh,
            households: total,
            households_off_network: unsnapped,
            warnings: self.warnings(self.fields.keys().map(String::as_str)),
        }
    }

    /// Covered households per community and grid, and each community's life-circle
    /// completeness (every category of the circle of `minutes` within its reach): tallied by
    /// `Coverage::summarise` over the one household assignment, as the CLI's report is.
    pub fn coverage(&self, category: &str, minutes: u32) -> Result<CoverageAnswer, AppError> {
        let t = self.threshold_m(minutes)?;
        let (_, keys) = self.field(category)?;
        let c = self
            .walks
            .categories
            .iter()
            .position(|x| x == category)
            .ok_or_else(|| AppError::Internal(format!("no walks for {category}")))?;
        let circle = self.catalogue.circles.iter().find(|c| c.minutes == minutes);
        // Completeness over the circle's categories with data; the others are named.
        let (judged, not_judged) = circle.map_or_else(Default::default, |ci| {
            wangge_core::walk::judged(&ci.categories, &self.walks.categories, &self.missing)
        });
        let circles: Vec<(f64, Vec<usize>)> = circle.map(|_| (t, judged)).into_iter().collect();
        let tally = |by: &AreaShares| self.walks.summarise(by, &[t], &circles);
        // A category without data has no share ("no data"), not 0%.
        let ok = self.judged(category);
        let share = |a: u64, b: u64| if ok { pct(a, b) } else { None };
        let complete = |s: &wangge_core::walk::AreaShare| {
            circle.and(s.complete.first().and_then(|&n| pct(n, s.households)))
        };
        let all = tally(&self.by_area.total).remove(0);
        let communities = tally(&self.by_area.communities)
            .iter()
            .enumerate()
            .filter(|(_, s)| s.households > 0)
            .map(|(i, s)| {
                let com = &self.data.communities[i];
                let covered = s.covered[0][c];
                CommunityCoverage {
                    code: com.key.clone(),
                    name: com.name.clone(),
                    households: s.households,
                    covered,
                    uncovered: s.households - covered,
                    share: share(covered, s.households),
                    completeness: complete(s),
                }
            })
            .collect();
        let grids = tally(&self.by_area.grids)
            .iter()
            .enumerate()
            .filter(|(_, s)| s.households > 0)
            .map(|(g, s)| {
                let covered = s.covered[0][c];
                GridCoverage {
                    code: s.area.clone(),
                    community: self.by_area.grid_community.get(g).cloned(),
                    households: s.households,
                    covered,
                    uncovered: s.households - covered,
                    share: share(covered, s.households),
                }
            })
            .collect();
        let covered = all.covered[0][c];
        Ok(CoverageAnswer {
            category: category.to_string(),
            minutes,
            threshold_m: t.round(),
            facilities: keys.len(),
            households: all.households,
            covered,
            share: share(covered, all.households),
            data: ok,
            circle: circle.map(|c| c.name.clone()),
            completeness: complete(&all),
            not_judged,
            communities,
            grids,
            warnings: self.warnings(
                std::iter::once(category).chain(
                    circle
                        .iter()
                        .flat_map(|c| c.categories.iter().map(String::as_str)),
                ),
            ),
        })
    }

    /// The service area as GeoJSON (drawn once per category and minutes).
    pub fn area(&self, category: &str, minutes: u32) -> Result<Arc<Value>, AppError> {
        self.threshold_m(minutes)?;
        let (field, keys) = self.field(category)?;
        let key = (category.to_string(), minutes);
        if let Some(v) = self
            .areas
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(v.clone());
        }
        // Drawn with the circles' thresholds, nested as the CLI draws them (5 ⊂ 10 ⊂ 15).
        let frame = self.frame();
        let mut minutes_all: Vec<u32> = self.catalogue.circles.iter().map(|c| c.minutes).collect();
        minutes_all.push(minutes);
        minutes_all.sort_unstable();
        minutes_all.dedup();
        let thresholds: Vec<f64> = minutes_all
            .iter()
            .map(|&m| self.threshold_m(m))
            .collect::<Result<_, _>>()?;
        let points: Vec<AreaPoint> = self
            .points
            .iter()
            .enumerate()
            .filter_map(|(p, s)| {
                s.map(|s| {
                    let c = frame.forward(self.data.address_points[p].location.0);
                    (s, c, field.at(&self.net, &s))
                })
            })
            .collect();
        let drawn = service_areas(&self.net, field, &thresholds, FRONTAGE_M, &points);
        let mut v = None;
        for (&m, area) in minutes_all.iter().zip(&drawn) {
            let m2 = area.unsigned_area().round();
            let lonlat = frame.unproject(area);
            let one = Arc::new(json!({
                "type": "FeatureCollection",
                "features": [{ "type": "Feature", "geometry": geometry_json(&lonlat),
                               "properties": { "category": category, "minutes": m, "area_m2": m2,
                                               "facilities": keys.len() } }],
            }));
            if m == minutes {
                v = Some(one.clone());
            }
            self.areas
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert((category.to_string(), m), one);
        }
        v.ok_or_else(|| AppError::Internal(format!("no area drawn for {minutes} minutes")))
    }

    /// Gap areas: uncovered households clustered per community, largest first.
    pub fn gaps(&self, category: &str, minutes: u32) -> Result<Value, AppError> {
        let t = self.threshold_m(minutes)?;
        let (field, _) = self.field(category)?;
        Ok(
            json!({ "type": "FeatureCollection", "category": category, "minutes": minutes,
                   "features": self.gap_features(field, t),
                   "warnings": self.warnings([category]) }),
        )
    }

    /// The gap areas of `field` at `t` as GeoJSON features, largest first.
    fn gap_features(&self, field: &Field, t: f64) -> Vec<Value> {
        let reached = self.reached(field, t);
        let uncovered: Vec<bool> = reached.iter().map(|r| !r).collect();
        let locations: Vec<Point<f64>> = self
            .data
            .address_points
            .iter()
            .map(|p| p.location)
            .collect();
        let found = gaps(
            self.frame(),
            &locations,
            &self.households,
            &uncovered,
            &self.community_of,
            GAP_LINK_M,
            GAP_MARGIN_M,
        );
        found
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let c = g.community.map(|c| &self.data.communities[c]);
                json!({ "type": "Feature", "id": i + 1, "geometry": geometry_json(&g.area),
                        "properties": { "rank": i + 1, "community": c.map(|c| c.key.clone()),
                                        "community_name": c.map(|c| c.name.clone()),
                                        "households": g.households, "points": g.points.len(),
                                        "area_m2": g.area_m2.round(),
                                        "centre": [g.centre.x(), g.centre.y()] } })
            })
            .collect()
    }

    /// Households within `t` of `field`'s facilities, in all and per community.
    fn covered(&self, field: &Field, t: f64) -> (u64, Vec<u64>) {
        field.covered(
            &self.net,
            &self.points,
            &self.households,
            t,
            Some((&self.community_of, self.data.communities.len())),
        )
    }

    /// `k` suggested sites by greedy maximal covering with swaps, with marginal gains.
    pub fn siting(&self, category: &str, minutes: u32, k: usize) -> Result<SitingAnswer, AppError> {
        if !(1..=MAX_K).contains(&k) {
            return Err(AppError::BadRequest(format!("k {k}: 1 to {MAX_K}")));
        }
        let t = self.threshold_m(minutes)?;
        let (field, _) = self.field(category)?;
        let s: Siting = site(&SitingInput {
            net: &self.net,
            field,
            points: &self.points,
            households: &self.households,
            threshold_m: t,
            candidates: None,
            k,
        });
        let sites = s
            .sites
            .iter()
            .enumerate()
            .map(|(i, p)| SiteAnswer {
                rank: i + 1,
                lonlat: {
                    let f = p.snap.foot_lonlat(&self.net);
                    [f.x(), f.y()]
                },
                gain: p.gain,
            })
            .collect();
        Ok(SitingAnswer {
            category: category.to_string(),
            minutes,
            households: s.households,
            covered_before: s.covered_before,
            covered_after: s.covered_after,
            share_before: pct(s.covered_before, s.households),
            share_after: pct(s.covered_after, s.households),
            candidates: s.candidates,
            sites,
            warnings: self.warnings([category]),
        })
    }

    /// Coverage before and after adding facilities at `add` (lon/lat) and removing `remove`
    /// (facility keys), in total and per community.
    /// Coverage before and after a change of facilities, over the communities `in_scope`
    /// accepts (a street's caller sees its street's households only).
    pub fn what_if(
        &self,
        category: &str,
        minutes: u32,
        add: &[[f64; 2]],
        remove: &[String],
        in_scope: &dyn Fn(&str) -> bool,
    ) -> Result<WhatIfAnswer, AppError> {
        if add.len() > MAX_ADD {
            return Err(AppError::BadRequest(format!(
                "add: at most {MAX_ADD} facilities at once"
            )));
        }
        let t = self.threshold_m(minutes)?;
        let (field, keys) = self.field(category)?;
        let mut changed = field.clone();
        for (i, ll) in add.iter().enumerate() {
            let s = self
                .snapper
                .snap_lonlat(&self.net, ll[0], ll[1], MAX_SNAP_M)
                .map_err(|why| match why {
                    SnapRefusal::OutOfRange(m) => AppError::BadRequest(format!("add[{i}] {m}")),
                    other => AppError::Refused(format!("add[{i}] {other}")),
                })?;
            changed.add(&self.net, s);
        }
        for key in remove {
            let i = keys.iter().position(|k| k == key).ok_or_else(|| {
                AppError::NotFound(format!("no {category} facility {key:?} on the network"))
            })?;
            changed.remove(&self.net, i);
        }
        let (before, per_before) = self.covered(field, t);
        let (after, per_after) = self.covered(&changed, t);
        let keep: Vec<bool> = self
            .data
            .communities
            .iter()
            .map(|c| in_scope(&c.key))
            .collect();
        let (total, before, after) = if keep.iter().all(|k| *k) {
            let total: u64 = self.households.iter().map(|&h| u64::from(h)).sum();
            (total, before, after)
        } else {
            let total: u64 = self
                .households
                .iter()
                .zip(&self.community_of)
                .filter(|(_, c)| c.is_some_and(|c| keep[c]))
                .map(|(&h, _)| u64::from(h))
                .sum();
            let sum = |per: &[u64]| -> u64 {
                per.iter()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(v, _)| v)
                    .sum()
            };
            (total, sum(&per_before), sum(&per_after))
        };
        let communities = self
            .data
            .communities
            .iter()
            .enumerate()
            .filter(|(c, _)| keep[*c] && per_before[*c] != per_after[*c])
            .map(|(c, com)| CommunityChange {
                code: com.key.clone(),
                name: com.name.clone(),
                before: per_before[c],
                after: per_after[c],
            })
            .collect();
        // The gaps left after the change, in the caller's scope: the map redraws them.
        let gaps: Vec<Value> = self
            .gap_features(&changed, t)
            .into_iter()
            .filter(|f| {
                f["properties"]["community"]
                    .as_str()
                    .map_or(keep.iter().all(|k| *k), in_scope)
            })
            .collect();
        Ok(WhatIfAnswer {
            gaps: json!({ "type": "FeatureCollection", "category": category, "minutes": minutes,
                          "features": gaps }),
            category: category.to_string(),
            minutes,
            households: total,
            covered_before: before,
            covered_after: after,
            change: after as i64 - before as i64,
            share_before: pct(before, total),
            share_after: pct(after, total),
            communities,
        })
    }
}

/// A GeoJSON geometry.
pub fn geometry_json(mp: &MultiPolygon<f64>) -> Value {
    serde_json::to_value(geojson::Geometry::from(mp)).unwrap_or(Value::Null)
}
