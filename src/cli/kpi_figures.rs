//! How the closed-loop KPIs are shown by `wangge report` and the monthly page: rates and
//! hours as text, area names, the ranking and the district's 12-month trend as charts.

use anyhow::Context;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wangge_core::kpi::KpiRow;
use wangge_io::Store;

/// A rate as a percentage with one decimal, `–` when undefined.
pub(super) fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{:.1}%", x * 100.0))
}

/// A number with one decimal, `–` when undefined.
pub(super) fn hours(x: Option<f64>) -> String {
    x.map_or("–".into(), |x| format!("{x:.1}"))
}

/// Area code → name (communities by name, those of record too: a plan's community level,
/// whose streets are the imported polygons; grids and other streets by code).
pub(super) fn names(store: &dyn Store) -> anyhow::Result<BTreeMap<String, String>> {
    Ok(store
        .communities()?
        .into_iter()
        .chain(wangge_io::store::communities_of_record(store)?)
        .map(|c| (c.key, c.name))
        .collect())
}

/// Ranking (closure and on-time rates per area) and 12-month trend charts.
pub(super) fn kpi_charts(
    dir: &Path,
    month: &str,
    rows: &[KpiRow],
    trend: &[(String, KpiRow)],
    names: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let series = vec![
        "结案率 closure".to_string(),
        "按期结案率 on time".to_string(),
    ];
    let mut ranked: Vec<&KpiRow> = rows.iter().collect();
    ranked.sort_by(|a, b| {
        b.on_time_rate()
            .unwrap_or(-1.0)
            .total_cmp(&a.on_time_rate().unwrap_or(-1.0))
    });
    let bars: Vec<(String, Vec<f64>)> = ranked
        .iter()
        .map(|r| {
            (
                names
                    .get(&r.area)
                    .cloned()
                    .unwrap_or_else(|| r.area.clone()),
                vec![
                    r.closure_rate().unwrap_or(f64::NAN),
                    r.on_time_rate().unwrap_or(f64::NAN),
                ],
            )
        })
        .collect();
    let ranking = dir.join(format!("kpi-ranking-{month}.png"));
    wangge_tiles::bar_chart(
        &format!("{month} 结案率与按期结案率 closure and on-time rates"),
        &series,
        &bars,
        &ranking,
    )?;
    let trend_rows: Vec<(String, Vec<f64>)> = trend
        .iter()
        .map(|(m, r)| {
            (
                m.clone(),
                vec![
                    r.closure_rate().unwrap_or(f64::NAN),
                    r.on_time_rate().unwrap_or(f64::NAN),
                ],
            )
        })
        .collect();
    let trend_png = dir.join(format!("kpi-trend-{month}.png"));
    wangge_tiles::bar_chart(
        "全区月度趋势 district trend",
        &series,
        &trend_rows,
        &trend_png,
    )?;
    Ok(vec![ranking, trend_png])
}
