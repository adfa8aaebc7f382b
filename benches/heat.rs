//! Heat-map scale driver for `benches/heat_peers.py` (not a criterion bench): builds the heat
//! index over a synthetic two-year incident history of N incidents and times heat tiles.
//!
//! The history comes from the generator: a 200,000-household synthetic city (seed 1) with two
//! years of incidents (its hot spots, categories, sources, daily and weekly rhythm). N
//! incidents are spread over the two years day by day, in time order as they would arrive,
//! each day's share by the base history's weekday rhythm; each is a base incident of that
//! weekday (place, category, source, status, time of day), moved by a normal 15 m.
//!
//! Measures: ingest rate into the index (batches of 100,000: records, pyramids, H3 counts),
//! heap held and process RSS; heat tile times (256 px, radius 20 px, computed: no tile cache)
//! at z8, z12 and z16 for the last 30 days and the whole two years, over the tiles around the
//! busiest spot; with `--store`, durable ingest into a GeoPackage (WAL, synchronous commit) in
//! batches of 10,000 for the first million. Writes `points.bin` (x, y world coordinates as f64
//! and the local day as i32, for datashader) and `result.json` into `--out`.
//!
//! Run: `cargo bench --bench heat -- --n 1000000 --out target/heat-bench/1m [--store]`.

use std::io::Write;
use std::time::Instant;
use wangge_core::{Incident, NoProgress, Timestamp};
use wangge_io::store::prelude::*;
use wangge_tiles::heat::index::{Rec, day_of};
use wangge_tiles::mvt::{TileCoord, world};
use wangge_tiles::{HeatFilter, HeatIndex, HeatStyle};

fn arg(name: &str) -> Option<String> {
    let a: Vec<String> = std::env::args().collect();
    a.iter()
        .position(|x| x == name)
        .and_then(|i| a.get(i + 1).cloned())
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The side × side tiles of zoom `z` around a world point.
fn tiles_around(centre: [f64; 2], z: u8, side: i64) -> Vec<TileCoord> {
    let scale = f64::from(1u32 << z);
    let (cx, cy) = ((centre[0] * scale) as i64, (centre[1] * scale) as i64);
    (0..side * side)
        .filter_map(|k| {
            let (dx, dy) = (k % side - side / 2, k / side - side / 2);
            TileCoord::new(u32::from(z), (cx + dx) as u64, (cy + dy) as u64).ok()
        })
        .collect()
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    if std::env::args().any(|a| a == "--bench") && arg("--n").is_none() {
        return; // `cargo bench` without arguments: nothing to do (the script drives this)
    }
    let n: usize = arg("--n").and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let out = std::path::PathBuf::from(arg("--out").unwrap_or_else(|| "target/heat-bench".into()));
    std::fs::create_dir_all(&out).expect("out dir");
    let store = std::env::args().any(|a| a == "--store");

    let mut params = wangge_synth::CityParams::new(200_000, 1);
    params.history_days = 730;
    let city = wangge_synth::generate(&params, &NoProgress);
    let base = &city.incidents;
    eprintln!(
        "city: {} address points, {} base incidents",
        city.address_points.len(),
        base.len()
    );
    let rss_city = rss_bytes();
    eprintln!("RSS before the index: {:.2} GB", rss_city as f64 / 1e9);
    let end = params.history_end_unix;
    let start = end - 730 * 86_400;

    let mut heat = HeatIndex::with_homes(
        city.address_points
            .iter()
            .map(|a| (a.location.x(), a.location.y(), a.households)),
    );
    let codes: Vec<String> = {
        let mut c: Vec<String> = base.iter().map(|i| i.category.clone()).collect();
        c.sort();
        c.dedup();
        c
    };
    heat.category_slots(&codes.iter().map(String::as_str).collect::<Vec<_>>());
    let slot = |c: &str| codes.iter().position(|k| k == c).unwrap_or(0) as u8;

    // Draw and ingest in batches; write the same points for datashader.
    let mut rng = wangge_synth::Rng::new(7);
    let mut file =
        std::io::BufWriter::new(std::fs::File::create(out.join("points.bin")).expect("points"));
    let batch = 100_000;
    let mut ingest_s = 0.0;
    let mut first_million: Vec<Incident> = Vec::new();
    let mut made = 0usize;
    let m_per_deg_lat = 111_320.0;
    // Day by day, as a history arrives: each day's share of N (weekly rhythm from the base
    // incidents' weekdays), each incident one of the base incidents of that weekday, moved.
    let mut by_weekday: Vec<Vec<usize>> = vec![Vec::new(); 7];
    for (k, b) in base.iter().enumerate() {
        by_weekday[((b.time.unix() + 8 * 3600).div_euclid(86_400) + 3).rem_euclid(7) as usize]
            .push(k);
    }
    let weights: Vec<f64> = by_weekday.iter().map(|v| v.len() as f64).collect();
    let week_total: f64 = weights.iter().sum();
    let first_day = (start + 8 * 3600).div_euclid(86_400);
    let mut recs: Vec<Rec> = Vec::with_capacity(batch);
    for d in 0..730i64 {
        let day = first_day + d;
        let weekday = (day + 3).rem_euclid(7) as usize;
        // Incidents of this day: N spread by weekday weight.
        let share = weights[weekday] / week_total * 7.0 / 730.0;
        let left = n - made - recs.len();
        let target = if d == 729 {
            left
        } else {
            ((n as f64) * share).round() as usize
        };
        let target = target.min(left);
        let pool = &by_weekday[weekday];
        for _ in 0..target {
            let b = &base[pool[(rng.f64() * pool.len() as f64) as usize % pool.len()]];
            let lat = b.location.y() + rng.normal() * 15.0 / m_per_deg_lat;
            let lon = b.location.x()
                + rng.normal() * 15.0 / (m_per_deg_lat * b.location.y().to_radians().cos());
            let time_of_day = (b.time.unix() + 8 * 3600).rem_euclid(86_400);
            let t = day * 86_400 - 8 * 3600 + time_of_day;
            let w = world(lon, lat);
            let r = Rec::new(w, t, slot(&b.category), b.source as u8, b.status as u8);
            file.write_all(&w[0].to_le_bytes()).expect("write");
            file.write_all(&w[1].to_le_bytes()).expect("write");
            file.write_all(&(r.day() as i32).to_le_bytes())
                .expect("write");
            if store && first_million.len() < 1_000_000 {
                let mut i = Incident::reported(
                    format!("b{}", made + recs.len()),
                    Timestamp::from_unix(t),
                    b.category.clone(),
                    b.source,
                    geo_types::Point::new(lon, lat),
                );
                i.status = b.status;
                first_million.push(i);
            }
            recs.push(r);
            if recs.len() == batch {
                let t0 = Instant::now();
                heat.add_records(&mut recs);
                ingest_s += t0.elapsed().as_secs_f64();
                made += recs.len();
                recs.clear();
                if made.is_multiple_of(10_000_000) {
                    eprintln!("{made} incidents indexed, {:.0}/s", made as f64 / ingest_s);
                }
            }
        }
    }
    if !recs.is_empty() {
        let t0 = Instant::now();
        heat.add_records(&mut recs);
        ingest_s += t0.elapsed().as_secs_f64();
        made += recs.len();
    }
    assert_eq!(made, n);
    file.flush().expect("flush");
    eprintln!(
        "before shrink: heap {:.2} GB, RSS {:.2} GB",
        heat.heap_bytes() as f64 / 1e9,
        rss_bytes() as f64 / 1e9
    );
    let t0 = Instant::now();
    heat.shrink();
    ingest_s += t0.elapsed().as_secs_f64();
    let heap = heat.heap_bytes();
    let rss = rss_bytes();
    eprintln!("heap by part: {:?}", heat.heap_parts());
    eprintln!(
        "{n} incidents: ingest {:.0}/s, heap {:.2} GB, RSS {:.2} GB",
        n as f64 / ingest_s,
        heap as f64 / 1e9,
        rss as f64 / 1e9
    );

    // The busiest z16 tile of the base history, and blocks of tiles around it.
    let mut counts = std::collections::HashMap::new();
    for b in base {
        let w = world(b.location.x(), b.location.y());
        *counts
            .entry(((w[0] * 65536.0) as u32, (w[1] * 65536.0) as u32))
            .or_insert(0u32) += 1;
    }
    let (&(bx, by), _) = counts
        .iter()
        .max_by_key(|(k, v)| (**v, **k))
        .expect("incidents");
    let centre = [
        (f64::from(bx) + 0.5) / 65536.0,
        (f64::from(by) + 0.5) / 65536.0,
    ];
    let today = day_of(end - 1);
    let windows = [
        (
            "30 days",
            Some(i64::from(today - 29) * 86_400 - 8 * 3600),
            today - 29,
        ),
        ("2 years", None, 0),
    ];
    let style = HeatStyle::default();
    // The process's first tile pays one-time costs (about 20 ms here: allocator and encoder
    // set-up); it is drawn once, far from the data, and reported apart.
    let t0 = Instant::now();
    let far = TileCoord::new(3, 0, 0).expect("tile");
    std::hint::black_box(heat.png(far, &HeatFilter::default(), &style).expect("png"));
    let first_tile_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let mut rows = Vec::new();
    for z in [8u8, 12, 16] {
        let side = match z {
            8 => 1i64,
            12 => 3,
            _ => 5,
        };
        let tiles = tiles_around(centre, z, side);
        for (name, from, from_day) in &windows {
            let f = HeatFilter {
                from_unix: *from,
                ..Default::default()
            };
            let mut times = Vec::new();
            let reps = (200 / tiles.len()).max(8);
            for _ in 0..reps {
                for t in &tiles {
                    let t0 = Instant::now();
                    let png = heat.png(*t, &f, &style).expect("png");
                    times.push(t0.elapsed().as_secs_f64() * 1000.0);
                    std::hint::black_box(png);
                }
            }
            let p50 = pct(&mut times, 0.5);
            let p99 = pct(&mut times, 0.99);
            eprintln!(
                "z{z} {name}: p50 {p50:.2} ms, p99 {p99:.2} ms over {} tiles",
                times.len()
            );
            let bounds: Vec<[f64; 4]> = tiles
                .iter()
                .map(|t| {
                    let s = f64::from(1u32 << t.z());
                    [
                        f64::from(t.x()) / s,
                        f64::from(t.y()) / s,
                        f64::from(t.x() + 1) / s,
                        f64::from(t.y() + 1) / s,
                    ]
                })
                .collect();
            rows.push(serde_json::json!({
                "z": z, "window": name, "from_day": from_day, "p50_ms": p50, "p99_ms": p99,
                "samples": times.len(), "tiles": bounds,
            }));
        }
    }

    // Filtered and partial-day windows (no peer: datashader's points carry no category or
    // status); the most common category and status of the base history.
    let common = |key: &dyn Fn(&Incident) -> String| {
        let mut c: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for b in base {
            *c.entry(key(b)).or_default() += 1;
        }
        c.into_iter()
            .max_by_key(|(k, v)| (*v, k.clone()))
            .map(|(k, _)| k)
            .expect("incidents")
    };
    let category = common(&|i| i.category.clone());
    let status_of = |i: &Incident| i.status;
    let status = {
        let mut c = std::collections::HashMap::new();
        for b in base {
            *c.entry(status_of(b) as u8).or_insert(0usize) += 1;
        }
        let (&s, _) = c.iter().max_by_key(|(k, v)| (**v, **k)).expect("incidents");
        base.iter()
            .map(status_of)
            .find(|x| *x as u8 == s)
            .expect("status")
    };
    let nine = 9 * 3600;
    let partial = [
        (
            "30 days",
            Some(i64::from(today - 29) * 86_400 - 8 * 3600),
            None,
        ),
        ("2 years", None, None),
        (
            "30 days from 09:00",
            Some(i64::from(today - 29) * 86_400 - 8 * 3600 + nine),
            None,
        ),
        (
            "2 years from 09:00, to 09:00",
            Some(start + nine),
            Some(i64::from(today) * 86_400 - 8 * 3600 + nine),
        ),
    ];
    let mut filtered = Vec::new();
    for z in [8u8, 12, 16] {
        let tiles = tiles_around(centre, z, if z == 16 { 3 } else { 1 });
        for (fname, cats, statuses) in [
            ("all", vec![], vec![]),
            ("category", vec![category.clone()], vec![]),
            ("status", vec![], vec![status]),
        ] {
            for (wname, from, to) in &partial {
                if fname == "all" && to.is_none() && !wname.contains("09") {
                    continue; // the table above
                }
                let f = HeatFilter {
                    categories: cats.clone(),
                    statuses: statuses.clone(),
                    from_unix: *from,
                    to_unix: *to,
                    ..Default::default()
                };
                let mut times = Vec::new();
                for _ in 0..(60 / tiles.len()).max(8) {
                    for t in &tiles {
                        let t0 = Instant::now();
                        let png = heat.png(*t, &f, &style).expect("png");
                        times.push(t0.elapsed().as_secs_f64() * 1000.0);
                        std::hint::black_box(png);
                    }
                }
                let p50 = pct(&mut times, 0.5);
                let p99 = pct(&mut times, 0.99);
                eprintln!("z{z} {fname} {wname}: p50 {p50:.2} ms, p99 {p99:.2} ms");
                filtered.push(serde_json::json!({
                    "z": z, "filter": fname, "window": wname, "p50_ms": p50, "p99_ms": p99,
                    "samples": times.len(),
                }));
            }
        }
    }

    let mut store_rate = serde_json::Value::Null;
    if store && !first_million.is_empty() {
        let path = out.join("store.gpkg");
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(out.join("store.gpkg-wal"));
        let mut s = wangge_io::GeoPackage::create(&path).expect("store");
        s.make_durable().expect("WAL");
        let t0 = Instant::now();
        let per: usize = arg("--store-batch")
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000);
        for chunk in first_million.chunks(per) {
            s.add_incidents(chunk).expect("ingest");
        }
        let secs = t0.elapsed().as_secs_f64();
        let rate = first_million.len() as f64 / secs;
        eprintln!(
            "durable store ingest: {} incidents in {secs:.1} s, {rate:.0}/s",
            first_million.len()
        );
        drop(s);
        let bytes: u64 = ["store.gpkg", "store.gpkg-wal"]
            .iter()
            .filter_map(|f| std::fs::metadata(out.join(f)).ok())
            .map(|m| m.len())
            .sum();
        store_rate = serde_json::json!({"incidents": first_million.len(), "seconds": secs,
            "per_s": rate, "bytes": bytes});
    }
    let result = serde_json::json!({
        "n": n, "ingest_s": ingest_s, "ingest_per_s": n as f64 / ingest_s,
        "heap_bytes": heap, "rss_bytes": rss, "rss_before_index": rss_city, "tiles": rows, "store_ingest": store_rate,
        "today": today, "first_tile_ms": first_tile_ms, "filtered": filtered,
        "category": category, "status": format!("{status:?}"),
        "heap_parts": heat.heap_parts().iter().map(|(k, v)| (k.to_string(), *v)).collect::<std::collections::BTreeMap<_, _>>(),
    });
    std::fs::write(
        out.join("result.json"),
        serde_json::to_string_pretty(&result).expect("json"),
    )
    .expect("result");
}
