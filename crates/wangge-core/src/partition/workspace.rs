//! Partitioning a whole dataset: address points are assigned to communities through the
//! R-tree, streets near each community are gathered, communities run in parallel on all cores.

use super::metrics::Metrics;
use super::plan::{
    CommunityInput, CommunityPlan, Entrance, PartitionError, Partitioner, StreetLine,
};
use crate::index::{PolygonIndex, frame_for};
use crate::overlaps::{NOISE_M2, overlaps};
use crate::{Dataset, Progress};
use geo::BoundingRect;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use std::sync::Mutex;

/// The plan of a whole dataset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkspacePlan {
    pub communities: Vec<CommunityPlan>,
    /// Communities that could not be partitioned, with the reason.
    pub errors: Vec<PartitionError>,
    /// Address points in no community (listed exceptions).
    pub outside: Vec<String>,
    /// Address points in more than one community (placed in the first by key order).
    pub ambiguous: Vec<String>,
    pub metrics: Metrics,
}

/// Refuses community layers that overlap (by at least [`NOISE_M2`]) or that put an address
/// point in two communities: such a point would be placed in one of them silently.
pub fn check_communities(data: &Dataset) -> Result<(), PartitionError> {
    let list: Vec<&crate::Community> = data.communities.iter().collect();
    let pairs: Vec<(String, String, f64)> = overlaps(&list, NOISE_M2)
        .into_iter()
        .map(|o| (list[o.a].key.clone(), list[o.b].key.clone(), o.area_m2))
        .collect();
    let frame = frame_for(data);
    let index = PolygonIndex::new(frame, data.communities.iter().map(|c| &c.geometry));
    let points: Vec<(String, String, String)> = data
        .address_points
        .iter()
        .filter_map(|a| {
            let hits = index.containing(a.location);
            (hits.len() > 1).then(|| {
                (
                    a.key.clone(),
                    data.communities[hits[0]].key.clone(),
                    data.communities[hits[1]].key.clone(),
                )
            })
        })
        .collect();
    if pairs.is_empty() && points.is_empty() {
        Ok(())
    } else {
        Err(PartitionError::Overlapping { pairs, points })
    }
}

/// Builds one input per community.
pub fn inputs(data: &Dataset) -> (Vec<CommunityInput>, Vec<String>, Vec<String>) {
    let frame = frame_for(data);
    let index = PolygonIndex::new(frame, data.communities.iter().map(|c| &c.geometry));
    let mut per: Vec<Vec<Entrance>> = vec![Vec::new(); data.communities.len()];
    let mut outside = Vec::new();
    let mut ambiguous = Vec::new();
    for a in &data.address_points {
        let hits = index.containing(a.location);
        let Some(&first) = hits.first() else {
            outside.push(a.key.clone());
            continue;
        };
        if hits.len() > 1 {
            ambiguous.push(a.key.clone());
        }
        per[first].push(Entrance {
            key: a.key.clone(),
            building: a.building.clone(),
            households: a.households,
            floors: a.floors,
            location: a.location,
        });
    }
    let street_boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = data
        .streets
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let r = s.geometry.bounding_rect()?;
            Some(GeomWithData::new(
                Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                i,
            ))
        })
        .collect();
    let streets = RTree::bulk_load(street_boxes);
    let inputs = data
        .communities
        .iter()
        .zip(per)
        .map(|(c, entrances)| {
            let near = c.geometry.bounding_rect().map(|r| {
                let pad = 0.0005; // about 50 m
                let env = AABB::from_corners(
                    [r.min().x - pad, r.min().y - pad],
                    [r.max().x + pad, r.max().y + pad],
                );
                let mut idx: Vec<usize> = streets
                    .locate_in_envelope_intersecting(&env)
                    .map(|s| s.data)
                    .collect();
                idx.sort_unstable();
                idx.into_iter()
                    .map(|i| StreetLine {
                        highway: data.streets[i].highway.clone(),
                        line: data.streets[i].geometry.clone(),
                    })
                    .collect()
            });
            CommunityInput {
                code: c.key.clone(),
                polygon: c.geometry.clone(),
                entrances,
                streets: near.unwrap_or_default(),
                locked: Vec::new(),
                previous: Vec::new(),
                split_free: false,
            }
        })
        .collect();
    (inputs, outside, ambiguous)
}

/// Partitions every community of a dataset.
pub fn partition_all(p: &Partitioner, data: &Dataset, progress: &dyn Progress) -> WorkspacePlan {
    partition_all_locked(p, data, &[], progress)
}

/// A grid kept from an earlier plan: community code, grid code, address keys.
pub type LockedGrid = (String, String, Vec<String>);

/// Partitions every community, keeping the locked grids.
pub fn partition_all_locked(
    p: &Partitioner,
    data: &Dataset,
    locked: &[LockedGrid],
    progress: &dyn Progress,
) -> WorkspacePlan {
    partition_all_incremental(p, data, locked, &[], progress)
}

/// Incremental re-partition: `keep` grids stay (and may receive units), `repair` grids start
/// from their old members and are brought under the cap with the least movement.
pub fn partition_all_incremental(
    p: &Partitioner,
    data: &Dataset,
    keep: &[LockedGrid],
    repair: &[LockedGrid],
    progress: &dyn Progress,
) -> WorkspacePlan {
    let (mut inputs, outside, ambiguous) = inputs(data);
    let pick = |list: &[LockedGrid], code: &str| -> Vec<(String, Vec<String>)> {
        list.iter()
            .filter(|(c, _, _)| c == code)
            .map(|(_, g, keys)| (g.clone(), keys.clone()))
            .collect()
    };
    for input in &mut inputs {
        input.locked = pick(keep, &input.code);
        input.previous = pick(repair, &input.code);
    }
    run_inputs(p, inputs, outside, ambiguous, progress)
}

/// Runs prepared community inputs on all worker threads.
pub(crate) fn run_inputs(
    p: &Partitioner,
    inputs: Vec<CommunityInput>,
    outside: Vec<String>,
    ambiguous: Vec<String>,
    progress: &dyn Progress,
) -> WorkspacePlan {
    progress.start("partitioning", Some(inputs.len() as u64));
    let threads = p.thread_count().min(inputs.len().max(1));
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<(usize, Result<CommunityPlan, PartitionError>)>> =
        Mutex::new(Vec::with_capacity(inputs.len()));
    let done = Mutex::new(0u64);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = {
                        let Ok(mut n) = next.lock() else { return };
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(input) = inputs.get(i) else { return };
                    // A failure on one community is reported for it; the others go on.
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| p.run(input)))
                        .unwrap_or_else(|e| {
                            let message = e
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| e.downcast_ref::<&str>().map(|m| m.to_string()))
                                .unwrap_or_else(|| "panic".into());
                            Err(PartitionError::Failed {
                                community: input.code.clone(),
                                message,
                            })
                        });
                    if let Ok(mut all) = results.lock() {
                        all.push((i, r));
                    }
                    if let Ok(mut d) = done.lock() {
                        *d += 1;
                    }
                }
            });
        }
        // Progress from this thread.
        let mut shown = 0;
        loop {
            let d = done.lock().map(|d| *d).unwrap_or(inputs.len() as u64);
            if d > shown {
                progress.advance(d - shown);
                shown = d;
            }
            if d >= inputs.len() as u64 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    });
    progress.finish();
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    let mut plan = WorkspacePlan {
        outside,
        ambiguous,
        ..WorkspacePlan::default()
    };
    for (_, r) in results {
        match r {
            Ok(c) => plan.communities.push(c),
            Err(e) => plan.errors.push(e),
        }
    }
    let parts: Vec<&Metrics> = plan.communities.iter().map(|c| &c.metrics).collect();
    let pp: Vec<f64> = plan
        .communities
        .iter()
        .flat_map(|c| c.grids.iter().map(|g| g.polsby_popper))
        .collect();
    let reock: Vec<f64> = plan
        .communities
        .iter()
        .flat_map(|c| c.grids.iter().map(|g| g.reock))
        .collect();
    plan.metrics = Metrics::from_parts(&parts, &pp, &reock);
    plan
}
