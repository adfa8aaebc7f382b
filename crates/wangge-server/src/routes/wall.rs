//! What the wall screen reads besides tiles: `/api/incidents/summary` (today, open, closure in
//! the last 30 days, leading categories and grids) and `/api/views` (the district and each
//! street's bounds, for the rotating views). Aggregates only.
//!
//! The summary counts every incident of the last 30 days in SQL; many wall screens polling
//! it while incidents stream in would each start that scan. One answer is kept and shared
//! (`kept.rs`) while no incident changed (the heat index's generation), up to a minute;
//! after a change one poll recomputes it while the others get the answer kept.

use crate::contract::wall::{
    CategoryCount, CommunityCount, CommunityView, GridCount, LatestIncident, View, ViewsAnswer,
    WallSummary, Window,
};
use crate::{AppError, AppState, Principal};
use axum::extract::State;
use axum::{Extension, Json};
use wangge_core::Timestamp;

/// Today's and open incidents, closure in the last 30 days, leading categories and grids.
#[utoipa::path(get, path = "/api/incidents/summary", tag = "wall",
    responses(
        (status = 200, description = "the wall's figures", body = WallSummary),
        (status = 404, description = "serving a tile archive, not a workspace"),
    ))]
pub async fn summary(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
) -> Result<Json<WallSummary>, AppError> {
    let narrow = |mut v: WallSummary| {
        if !who.sees_positions() {
            v.top_grids.clear();
        }
        Json(v)
    };
    let live = s
        .live
        .clone()
        .ok_or_else(|| AppError::NotFound("incidents live in a workspace".into()))?;
    let generation = live
        .heat
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .generation();
    use crate::kept::Use;
    match live.summary.get(generation) {
        Use::Kept(v) => Ok(narrow(v)),
        Use::Compute => match compute(live.clone(), s.min_count).await {
            Ok(v) => {
                live.summary.keep(generation, v.clone());
                Ok(narrow(v))
            }
            Err(e) => {
                live.summary.release();
                Err(e)
            }
        },
    }
}

/// The store's summary since local midnight `today` and over the window from `window`, the
/// communities' names, and the window's start: when nothing was reported in it (data that end
/// before it: an archive, a demo), the 30 days up to the newest incident.
fn read(
    st: &dyn wangge_io::Store,
    today: i64,
    window: i64,
) -> wangge_io::Result<(
    wangge_io::store::IncidentSummary,
    std::collections::HashMap<String, String>,
    i64,
)> {
    let mut sum = st.incident_summary(Timestamp::from_unix(today), Timestamp::from_unix(window))?;
    let mut window = window;
    if sum.window_total == 0
        && let Some(newest) = sum.latest.first().map(|l| l.2.unix())
    {
        window = (newest + 8 * 3600).div_euclid(86_400) * 86_400 - 8 * 3600 - 29 * 86_400;
        sum = st.incident_summary(Timestamp::from_unix(today), Timestamp::from_unix(window))?;
    }
    let names = wangge_io::store::communities_of_record(st)?
        .into_iter()
        .map(|c| (c.key, c.name))
        .collect();
    Ok((sum, names, window))
}

/// The figures of the wall; categories and grids with fewer than `min_count` incidents are
/// not listed (as none would not be).
async fn compute(
    live: std::sync::Arc<crate::live::Live>,
    min_count: u32,
) -> Result<WallSummary, AppError> {
    let min = u64::from(min_count.max(1));
    let now = Timestamp::now().unix();
    // Local (UTC+8) midnight today, and 30 local days back.
    let today = (now + 8 * 3600).div_euclid(86_400) * 86_400 - 8 * 3600;
    let window = today - 29 * 86_400;
    let taxonomy = super::query::builtin_taxonomy();
    let (sum, community_names, window) =
        tokio::task::spawn_blocking(move || live.read(|st| read(st, today, window)))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
    let name_of = |key: &str| {
        community_names
            .get(key)
            .filter(|n| !n.is_empty())
            .cloned()
            .unwrap_or_else(|| key.to_string())
    };
    let top_categories = sum
        .top_categories
        .iter()
        .filter(|(_, n)| *n >= min)
        .map(|(c, n)| CategoryCount {
            category: c.clone(),
            zh: taxonomy.get(c).map(|t| t.zh.clone()),
            count: *n,
        })
        .collect();
    let top_grids = sum
        .top_grids
        .iter()
        .filter(|(_, n)| *n >= min)
        .map(|(g, n)| GridCount {
            grid: g.clone(),
            count: *n,
        })
        .collect();
    let top_communities = sum
        .top_communities
        .iter()
        .filter(|(_, n)| *n >= min)
        .map(|(c, n)| CommunityCount {
            community: c.clone(),
            name: name_of(c),
            count: *n,
        })
        .collect();
    let latest = sum
        .latest
        .iter()
        .map(|(category, community, time, status)| LatestIncident {
            category: category.clone(),
            community: community.clone(),
            community_name: community.as_deref().map(name_of),
            time: time.to_string(),
            status: status.clone(),
        })
        .collect();
    let rate = (sum.window_total > 0).then(|| sum.window_closed as f64 / sum.window_total as f64);
    Ok(WallSummary {
        today: sum.today,
        open: sum.open,
        last_30_days: Window {
            from: Timestamp::from_unix(window).to_string(),
            until: sum.latest.first().map_or_else(
                || Timestamp::from_unix(now).to_string(),
                |l| Timestamp::from_unix(l.2.unix().min(now)).to_string(),
            ),
            reported: sum.window_total,
            closed: sum.window_closed,
            closure_rate: rate,
        },
        top_categories,
        top_grids,
        top_communities,
        latest,
        names: taxonomy
            .categories
            .iter()
            .map(|c| (c.code.clone(), c.zh.clone()))
            .collect(),
        names_en: taxonomy
            .categories
            .iter()
            .map(|c| (c.code.clone(), c.en.clone()))
            .collect(),
    })
}

/// The district's and each street's bounds, for the wall's rotating views.
#[utoipa::path(get, path = "/api/views", tag = "wall",
    responses(
        (status = 200, description = "the views", body = ViewsAnswer),
        (status = 404, description = "serving a tile archive, not a workspace"),
    ))]
pub async fn views(State(s): State<AppState>) -> Result<Json<ViewsAnswer>, AppError> {
    let live = s
        .live
        .clone()
        .ok_or_else(|| AppError::NotFound("views come from a workspace".into()))?;
    // Kept for the data version they were computed at (the outline is a union of every
    // community; a wall asks every few minutes).
    let version = s.source().map(|src| src.version().to_string());
    if let Some(version) = &version
        && let Some((v, answer)) = live
            .views
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        && v == version
    {
        return Ok(Json(answer.clone()));
    }
    let answer = compute_views(live.clone(), version.clone()).await?;
    if let Some(version) = version {
        *live.views.lock().unwrap_or_else(|p| p.into_inner()) = Some((version, answer.clone()));
    }
    Ok(Json(answer))
}

/// The district's and each street's bounds, every community's, the district's outline.
async fn compute_views(
    live: std::sync::Arc<crate::live::Live>,
    data_version: Option<String>,
) -> Result<ViewsAnswer, AppError> {
    let (b, polygons, named) = tokio::task::spawn_blocking(move || {
        live.read(|st| {
            let named: Vec<(String, String, Option<String>)> = st
                .communities()?
                .into_iter()
                .map(|c| (c.key, c.name, c.street))
                .collect();
            Ok((st.street_bounds()?, st.community_polygons()?, named))
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let union = geo::unary_union(polygons.iter().map(|(_, p)| p));
    let outline = serde_json::to_value(geojson::Geometry::from(&union))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut views = vec![View {
        name: "district".into(),
        bounds: b.all,
    }];
    views.extend(
        b.streets
            .into_iter()
            .map(|(name, bounds)| View { name, bounds }),
    );
    let bounds: std::collections::HashMap<&str, [f64; 4]> = polygons
        .iter()
        .filter_map(|(k, p)| {
            geo::BoundingRect::bounding_rect(p)
                .map(|r| (k.as_str(), [r.min().x, r.min().y, r.max().x, r.max().y]))
        })
        .collect();
    let communities = named
        .into_iter()
        .filter_map(|(key, name, street)| {
            let bounds = *bounds.get(key.as_str())?;
            Some(CommunityView {
                name: if name.is_empty() { key.clone() } else { name },
                key,
                street,
                bounds,
            })
        })
        .collect();
    Ok(ViewsAnswer {
        views,
        communities,
        data_version,
        outline,
    })
}
