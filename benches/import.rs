//! Import throughput of the real OSM extracts and synthetic-city generation time up to
//! 1,000,000 households (generation alone, and generation plus writing the GeoPackage).
//!
//! Run: `cargo bench --bench import`. Inputs are deterministic: the shared Monaco PBF and
//! Nanjing XML, and generator seed 1.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;
use std::time::Duration;
use wangge_core::NoProgress;
use wangge_core::households::EstimateParams;
use wangge_io::store::prelude::*;
use wangge_io::{GeoPackage, ImportOptions, osm};
use wangge_synth::{CityParams, generate};

fn shared(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel)
}

fn osm_import(c: &mut Criterion) {
    let mut g = c.benchmark_group("osm_import");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for file in ["osm/monaco.osm.pbf", "osm/nanjing-xuanwu.osm"] {
        let path = shared(file);
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        g.throughput(Throughput::Bytes(bytes));
        g.bench_with_input(BenchmarkId::new("read+assemble", file), &path, |b, p| {
            b.iter(|| {
                let data = osm::read(p, &NoProgress).expect("readable extract");
                osm::assemble(
                    &data,
                    &EstimateParams::default(),
                    &Default::default(),
                    &wangge_core::ComponentCatalogue::builtin(),
                )
            })
        });
        g.bench_with_input(BenchmarkId::new("import into gpkg", file), &path, |b, p| {
            b.iter(|| {
                let dir = tempfile::tempdir().expect("tmp");
                let mut store = GeoPackage::create(dir.path().join("b.gpkg")).expect("create");
                wangge_io::import(
                    &mut store,
                    std::slice::from_ref(p),
                    &ImportOptions::default(),
                    &NoProgress,
                )
                .expect("import")
            })
        });
    }
    g.finish();
}

fn generator(c: &mut Criterion) {
    let mut g = c.benchmark_group("generate");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for households in [20_000u64, 200_000, 1_000_000] {
        g.throughput(Throughput::Elements(households));
        g.bench_with_input(
            BenchmarkId::new("city", households),
            &households,
            |b, &n| b.iter(|| generate(&CityParams::new(n, 1), &NoProgress)),
        );
        g.bench_with_input(
            BenchmarkId::new("city+gpkg", households),
            &households,
            |b, &n| {
                b.iter(|| {
                    let dir = tempfile::tempdir().expect("tmp");
                    let city = generate(&CityParams::new(n, 1), &NoProgress);
                    let mut store = GeoPackage::create(dir.path().join("g.gpkg")).expect("create");
                    store.write(&city, "bench", "", &NoProgress).expect("write");
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, osm_import, generator);
criterion_main!(benches);
