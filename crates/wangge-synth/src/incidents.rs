//! A year of incidents: volume proportional to households, a daily rhythm (office hours for
//! most categories, evenings and nights for noise), a weekly rhythm, hot spots around some
//! markets, and statuses that follow the closed loop (old cases closed, recent ones open).

use crate::city::CityParams;
use crate::rng::Rng;
use geo_types::{Coord, Point};
use wangge_core::{Dataset, Incident, IncidentSource, IncidentStatus, LocalFrame, Timestamp};

/// (taxonomy code, weight, night-time bias).
const CATEGORIES: &[(&str, f64, bool)] = &[
    ("streetscape", 0.28, false),
    ("street_order", 0.18, false),
    ("advertising", 0.08, false),
    ("construction", 0.08, false),
    ("facilities", 0.14, false),
    ("noise", 0.10, true),
    ("dispute", 0.09, true),
    ("emergency", 0.05, false),
];

const HOUR_DAY: [f64; 24] = [
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 2.0, 3.0, 3.2, 2.8, 1.8, 2.0, 2.8, 3.0, 2.8, 2.2, 1.5,
    1.2, 1.0, 0.8, 0.5, 0.3,
];
const HOUR_NIGHT: [f64; 24] = [
    1.5, 1.0, 0.6, 0.3, 0.2, 0.2, 0.3, 0.5, 0.6, 0.6, 0.6, 0.6, 0.8, 0.8, 0.6, 0.6, 0.7, 0.9, 1.2,
    1.8, 2.4, 2.8, 2.6, 2.0,
];
/// Median hours from one step to the next: dispatch, handling, follow-up visit, closing.
const STEP_HOURS: [i64; 4] = [1, 20, 30, 12];
/// Monday .. Sunday.
const WEEKDAY: [f64; 7] = [1.0, 1.0, 1.0, 1.0, 1.05, 0.8, 0.75];

// Long: a year of incidents drawn in one pass whose random draws must stay in this order for
// the generated city to stay the same byte for byte.
pub(crate) fn incidents(
    city: &Dataset,
    params: &CityParams,
    rng: &Rng,
    frame: &LocalFrame,
) -> Vec<Incident> {
    let mut r = rng.clone();
    let total_hh: u64 = city
        .address_points
        .iter()
        .map(|a| u64::from(a.households))
        .sum();
    let n = (total_hh as f64 * params.incident_rate * f64::from(params.history_days) / 365.0)
        .round() as usize;
    if n == 0 || city.address_points.is_empty() {
        return Vec::new();
    }
    // Cumulative households for weighted picks of an entrance.
    let mut cum = Vec::with_capacity(city.address_points.len());
    let mut acc = 0u64;
    for a in &city.address_points {
        acc += u64::from(a.households);
        cum.push(acc);
    }
    // Hot spots: some fresh markets and a few random entrances.
    let mut hot: Vec<Coord<f64>> = city
        .facilities
        .iter()
        .filter(|f| f.category.as_str() == "fresh_market")
        .map(|f| frame.forward(f.location.0))
        .filter(|_| r.chance(0.6))
        .collect();
    for _ in 0..(city.communities.len() / 10).max(1) {
        let i = r.int(0, city.address_points.len() as u32 - 1) as usize;
        hot.push(frame.forward(city.address_points[i].location.0));
    }
    let start = params.history_end_unix - i64::from(params.history_days) * 86_400;
    let weights: Vec<f64> = CATEGORIES.iter().map(|c| c.1).collect();
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let (cat, _, night) = CATEGORIES[r.weighted(&weights)];
        let at = if r.chance(0.3) {
            let h = hot[r.int(0, hot.len() as u32 - 1) as usize];
            Coord {
                x: h.x + r.normal() * 80.0,
                y: h.y + r.normal() * 80.0,
            }
        } else {
            let pick = (r.f64() * acc as f64) as u64;
            let i = cum.partition_point(|&c| c <= pick).min(cum.len() - 1);
            let p = frame.forward(city.address_points[i].location.0);
            Coord {
                x: p.x + r.normal() * 12.0,
                y: p.y + r.normal() * 12.0,
            }
        };
        // Day by weekly rhythm (rejection), hour by daily rhythm.
        let day = loop {
            let d = r.int(0, params.history_days - 1);
            let weekday = ((start / 86_400 + i64::from(d) + 3).rem_euclid(7)) as usize; // 1970-01-01 was a Thursday
            if r.f64() * 1.05 < WEEKDAY[weekday] {
                break d;
            }
        };
        let hour = r.weighted(if night { &HOUR_NIGHT } else { &HOUR_DAY }) as i64;
        let t = start + i64::from(day) * 86_400 + hour * 3600 + i64::from(r.int(0, 3599));
        let age_days = (params.history_end_unix - t) / 86_400;
        let status = if age_days > 14 {
            if r.chance(0.96) {
                IncidentStatus::Closed
            } else {
                IncidentStatus::FollowedUp
            }
        } else {
            IncidentStatus::ALL[r.int(0, 4) as usize]
        };
        let source = [
            IncidentSource::GridWorker,
            IncidentSource::Hotline,
            IncidentSource::Petition,
            IncidentSource::Police110,
            IncidentSource::Other,
        ][r.weighted(&[0.5, 0.3, 0.05, 0.1, 0.05])];
        let mut inc = Incident::reported(
            format!("synth:i{k}"),
            Timestamp::from_unix(t),
            cat.to_string(),
            source,
            Point(frame.inverse(at)),
        );
        // Each later step some hours after the one before, drawn from the incident's own
        // stream (so the stream of positions and times stays as it was): log-normal around a
        // median per step and category, some over the time limits; never after the history's
        // end.
        let mut steps_rng = rng.fork(0x57E9_0000 + k as u64);
        let mut when = t;
        for (i, step) in IncidentStatus::ALL[1..=status as usize].iter().enumerate() {
            let median_h = match (i, cat) {
                (1, "emergency") => 2.0,
                (1, "noise" | "street_order") => 10.0,
                (1, "dispute" | "construction") => 48.0,
                (i, _) => STEP_HOURS[i] as f64,
            };
            let gap_s = (median_h * (0.8 * steps_rng.normal()).exp() * 3600.0) as i64;
            when = (when + gap_s.max(60)).min(params.history_end_unix);
            if inc.transition(*step, Timestamp::from_unix(when)).is_err() {
                break;
            }
        }
        out.push(inc);
    }
    out.sort_by_key(|i| i.time);
    out
}
