//! A server's KPI warmer: this month's tables kept ready off the request path, so that a
//! wall screen's requests never wait for a month's scan (a new server, a kept table running
//! out at its crossings' horizon, a change of places or plans). Only for stores that keep
//! stamps (PostgreSQL); a GeoPackage counts each request.

use crate::kpi_kept;
use std::time::Duration;
use wangge_core::Timestamp;
use wangge_core::kpi::{Level, TimeLimits, month_of, month_range, previous_month};
use wangge_io::Store;

/// The levels a wall screen shows, counted at a server's start.
pub const WALL_LEVELS: [Level; 3] = [Level::District, Level::Street, Level::Community];

/// How far ahead a table counted at now must hold (a warmer ticking every few seconds counts
/// the next one this long before the kept one runs out).
pub const AHEAD: Duration = Duration::from_secs(600);

/// The months before this one whose tables at their end (the `asof` a request for a past
/// month gets by default) the first round counts for [`WALL_LEVELS`]: a quarter. At 10M
/// incidents a past month's table costs 0.3-1.1 s to count; kept, 2 ms (kept tables of past
/// months are brought up to date after a change by the request that finds them stale).
pub const PAST_MONTHS: usize = 3;

/// Other levels (grids, departments, workers) are kept ready while asked for this recently.
pub const RECENT: Duration = Duration::from_secs(600);

/// Keeps this month's tables ready at `now` and at the start of its local day (the `asof` of
/// a role that may not see positions): every table of this month requests asked for within
/// [`RECENT`], and with `start` (a server's first round) those of [`WALL_LEVELS`] with
/// `limits` too, then the [`PAST_MONTHS`] before it at their ends. Tables nobody asks for
/// are not kept current (under a heavy ingest each round would count the new cases again:
/// two servers ingesting batches of 1,000 took 26,000 incidents/s with the wall's levels
/// kept every round, 34,000 without). How many were
/// counted or brought up to date (0 for a store that keeps no stamps).
pub fn keep_warm(
    store: &dyn Store,
    limits: &TimeLimits,
    now: Timestamp,
    start: bool,
) -> Result<usize, wangge_io::Error> {
    if store.incident_stamp()?.is_none() {
        return Ok(0);
    }
    let Some(window) = month_range(&month_of(now)) else {
        return Ok(0);
    };
    let mut wanted: Vec<((Timestamp, Timestamp), Level, TimeLimits)> = if start {
        WALL_LEVELS
            .iter()
            .map(|l| (window, *l, limits.clone()))
            .collect()
    } else {
        Vec::new()
    };
    for w in kpi_kept::recently_used(store, now, RECENT) {
        if !wanted.contains(&w) {
            wanted.push(w);
        }
    }
    let day = crate::kpi::local_day_start(now);
    let mut counted = 0;
    for (window, level, limits) in &wanted {
        for (asof, ahead) in [(now, AHEAD), (day, Duration::ZERO)] {
            if kpi_kept::warm(store, *window, *level, limits, asof, ahead)? {
                counted += 1;
            }
        }
    }
    if start {
        let mut month = month_of(now);
        for _ in 0..PAST_MONTHS {
            let Some(m) = previous_month(&month) else {
                break;
            };
            month = m;
            let Some(window) = month_range(&month) else {
                break;
            };
            // The `asof` a request for the month gets by default (`kpi::as_of`).
            let Ok(end) = crate::kpi::as_of(&month, None, now) else {
                break;
            };
            for level in WALL_LEVELS {
                if kpi_kept::warm(store, window, level, limits, end, Duration::ZERO)? {
                    counted += 1;
                }
            }
        }
    }
    Ok(counted)
}
