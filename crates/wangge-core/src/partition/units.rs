//! Units of partitioning: whole buildings, unless a building alone exceeds the cap; then its
//! entrances, and an entrance that alone exceeds the cap is split by floors (or, without floor
//! data, by households), every split listed. A floor split makes as many full parts (as close
//! to the cap as whole floors allow) as fit, each a grid of its own, and one remainder part
//! (the top floors) that may join a neighbouring grid.

use geo_types::Coord;
use std::collections::BTreeMap;

/// An address point as the partitioner sees it (local metres).
#[derive(Debug, Clone, PartialEq)]
pub struct Ent {
    pub building: Option<String>,
    pub households: u32,
    pub floors: Option<u32>,
    pub at: Coord<f64>,
}

/// How a building was split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitKind {
    /// A building above the cap, split between its unit entrances.
    ByEntrances,
    /// One entrance above the cap, split by floors.
    ByFloors,
    /// One entrance above the cap without floor data, split by households.
    ByHouseholds,
}

/// A listed split.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Building key, or the entrance key for entrances without a building.
    pub what: String,
    pub kind: SplitKind,
    pub households: u32,
    /// Into how many units.
    pub parts: usize,
}

/// A unit: (entrance index, households of it) members, at a site.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub members: Vec<(usize, u32)>,
    pub households: u32,
    pub site: usize,
}

/// Units and their distinct sites (Voronoi seeds).
#[derive(Debug, Clone, Default)]
pub struct Units {
    pub units: Vec<Unit>,
    pub sites: Vec<Coord<f64>>,
    /// Units that share a site with other units (floor splits): they get a slice of the cell.
    pub sliced_sites: Vec<usize>,
    /// The remainder part of each floor-split entrance that has one (unit indices).
    pub remainders: Vec<usize>,
    pub splits: Vec<Split>,
}

fn centroid(points: &[Coord<f64>]) -> Coord<f64> {
    let n = points.len().max(1) as f64;
    let (x, y) = points
        .iter()
        .fold((0.0, 0.0), |(x, y), c| (x + c.x, y + c.y));
    Coord { x: x / n, y: y / n }
}

/// Builds units from entrances. `keys` are the entrance keys (for split reports).
pub fn build(ents: &[Ent], keys: &[String], cap: u32) -> Units {
    let mut by_building: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut loose = Vec::new();
    for (i, e) in ents.iter().enumerate() {
        match &e.building {
            Some(b) => by_building.entry(b.as_str()).or_default().push(i),
            None => loose.push(i),
        }
    }
    let mut out = Units::default();
    let mut groups: Vec<(String, Vec<usize>)> = by_building
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    groups.extend(loose.into_iter().map(|i| (keys[i].clone(), vec![i])));
    for (name, idx) in groups {
        let total: u32 = idx.iter().map(|&i| ents[i].households).sum();
        if total <= cap {
            let site = out.sites.len();
            out.sites.push(centroid(
                &idx.iter().map(|&i| ents[i].at).collect::<Vec<_>>(),
            ));
            out.units.push(Unit {
                members: idx.iter().map(|&i| (i, ents[i].households)).collect(),
                households: total,
                site,
            });
            continue;
        }
        if idx.len() > 1 {
            out.splits.push(Split {
                what: name.clone(),
                kind: SplitKind::ByEntrances,
                households: total,
                parts: idx.len(),
            });
        }
        for &i in &idx {
            let e = &ents[i];
            let site = out.sites.len();
            out.sites.push(e.at);
            if e.households <= cap {
                out.units.push(Unit {
                    members: vec![(i, e.households)],
                    households: e.households,
                    site,
                });
                continue;
            }
            let parts = e.households.div_ceil(cap) as usize;
            out.splits.push(Split {
                what: keys[i].clone(),
                kind: if e.floors.is_some() {
                    SplitKind::ByFloors
                } else {
                    SplitKind::ByHouseholds
                },
                households: e.households,
                parts,
            });
            out.sliced_sites.push(site);
            for (k, share) in shares(e.households, e.floors, cap).into_iter().enumerate() {
                if k + 1 == parts && share < cap {
                    out.remainders.push(out.units.len());
                }
                out.units.push(Unit {
                    members: vec![(i, share)],
                    households: share,
                    site,
                });
            }
        }
    }
    out
}

/// Parts of an entrance above the cap: ceil(households / cap) parts, all full but the last
/// (the remainder). With floor data every part is whole floors: as many floors per full part as
/// stay within the cap; when the floors are too few for that, near-equal parts.
fn shares(households: u32, floors: Option<u32>, cap: u32) -> Vec<u32> {
    let parts = households.div_ceil(cap);
    if let Some(f) = floors.filter(|&f| f >= parts && f > 0) {
        let per_floor = f64::from(households) / f64::from(f);
        let upto = |floor: u32| (f64::from(floor) * per_floor).round() as u32;
        let full_floors = (1..=f).take_while(|&k| upto(k) <= cap).last().unwrap_or(0);
        if full_floors > 0 && (parts - 1) * full_floors < f {
            let mut out = Vec::with_capacity(parts as usize);
            let mut from = 0;
            for p in 1..=parts {
                let to = if p == parts { f } else { p * full_floors };
                let share = if p == parts {
                    households - upto(from)
                } else {
                    upto(to) - upto(from)
                };
                out.push(share);
                from = to;
            }
            if out.iter().all(|&s| s > 0 && s <= cap) {
                return out;
            }
        }
    }
    // Without floor data: full parts of `cap` households and the rest.
    (0..parts)
        .map(|p| {
            if p + 1 < parts {
                cap
            } else {
                households - cap * (parts - 1)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ent(b: &str, h: u32, floors: Option<u32>, x: f64) -> Ent {
        Ent {
            building: Some(b.into()),
            households: h,
            floors,
            at: Coord { x, y: 0.0 },
        }
    }

    #[test]
    fn buildings_stay_whole_unless_over_cap() {
        let ents = vec![
            ent("a", 60, None, 0.0),
            ent("a", 60, None, 10.0),
            ent("b", 150, None, 50.0),
            ent("b", 100, None, 60.0),
            ent("c", 264, Some(33), 90.0),
        ];
        let keys: Vec<String> = (0..5).map(|i| format!("e{i}")).collect();
        let u = build(&ents, &keys, 200);
        // a: one unit of 120; b: two entrance units; c: one entrance of 264 split by floors in 2.
        assert_eq!(u.units.len(), 1 + 2 + 2);
        assert!(u.units.iter().all(|x| x.households <= 200));
        assert_eq!(
            u.units.iter().map(|x| x.households).sum::<u32>(),
            120 + 250 + 264
        );
        assert_eq!(u.splits.len(), 2);
        assert_eq!(u.splits[1].kind, SplitKind::ByFloors);
        assert_eq!(u.sliced_sites.len(), 1);
        // 264 households on 33 floors (8 a floor): 25 floors (200) and the top 8 floors (64).
        let c: Vec<u32> = u.units[3..].iter().map(|x| x.households).collect();
        assert_eq!(c, vec![200, 64]);
        assert_eq!(u.remainders, vec![4]);
    }

    #[test]
    fn floor_parts_are_whole_floors_within_the_cap() {
        for (h, f) in [
            (450, 30),
            (401, 7),
            (1000, 40),
            (205, 2),
            (999, 3),
            (300, 1),
        ] {
            let s = shares(h, Some(f), 200);
            assert_eq!(s.iter().sum::<u32>(), h, "{h} on {f} floors: {s:?}");
            assert!(s.iter().all(|&x| x > 0 && x <= 200), "{h} on {f}: {s:?}");
            assert_eq!(s.len() as u32, h.div_ceil(200));
        }
        assert_eq!(shares(450, Some(30), 200), vec![195, 195, 60]);
        assert_eq!(shares(450, None, 200), vec![200, 200, 50]);
    }
}
