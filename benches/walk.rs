//! Walking coverage at scale: network build, coverage of every catalogue category for every
//! address point, greedy siting of 10 sites, and what-if add/remove, on the synthetic city
//! (200,000 and 1,000,000 households) and the real Nanjing extract.
//!
//! Run: `cargo bench --bench walk`. Inputs are deterministic: generator seed 1 and the shared
//! Nanjing XML. pandana, the peer, runs in `benches/walk_peers.py` on the same graphs.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use geo_types::Point;
use std::path::Path;
use std::time::Duration;
use wangge_core::walk::{
    Catalogue, Coverage, CoverageInput, Field, SitingInput, Snap, Snapper, WalkNetwork, site,
};
use wangge_core::{Dataset, NoProgress};

fn inputs() -> Vec<(String, Dataset)> {
    let mut v: Vec<(String, Dataset)> = [200_000u64, 1_000_000]
        .into_iter()
        .map(|n| {
            (
                format!("synthetic {n}"),
                wangge_synth::generate(&wangge_synth::CityParams::new(n, 1), &NoProgress),
            )
        })
        .collect();
    let nanjing =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/osm/nanjing-xuanwu.osm");
    let osm = wangge_io::osm::read(&nanjing, &NoProgress).expect("Nanjing extract");
    v.push((
        "Nanjing".into(),
        wangge_io::osm::assemble(
            &osm,
            &Default::default(),
            &Default::default(),
            &wangge_core::ComponentCatalogue::builtin(),
        )
        .0,
    ));
    v
}

fn walk(c: &mut Criterion) {
    let cat = Catalogue::default_gb50180();
    let categories = cat.categories();
    let mut g = c.benchmark_group("walk");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for (name, data) in inputs() {
        let frame = wangge_core::index::frame_for(&data);
        g.bench_function(BenchmarkId::new("network build", &name), |b| {
            b.iter(|| WalkNetwork::build(&data.streets, frame, 10))
        });
        let net = WalkNetwork::build(&data.streets, frame, 10);
        let snapper = Snapper::new(&net);
        let points: Vec<Point<f64>> = data.address_points.iter().map(|p| p.location).collect();
        let facilities: Vec<(String, Point<f64>)> = data
            .facilities
            .iter()
            .map(|f| (cat.category_of(f.category.as_str()).to_string(), f.location))
            .collect();
        let input = CoverageInput {
            net: &net,
            snapper: &snapper,
            points: &points,
            facilities: &facilities,
            categories: &categories,
            limit_m: 1000.0,
            max_snap_m: 300.0,
        };
        g.bench_function(
            BenchmarkId::new(format!("coverage {} categories", categories.len()), &name),
            |b| b.iter(|| Coverage::compute(&input, &NoProgress)),
        );
        let cov = Coverage::compute(&input, &NoProgress);
        let households: Vec<u32> = data.address_points.iter().map(|p| p.households).collect();
        let kinder: Vec<Snap> = facilities
            .iter()
            .filter(|(c, _)| c == "kindergarten")
            .filter_map(|(_, p)| snapper.snap(&net, *p, 300.0))
            .collect();
        let field = Field::new(&net, &kinder, 667.0);
        g.bench_function(BenchmarkId::new("siting k=10", &name), |b| {
            b.iter(|| {
                site(&SitingInput {
                    net: &net,
                    field: &field,
                    points: &cov.point_snaps,
                    households: &households,
                    threshold_m: 667.0,
                    candidates: None,
                    k: 10,
                })
            })
        });
        if let Some(first) = cov.point_snaps.iter().flatten().next().copied() {
            g.bench_function(BenchmarkId::new("what-if add+remove", &name), |b| {
                b.iter(|| {
                    let mut f = field.clone();
                    let i = f.add(&net, first);
                    f.remove(&net, i);
                    f
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, walk);
criterion_main!(benches);
