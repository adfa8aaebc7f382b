//! The synthetic city: deterministic, realistic in the ways later issues depend on.

use std::collections::HashMap;
use wangge_core::NoProgress;
use wangge_io::store::prelude::*;
use wangge_synth::{CityParams, generate};

#[test]
fn same_seed_same_city_other_seed_other_city() {
    let a = generate(&CityParams::new(6_000, 7), &NoProgress);
    let b = generate(&CityParams::new(6_000, 7), &NoProgress);
    let c = generate(&CityParams::new(6_000, 8), &NoProgress);
    assert_eq!(a, b);
    assert_ne!(a, c);
    // And the same bytes in the store.
    let dir = tempfile::tempdir().expect("tmp");
    let digest = |name: &str, d: &wangge_core::Dataset| {
        let mut s = wangge_io::GeoPackage::create(dir.path().join(name)).expect("create");
        s.write(d, "test", "", &NoProgress).expect("write");
        s.digest().expect("digest")
    };
    assert_eq!(digest("a.gpkg", &a), digest("b.gpkg", &b));
}

#[test]
fn city_is_realistic() {
    let d = generate(&CityParams::new(40_000, 3), &NoProgress);
    let (given, estimated) = d.households();
    assert_eq!(estimated, 0);
    assert!((38_000..=42_000).contains(&given), "{given}");
    assert_eq!(d.communities.len(), 20);
    // Communities of about 2,000 households.
    let index = wangge_core::SpatialIndex::new(&d);
    let mut per: HashMap<usize, u64> = HashMap::new();
    for a in &d.address_points {
        let c = index.communities.containing(a.location);
        assert_eq!(c.len(), 1, "every entrance lies in exactly one community");
        *per.entry(c[0]).or_default() += u64::from(a.households);
    }
    for hh in per.values() {
        assert!(
            (1_600..=2_400).contains(hh),
            "community with {hh} households"
        );
    }
    // Some entrances exceed the 200-household cap: the partitioner must meet real trouble.
    assert!(d.address_points.iter().any(|a| a.households > 200));
    // Walk-ups and towers.
    assert!(d.buildings.iter().any(|b| b.levels <= 7));
    assert!(d.buildings.iter().any(|b| b.levels >= 18));
    // Every life-circle category appears somewhere, and some communities lack some.
    for cat in [
        "kindergarten",
        "health_station",
        "elderly_care",
        "convenience_store",
        "primary_school",
        "fresh_market",
        "supermarket",
    ] {
        assert!(
            d.facilities.iter().any(|f| f.category.as_str() == cat),
            "{cat}"
        );
    }
    assert!(d.streets.iter().any(|s| s.highway == "primary"));
    assert!(d.streets.iter().any(|s| s.highway == "footway"));
    // A year of incidents with a weekly rhythm: weekdays busier than Sundays.
    assert!(d.incidents.len() > 5_000);
    let mut by_weekday = [0u32; 7];
    for i in &d.incidents {
        by_weekday[((i.time.unix() / 86_400 + 3).rem_euclid(7)) as usize] += 1;
    }
    assert!(
        by_weekday[1] as f64 > 1.15 * by_weekday[6] as f64,
        "{by_weekday:?}"
    );
}
