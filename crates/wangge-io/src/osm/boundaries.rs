//! OSM boundaries mapped onto the model's levels instead of piled up as communities. In Chinese
//! OSM `admin_level=8` is the street (街道), 9 and 10 the community (社区 / 居委会), and
//! `landuse=residential` a housing estate (小区), usually inside a community. The default
//! mapping: admin 8 → streets (they name the street of the communities inside them); admin 9
//! and 10 → communities, a finer level carved out of a coarser one it overlaps; a residential
//! landuse polygon → a community only where no admin community covers it (the part outside
//! them, when that is at least half of it; otherwise it stays a land-cover area, a boundary hint
//! for planners); two landuse communities that overlap leave the overlap to the smaller one.
//! Other countries' data choose other levels ([`OsmBoundaries`]). No two communities from one
//! extract overlap afterwards.

use geo::{BooleanOps, BoundingRect, InteriorPoint};
use geo_types::MultiPolygon;
use wangge_core::overlaps::{NOISE_M2, overlaps};
use wangge_core::{Community, LocalFrame};

/// Which OSM boundaries become streets and communities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsmBoundaries {
    /// `admin_level`s read as streets (街道): default 8.
    pub street_levels: Vec<u32>,
    /// `admin_level`s read as communities (社区): default 9 and 10.
    pub community_levels: Vec<u32>,
    /// Residential land use becomes a community where no admin community covers it.
    pub landuse_communities: bool,
}

impl Default for OsmBoundaries {
    fn default() -> Self {
        Self {
            street_levels: vec![8],
            community_levels: vec![9, 10],
            landuse_communities: true,
        }
    }
}

/// A boundary polygon found in the extract.
pub struct Candidate {
    pub key: String,
    pub name: String,
    /// `Some(level)` for `boundary=administrative`, `None` for residential land use.
    pub admin_level: Option<u32>,
    pub geometry: MultiPolygon<f64>,
}

/// What the mapping did, one line each, for the import summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoundaryReport {
    pub streets: usize,
    pub admin_communities: usize,
    pub landuse_communities: usize,
    /// Residential land use left as land cover because admin communities cover it.
    pub landuse_covered: usize,
    /// Overlaps resolved: (community that lost area, the one that kept it, m²).
    pub carved: Vec<(String, String, f64)>,
}

fn area_m2(g: &MultiPolygon<f64>) -> f64 {
    g.bounding_rect()
        .map_or(0.0, |r| LocalFrame::around_rect(r).area_m2(g))
}

/// Communities from the candidates under `rules`.
pub fn communities(
    candidates: Vec<Candidate>,
    rules: &OsmBoundaries,
) -> (Vec<Community>, BoundaryReport) {
    let mut report = BoundaryReport::default();
    let (admin, landuse): (Vec<Candidate>, Vec<Candidate>) = candidates
        .into_iter()
        .partition(|c| c.admin_level.is_some());
    let level = |c: &Candidate| c.admin_level.unwrap_or(u32::MAX);
    let streets: Vec<&Candidate> = admin
        .iter()
        .filter(|c| rules.street_levels.contains(&level(c)))
        .collect();
    report.streets = streets.len();
    // Admin communities, finest level first, so a coarser one gives up what a finer one holds.
    let mut admin_comms: Vec<Community> = Vec::new();
    let mut admin_sorted: Vec<&Candidate> = admin
        .iter()
        .filter(|c| rules.community_levels.contains(&level(c)))
        .collect();
    admin_sorted.sort_by_key(|c| (std::cmp::Reverse(level(c)), c.key.clone()));
    for c in admin_sorted {
        let g = carve(c.geometry.clone(), &admin_comms, |kept, m2| {
            report.carved.push((c.key.clone(), kept.to_string(), m2));
        });
        if area_m2(&g) < NOISE_M2 {
            continue;
        }
        admin_comms.push(community(c, g, "osm_admin"));
    }
    report.admin_communities = admin_comms.len();
    let mut out = admin_comms;
    if rules.landuse_communities {
        // Smallest first: a landuse community gives up to smaller ones already kept.
        let mut sorted: Vec<(f64, &Candidate)> =
            landuse.iter().map(|c| (area_m2(&c.geometry), c)).collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.key.cmp(&b.1.key)));
        let n_admin = out.len();
        for (own, c) in sorted {
            let g = carve(c.geometry.clone(), &out[..n_admin], |_, _| {});
            if area_m2(&g) < 0.5 * own {
                report.landuse_covered += 1;
                continue;
            }
            let g = carve(g, &out[n_admin..], |kept, m2| {
                report.carved.push((c.key.clone(), kept.to_string(), m2));
            });
            if area_m2(&g) < NOISE_M2 {
                continue;
            }
            out.push(community(c, g, "osm_landuse"));
        }
        report.landuse_communities = out.len() - n_admin;
    }
    // Each community's street: the street polygon holding a point inside it (the smallest).
    for comm in &mut out {
        let Some(p) = comm.geometry.interior_point() else {
            continue;
        };
        comm.street = streets
            .iter()
            .filter(|s| geo::Contains::contains(&s.geometry, &p))
            .min_by(|a, b| area_m2(&a.geometry).total_cmp(&area_m2(&b.geometry)))
            .map(|s| {
                if s.name.is_empty() {
                    s.key.clone()
                } else {
                    s.name.clone()
                }
            });
    }
    debug_assert!(overlaps(&out.iter().collect::<Vec<_>>(), NOISE_M2).is_empty());
    (out, report)
}

/// `g` less every community in `kept` it overlaps by at least `NOISE_M2`; `carved(key, m²)`
/// hears of each.
fn carve(
    mut g: MultiPolygon<f64>,
    kept: &[Community],
    mut carved: impl FnMut(&str, f64),
) -> MultiPolygon<f64> {
    for k in kept {
        let shared = area_m2(&g.intersection(&k.geometry));
        if shared >= NOISE_M2 {
            g = g.difference(&k.geometry);
            carved(&k.key, shared);
        }
    }
    g
}

fn community(c: &Candidate, geometry: MultiPolygon<f64>, kind: &str) -> Community {
    Community {
        key: c.key.clone(),
        name: c.name.clone(),
        street: None,
        kind: kind.into(),
        geometry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Coord, LineString, Polygon};

    fn cand(key: &str, level: Option<u32>, x0: f64, y0: f64, x1: f64, y1: f64) -> Candidate {
        let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
            .iter()
            .map(|&(x, y)| Coord { x, y })
            .collect();
        Candidate {
            key: key.into(),
            name: key.to_uppercase(),
            admin_level: level,
            geometry: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
        }
    }

    #[test]
    fn chinese_levels_nest_instead_of_piling_up() {
        let c = vec![
            cand("street", Some(8), 118.0, 32.0, 118.02, 32.02),
            cand("comm_a", Some(10), 118.0, 32.0, 118.01, 32.02),
            cand("comm_b", Some(10), 118.01, 32.0, 118.02, 32.02),
            // An estate inside comm_a: land cover, not a community.
            cand("estate", None, 118.002, 32.002, 118.004, 32.004),
            // An estate outside every admin community: a community of its own.
            cand("outside", None, 118.03, 32.0, 118.04, 32.01),
            // A smaller estate nested in "outside": keeps its area, "outside" gives it up.
            cand("inner", None, 118.032, 32.002, 118.034, 32.004),
        ];
        let (comms, report) = communities(c, &OsmBoundaries::default());
        let keys: Vec<&str> = comms.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["comm_a", "comm_b", "inner", "outside"]);
        assert_eq!(report.streets, 1);
        assert_eq!(report.landuse_covered, 1);
        assert_eq!(comms[0].street.as_deref(), Some("STREET"));
        assert_eq!(comms[2].street, None, "outside every street polygon");
        assert!(overlaps(&comms.iter().collect::<Vec<_>>(), NOISE_M2).is_empty());
        assert_eq!(report.carved.len(), 1);
        assert_eq!(
            (report.carved[0].0.as_str(), report.carved[0].1.as_str()),
            ("outside", "inner")
        );
    }

    #[test]
    fn other_levels_by_option() {
        // Helsinki-like: 9 are districts, 10 neighbourhoods; only 10 are communities, no landuse.
        let c = vec![
            cand("district", Some(9), 25.0, 60.0, 25.02, 60.02),
            cand("hood", Some(10), 25.0, 60.0, 25.01, 60.02),
            cand("estate", None, 25.015, 60.0, 25.018, 60.003),
        ];
        let rules = OsmBoundaries {
            street_levels: vec![9],
            community_levels: vec![10],
            landuse_communities: false,
        };
        let (comms, report) = communities(c, &rules);
        assert_eq!(comms.len(), 1);
        assert_eq!(comms[0].street.as_deref(), Some("DISTRICT"));
        assert_eq!(report.streets, 1);
    }
}
