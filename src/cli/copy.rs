//! `wangge copy SRC DST`: a workspace copied between backends (GeoPackage ↔ PostgreSQL, or
//! to another file or schema), everything through the store traits: places, plan versions
//! as stored, incidents with their recorded steps, index releases, tokens (their hashes),
//! the audit log, residents, gap and service areas. Prints the backend-neutral digest of
//! both ends and fails when they differ.

use super::progress::Bar;
use anyhow::Context;
use std::path::PathBuf;
use std::time::Instant;
use wangge_core::Progress;
use wangge_io::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace to copy (a .gpkg file or a postgres:// URL).
    source: PathBuf,
    /// Where to copy it: a new .gpkg file, or a postgres:// URL whose schema holds no
    /// workspace yet.
    target: PathBuf,
}

pub fn run(a: &Args) -> anyhow::Result<()> {
    let start = Instant::now();
    let src = wangge_app::open_store(&a.source, wangge_app::Access::Read)?;
    let mut dst = wangge_app::open_store(&a.target, wangge_app::Access::Create)?;
    let bar = Bar::default();
    copy(src.as_ref(), dst.as_mut(), &bar).with_context(|| {
        format!(
            "the copy stopped; {} holds a partial copy: remove it (the file, or DROP SCHEMA … CASCADE) before copying again",
            wangge_app::shown(&a.target)
        )
    })?;
    dst.audit(
        "cli",
        "admin",
        "workspace.copy",
        &format!("from {}", wangge_app::shown(&a.source)),
    )?;
    let (from, to) = (
        wangge_io::store::content_digest(src.as_ref())?,
        wangge_io::store::content_digest(dst.as_ref())?,
    );
    println!("{from}  {}", wangge_app::shown(&a.source));
    println!("{to}  {}", wangge_app::shown(&a.target));
    if from != to {
        anyhow::bail!(
            "the copy's digest differs from the source's; the target holds a partial copy"
        );
    }
    println!(
        "copied {} to {} in {:.1} s; digests match",
        wangge_app::shown(&a.source),
        wangge_app::shown(&a.target),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The places, and the source's import log instead of the entry the write made (the copy
/// itself is in the audit log): both ends then give the same data version, so caches and
/// ETags agree.
pub(super) fn copy_places(src: &dyn Store, dst: &mut dyn Store, bar: &Bar) -> anyhow::Result<()> {
    let places = src.load_places()?;
    dst.write(&places, "copy", &src.location(), bar)?;
    dst.replace_import_log(&src.import_log()?)?;
    Ok(())
}

/// The incidents with their recorded steps, read in pages and written in chunks.
pub(super) fn copy_incidents(
    src: &dyn Store,
    dst: &mut dyn Store,
    bar: &Bar,
) -> anyhow::Result<()> {
    bar.start("reading incidents", None);
    let mut incidents = Vec::new();
    let mut after = 0;
    loop {
        let page = src.incidents_after(after, 50_000)?;
        let Some(last) = page.last() else { break };
        after = last.0;
        bar.advance(page.len() as u64);
        incidents.extend(page.into_iter().map(|(_, i)| i));
    }
    bar.finish();
    let events = src.incident_events()?;
    bar.start("copying incidents", Some(incidents.len() as u64));
    for chunk in incidents.chunks(50_000) {
        let keys: std::collections::HashSet<&str> = chunk.iter().map(|i| i.key.as_str()).collect();
        let mine: Vec<_> = events
            .iter()
            .filter(|e| keys.contains(e.incident.as_str()))
            .cloned()
            .collect();
        dst.restore_incidents(chunk, &mine)?;
        bar.advance(chunk.len() as u64);
    }
    bar.finish();
    Ok(())
}

// Long: one pass over every part of a workspace in dependency order, each a few lines.
fn copy(src: &dyn Store, dst: &mut dyn Store, bar: &Bar) -> anyhow::Result<()> {
    copy_places(src, dst, bar)?;
    let plans = src.plans()?;
    bar.start("copying plan versions", Some(plans.len() as u64));
    for p in &plans {
        dst.write_plan_record(&src.plan_record(p.id)?)?;
        bar.advance(1);
    }
    bar.finish();
    copy_incidents(src, dst, bar)?;

    for (id, ..) in src.index_releases()? {
        dst.restore_release(&src.index_release(id)?)?;
    }
    let hashes = src.token_hashes()?;
    for t in src.tokens()? {
        // A revoked token's hash is not read back (it no longer opens anything): its row
        // is kept with a hash no secret has.
        let hash = hashes
            .iter()
            .find(|(_, r)| r.id == t.id)
            .map_or_else(|| format!("revoked:{}", t.id), |(h, _)| h.clone());
        dst.restore_token(&t, &hash)?;
    }
    let mut audit = src.audit_log(usize::MAX)?;
    audit.reverse();
    dst.restore_audit(&audit)?;
    let residents = src.all_residents()?;
    if !residents.is_empty() {
        dst.replace_residents(&residents)?;
    }
    for p in src.photos(None)? {
        if let Some((kind, bytes)) = src.photo(&p.incident, p.n)? {
            dst.add_photo(&p.incident, &kind, &bytes, p.at)?;
        }
    }
    let workers = src.workers()?;
    if !workers.is_empty() {
        dst.replace_workforce(&src.departments()?, &workers)?;
    }
    let mut gaps: std::collections::BTreeMap<String, Vec<wangge_io::store::GapArea>> =
        Default::default();
    for g in src.gap_areas()? {
        gaps.entry(g.what.clone()).or_default().push(g);
    }
    for (what, areas) in gaps {
        dst.write_gap_areas(&what, &areas)?;
    }
    let service = src.latest_service_areas()?;
    if !service.is_empty() {
        // The run's distances are not copied (run `wangge coverage` again for them); its
        // areas are kept as an older run than any later one.
        dst.write_service_areas(0, &service)?;
    }
    Ok(())
}
