//! The monthly report page (`wangge report monthly`): one self-contained HTML file (charts
//! and map embedded as PNG data) with the month's closed-loop KPIs, the social-condition index
//! ranking and map, and the audit record (digests) a street office can hand out.

use super::kpi_figures::{hours as num, kpi_charts, names, pct};
use anyhow::Context;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use wangge_core::kpi::{IndexParams, Level, TimeLimits};
use wangge_tiles::{MapLayer, MapStyle, render_png};

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn img(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(format!(
        "<img alt=\"\" src=\"data:image/png;base64,{}\">",
        base64(&bytes)
    ))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Index classes for the map: colour by how far above or below the district (100).
fn colour(index: Option<f64>) -> [u8; 4] {
    match index {
        None => [220, 220, 220, 255],
        Some(i) if i < 70.0 => [26, 150, 65, 255],
        Some(i) if i < 90.0 => [166, 217, 106, 255],
        Some(i) if i < 110.0 => [255, 255, 191, 255],
        Some(i) if i < 130.0 => [253, 174, 97, 255],
        Some(_) => [215, 25, 28, 255],
    }
}

/// A KPI table of the monthly page: code, name (of the area, department or worker), counts
/// and rates.
fn kpi_table(h: &mut String, rows: &[wangge_core::kpi::KpiRow], names: &BTreeMap<String, String>) {
    h.push_str("<table><tr><th>编码 code</th><th>名称 name</th><th>上报</th><th>立案率</th><th>派遣率</th><th>结案率</th><th>按期结案率</th><th>返工率</th><th>延期率</th><th>满意率</th><th>超期</th><th>处置中位数 (h)</th></tr>");
    for r in rows {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.area),
            esc(names.get(&r.area).map_or("", String::as_str)),
            r.reported,
            pct(r.filed_rate()),
            pct(r.dispatch_rate()),
            pct(r.closure_rate()),
            pct(r.on_time_rate()),
            pct(r.rework_rate()),
            pct(r.extension_rate()),
            pct(r.satisfaction_rate()),
            r.overdue,
            num(r.median_h[1])
        );
    }
    h.push_str("</table>");
}

/// Writes the page; returns the number of areas in it.
pub fn write(workspace: &Path, month: &str, level: Level, out: &Path) -> anyhow::Result<usize> {
    // One "as of" rule with the API and `report kpi` (wangge-app): the month's end, or now.
    let end = wangge_app::kpi::as_of(month, None, wangge_core::Timestamp::now())?;
    if !matches!(level, Level::Community | Level::Street) {
        anyhow::bail!("--by: community or street");
    }
    let store = wangge_app::open_store(workspace, wangge_app::Access::Read)?;
    let store = &*store;
    let limits = TimeLimits::builtin();
    let p = IndexParams::builtin();
    let names = names(store)?;
    // The figures of `report kpi`, `report index` and the API, from the same functions: on
    // PostgreSQL counted in the database, never every case read into the process.
    let month_rows = |level: Level| -> anyhow::Result<Vec<wangge_core::kpi::KpiRow>> {
        Ok(wangge_app::kpi::month_kpis(store, &limits, month, level, Some(end))?.rows)
    };
    let district = month_rows(Level::District)?.pop().unwrap_or_default();
    let rows = month_rows(level)?;
    let run = wangge_app::kpi::month_index(store, &p, month, level)?;
    let dir = tempfile::tempdir()?;
    let trend = wangge_app::kpi::trend(store, &limits, month, 12)?;
    let charts = kpi_charts(dir.path(), month, &rows, &trend, &names)?;
    // The map: communities coloured by their index (streets: their communities by the street's).
    let data = store.load_places()?;
    let by_area: BTreeMap<&str, Option<f64>> = run
        .rows
        .iter()
        .map(|r| (r.area.as_str(), r.index))
        .collect();
    let polygons: Vec<(geo_types::Polygon<f64>, MapStyle)> = data
        .communities
        .iter()
        .flat_map(|c| {
            let area = match level {
                Level::Street => c.street.clone().unwrap_or_default(),
                _ => c.key.clone(),
            };
            let fill = colour(by_area.get(area.as_str()).copied().flatten());
            c.geometry.0.iter().map(move |poly| {
                (
                    poly.clone(),
                    MapStyle {
                        fill: Some(fill),
                        stroke: Some([80, 80, 80, 255]),
                        point_px: 0,
                    },
                )
            })
        })
        .collect();
    let map_png = dir.path().join("map.png");
    render_png(
        &[MapLayer::Polygons(polygons)],
        900,
        &[format!(
            "{month} social-condition index: green < 90, yellow 90-110, red > 110 (100 = district)"
        )],
        &map_png,
    )?;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{month} 社情月报</title>\
<style>body{{font:14px/1.5 'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;max-width:960px;margin:24px auto;color:#1d2430}}\
h1{{color:#1f3a5f}}h2{{color:#1f3a5f;border-bottom:2px solid #1f3a5f}}table{{border-collapse:collapse;width:100%}}\
td,th{{border-bottom:1px solid #dde;padding:3px 6px;text-align:right}}td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){{text-align:left}}\
.kpis{{display:grid;grid-template-columns:repeat(7,1fr);gap:8px}}.kpis div{{background:#f2f5f9;padding:8px;border-radius:6px}}\
.kpis b{{display:block;font-size:22px;color:#1f3a5f}}img{{max-width:100%}}.small{{color:#6b7785;font-size:12px;word-break:break-all}}</style></head><body>\
<h1>{month} 社情月报 · Monthly report</h1><p class=\"small\">Wangge {} · workspace {} · steps as of {end}</p>",
        env!("CARGO_PKG_VERSION"),
        esc(&wangge_app::shown(workspace))
    );
    let _ = write!(
        h,
        "<h2>闭环管理 Closed loop</h2><div class=\"kpis\">\
<div><b>{}</b>上报 reported</div><div><b>{}</b>立案率 filed</div><div><b>{}</b>结案率 closed</div>\
<div><b>{}</b>按期结案率 on time</div><div><b>{}</b>返工率 rework</div><div><b>{}</b>满意率 satisfied</div><div><b>{}</b>超期未结 overdue</div></div>",
        district.reported,
        pct(district.filed_rate()),
        pct(district.closure_rate()),
        pct(district.on_time_rate()),
        pct(district.rework_rate()),
        pct(district.satisfaction_rate()),
        district.overdue
    );
    kpi_table(&mut h, &rows, &names);
    // Who handled the cases: per department and per worker (the latest assignment of each
    // case), named from the register.
    for (level, title) in [
        (Level::Department, "按部门 By department"),
        (Level::Worker, "按人员 By worker"),
    ] {
        let who = month_rows(level)?;
        if who.is_empty() {
            continue;
        }
        let (names, _) = wangge_app::kpi::register_names(store, level)?;
        let _ = write!(h, "<h2>{title}</h2>");
        kpi_table(&mut h, &who, &names);
    }
    for c in &charts {
        h.push_str(&img(c)?);
    }
    let _ = write!(
        h,
        "<h2>社情指数 Social-condition index</h2><p>每千户事件数与全区比较，全区 = 100；越高，诉求越多。Incidents per 1,000 households against the district (100); higher means more demand.</p>"
    );
    h.push_str(&img(&map_png)?);
    h.push_str("<table><tr><th>排名 rank</th><th>名称 name</th><th>户数</th><th>指数 index</th><th>上月 previous</th><th>变化 change</th>");
    for c in &p.categories {
        let _ = write!(h, "<th>{}</th>", esc(&c.zh));
    }
    h.push_str("</tr>");
    let mut ranked: Vec<&wangge_core::kpi::IndexRow> = run.rows.iter().collect();
    ranked.sort_by_key(|r| r.rank.unwrap_or(usize::MAX));
    for r in ranked {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            r.rank.map_or("–".into(), |x| x.to_string()),
            esc(names.get(&r.area).map_or(r.area.as_str(), String::as_str)),
            r.households,
            num(r.index),
            num(r.previous),
            r.change().map_or("–".into(), |c| format!("{c:+.1}"))
        );
        for s in &r.category_scores {
            let _ = write!(h, "<td>{}</td>", num(*s));
        }
        h.push_str("</tr>");
    }
    let _ = write!(
        h,
        "</table><h2>审计 Audit</h2><p class=\"small\">inputs sha256 {}<br>results sha256 {}<br>params sha256 {}<br>\
Recompute: <code>wangge report index {} --month {month} --by {}</code>; a released month is checked with <code>wangge report verify</code>. \
Formula: docs/social-index.md; KPI definitions: docs/kpi.md. Counts below {} are not published.</p></body></html>",
        run.inputs_sha256,
        run.results_sha256,
        run.params_sha256,
        esc(&wangge_app::shown(workspace)),
        level.as_str(),
        p.min_count
    );
    std::fs::write(out, h).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_rfc_examples() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(raw.as_bytes()), enc);
        }
    }
}
