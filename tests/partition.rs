//! Grid partitioning on the synthetic city and real data: the four hard constraints, and the
//! objectives against the targets.

use wangge_core::NoProgress;
use wangge_core::partition::{Partitioner, partition_all};
use wangge_synth::{CityParams, generate};

#[test]
fn synthetic_city_meets_the_hard_constraints() {
    let city = generate(&CityParams::new(20_000, 1), &NoProgress);
    let plan = partition_all(&Partitioner::new(200).expect("cap"), &city, &NoProgress);
    let m = &plan.metrics;
    eprintln!("{m:#?}");
    for c in &plan.communities {
        assert!(c.violations.is_empty(), "{}: {:?}", c.code, c.violations);
    }
    assert!(plan.errors.is_empty() && plan.outside.is_empty());
    assert_eq!(m.over_cap, 0);
    assert_eq!(m.disconnected, 0);
}
