//! The workspace store: create, open, write a dataset in one transaction, load it back.

use super::geometry::{decode, encode};
use super::rows::{conv, point};
use super::schema::{self, LAYERS, Layer};
use crate::crs::WGS84_WKT;
use crate::store::Workspace;
use crate::store::prelude::*;
use crate::store::{ImportEntry, LayerCount};
use crate::{Error, Result};
use geo::BoundingRect;
use geo_types::{Geometry, LineString, MultiPolygon, Rect};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wangge_core::{
    AddressPoint, Building, Community, Component, ComponentStatus, Dataset, Facility,
    FacilityCategory, LandCover, Progress, Street, Timestamp,
};

/// An open workspace.
#[derive(Debug)]
pub struct GeoPackage {
    path: PathBuf,
    conn: Connection,
}

impl GeoPackage {
    /// Opens a workspace, creating a new empty GeoPackage when the file does not exist.
    pub fn open_or_create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if path.exists() {
            Self::open(path)
        } else {
            Self::create(path)
        }
    }

    /// Creates a new empty workspace; fails if the file exists.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if path.exists() {
            return Err(Error::Workspace {
                path,
                message: "already exists".into(),
            });
        }
        let conn = Connection::open(&path)
            .map_err(|source| crate::gpkg::backend_error(path.clone(), source))?;
        let mut store = Self { path, conn };
        if let Err(e) = store.init_schema() {
            let Self { path, conn } = store;
            drop(conn);
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        Ok(store)
    }

    fn init_schema(&mut self) -> Result<()> {
        let mut ddl = format!(
            "PRAGMA application_id = {};\nPRAGMA user_version = {};\nBEGIN;\n{}",
            schema::APPLICATION_ID,
            schema::USER_VERSION,
            schema::CORE_DDL
        );
        for layer in LAYERS {
            ddl.push_str(&schema::layer_ddl(layer));
        }
        ddl.push_str(schema::INCIDENT_EVENTS_DDL);
        ddl.push_str("COMMIT;");
        let path = self.path.clone();
        let sql = |source| crate::gpkg::backend_error(path.clone(), source);
        self.conn.execute_batch(&ddl).map_err(sql)?;
        self.conn
            .execute(
                "INSERT INTO gpkg_spatial_ref_sys VALUES
                 ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
                 ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
                 ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?1, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
                [WGS84_WKT],
            )
            .map_err(sql)?;
        Ok(())
    }

    /// Opens a workspace to change it: as [`GeoPackage::open`], then `PRAGMA quick_check`;
    /// a damaged file is refused (nothing is written to it) with how to recover.
    pub fn open_for_writing(path: impl AsRef<Path>) -> Result<Self> {
        let store = Self::open(path)?;
        let problems = store.integrity(false);
        if !problems.is_empty() {
            return Err(Error::Workspace {
                path: store.path.clone(),
                message: damaged(&store.path, &problems),
            });
        }
        Ok(store)
    }

    /// What SQLite's `PRAGMA quick_check` (or the slower, fuller `integrity_check`) finds
    /// wrong with the file, at most 20 lines; empty when it is sound.
    pub fn integrity(&self, full: bool) -> Vec<String> {
        let pragma = if full {
            "integrity_check"
        } else {
            "quick_check"
        };
        let run = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare(&format!("PRAGMA {pragma}(20)"))?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect()
        };
        match run() {
            Ok(lines) if lines == ["ok"] => Vec::new(),
            Ok(lines) => lines,
            Err(e) => vec![e.to_string()],
        }
    }

    // Long: opening checks in order (file, SQLite, GeoPackage id, layers added since, columns
    // added since), each naming the workspace.
    /// Opens an existing workspace and checks that it is a Wangge GeoPackage.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let bad = |message: String| Error::Workspace {
            path: path.clone(),
            message,
        };
        if path.is_dir() {
            return Err(bad(
                "is a directory, not a workspace: name the .gpkg file inside it".into(),
            ));
        }
        if !path.is_file() {
            return Err(bad(
                "no such file: make a workspace with `wangge import FILE --workspace W.gpkg` or `wangge generate --workspace W.gpkg`".into(),
            ));
        }
        let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| bad(format!("cannot open: {e}")))?;
        // Wait for another process's write (a server switching the file to write-ahead
        // logging as a second one starts) instead of failing at once. (The PRAGMA, not
        // rusqlite's busy_timeout: that needs SQLite ≥ 3.44.)
        conn.query_row("PRAGMA busy_timeout = 10000", [], |_| Ok(()))
            .map_err(|e| bad(format!("cannot open: {e}")))?;
        let app: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| bad(format!("not a SQLite database or damaged ({e})")))?;
        if app != schema::APPLICATION_ID {
            return Err(bad(format!(
                "not a GeoPackage (application_id {app:#x}, expected 0x47504B47 'GPKG')"
            )));
        }
        // Layers added since a workspace was made are created empty (land cover, components).
        for layer in [&schema::LAND_COVER, &schema::COMPONENTS] {
            let has: Option<String> = conn
                .query_row(
                    "SELECT table_name FROM gpkg_contents WHERE table_name = ?1",
                    [layer.name],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| bad(format!("damaged ({e})")))?;
            if has.is_none() {
                GeoPackage::ddl(&conn, &schema::layer_ddl(layer))
                    .map_err(|e| bad(format!("adding the {} layer: {e}", layer.name)))?;
            }
        }
        // Columns added since (incident timeline) and the incident events table.
        for (table, col, ty) in schema::ADDED_COLUMNS {
            let has: bool = conn
                .query_row(
                    &format!("SELECT count(*) FROM pragma_table_info('{table}') WHERE name = ?1"),
                    [col],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(|e| bad(format!("damaged ({e})")))?
                > 0;
            if !has {
                conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {col} {ty};"))
                    .map_err(|e| bad(format!("adding column {table}.{col}: {e}")))?;
            }
        }
        // A component's history and the ranking of repeated faults read incidents by component.
        conn.execute_batch(
            "CREATE INDEX IF NOT EXISTS incidents_component ON incidents(component) \
             WHERE component IS NOT NULL;",
        )
        .map_err(|e| bad(format!("adding the index of incidents by component: {e}")))?;
        let has_events: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'incident_events'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| bad(format!("damaged ({e})")))?;
        if has_events == 0 {
            GeoPackage::ddl(&conn, schema::INCIDENT_EVENTS_DDL)
                .map_err(|e| bad(format!("adding the incident_events table: {e}")))?;
        }
        // Extensions (延期) carry their hours in `detail`, added since.
        let has_detail: i64 = conn
            .query_row(
                "SELECT count(*) FROM pragma_table_info('incident_events') WHERE name = 'detail'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| bad(format!("damaged ({e})")))?;
        if has_detail == 0 {
            conn.execute_batch("ALTER TABLE incident_events ADD COLUMN detail TEXT;")
                .map_err(|e| bad(format!("adding column incident_events.detail: {e}")))?;
        }
        for layer in LAYERS {
            let found: Option<String> = conn
                .query_row(
                    "SELECT table_name FROM gpkg_contents WHERE table_name = ?1",
                    [layer.name],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| bad(format!("damaged ({e})")))?;
            if found.is_none() {
                return Err(bad(format!(
                    "a GeoPackage, but not a Wangge workspace: layer {} is missing",
                    layer.name
                )));
            }
            let mut stmt = conn
                .prepare(&format!("PRAGMA table_info({})", layer.name))
                .map_err(|e| bad(format!("damaged ({e})")))?;
            let cols: Vec<String> = stmt
                .query_map([], |r| r.get::<_, String>(1))
                .and_then(|rows| rows.collect())
                .map_err(|e| bad(format!("damaged ({e})")))?;
            if let Some((missing, _)) = layer
                .columns
                .iter()
                .find(|(c, _)| !cols.iter().any(|x| x == c))
            {
                return Err(bad(format!(
                    "made by an older Wangge: layer {} has no column {missing}; regenerate or re-import it",
                    layer.name
                )));
            }
        }
        Ok(Self { path, conn })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The SQLite connection (this module's files and `testing` only).
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Runs schema statements in one immediate transaction, rolled back if any fails (a
    /// failed batch never leaves the connection inside a transaction).
    pub(crate) fn ddl(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
        conn.execute_batch("BEGIN IMMEDIATE;")?;
        match conn.execute_batch(sql) {
            Ok(()) => conn.execute_batch("COMMIT;"),
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK;");
                Err(e)
            }
        }
    }

    pub(crate) fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// True when `table` is registered in `gpkg_contents`.
    pub(crate) fn has_table(&self, table: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT count(*) FROM gpkg_contents WHERE table_name = ?1",
                [table],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(self.sql())
    }

    /// Whether a table has a column (for columns added since a workspace was made).
    pub(crate) fn has_column(&self, table: &str, column: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2",
                [table, column],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(self.sql())
    }

    /// Maps a SQLite error to one naming this workspace.
    pub(crate) fn sql(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        |source| crate::gpkg::backend_error(self.path.clone(), source)
    }

    fn load_some(&self, all: bool) -> Result<Dataset> {
        let mut d = Dataset {
            communities: self.communities()?,
            ..Dataset::default()
        };
        if all {
            self.read_layer(&schema::BUILDINGS, |g, key, r| {
                d.buildings.push(building_row(g, key, r)?);
                Ok(())
            })?;
        }
        self.read_layer(&schema::ADDRESS_POINTS, |g, key, r| {
            d.address_points.push(address_row(g, key, r)?);
            Ok(())
        })?;
        self.read_layer(&schema::FACILITIES, |g, key, r| {
            let cat: String = r.get(3)?;
            d.facilities.push(Facility {
                key,
                category: FacilityCategory::new(&cat).map_err(|e| conv(3, e))?,
                name: r.get(4)?,
                source_kind: r.get(5)?,
                location: point(g),
            });
            Ok(())
        })?;
        self.read_layer(&schema::COMPONENTS, |g, key, r| {
            d.components.push(component_row(g, key, r)?);
            Ok(())
        })?;
        self.read_layer(&schema::STREETS, |g, key, r| {
            let tags: String = r.get(8)?;
            d.streets.push(Street {
                key,
                highway: r.get(3)?,
                name: r.get(4)?,
                tags: serde_json::from_str(&tags).map_err(|e| conv(8, e))?,
                geometry: match g {
                    Geometry::LineString(l) => l,
                    _ => LineString(vec![]),
                },
            });
            Ok(())
        })?;
        if !all {
            return Ok(d);
        }
        self.read_layer(&schema::LAND_COVER, |g, key, r| {
            d.land_cover.push(LandCover {
                key,
                class: r.get(3)?,
                kind: r.get(4)?,
                name: r.get(5)?,
                geometry: multipolygon(g),
            });
            Ok(())
        })?;
        Ok(d)
    }

    /// Calls `f(geometry, key, row)` for every feature of a layer; row columns are
    /// `fid, geom, key, <layer columns>`.
    pub(crate) fn read_layer(
        &self,
        layer: &Layer,
        f: impl FnMut(Geometry<f64>, String, &rusqlite::Row<'_>) -> rusqlite::Result<()>,
    ) -> Result<()> {
        self.read_layer_where(layer, None, f)
    }

    /// Like [`GeoPackage::read_layer`], restricted to rows whose `plan_id` equals the given plan.
    pub(crate) fn read_layer_where(
        &self,
        layer: &Layer,
        plan: Option<i64>,
        f: impl FnMut(Geometry<f64>, String, &rusqlite::Row<'_>) -> rusqlite::Result<()>,
    ) -> Result<()> {
        match plan {
            Some(p) => self.read_layer_filtered(layer, " WHERE plan_id = ?1", &[&p], f),
            None => self.read_layer_filtered(layer, "", &[], f),
        }
    }

    /// Like [`GeoPackage::read_layer`], restricted by `filter` (`" WHERE ..."`, with `?1`...).
    pub(crate) fn read_layer_filtered(
        &self,
        layer: &Layer,
        filter: &str,
        args: &[&dyn rusqlite::ToSql],
        mut f: impl FnMut(Geometry<f64>, String, &rusqlite::Row<'_>) -> rusqlite::Result<()>,
    ) -> Result<()> {
        let cols: Vec<&str> = layer.columns.iter().map(|c| c.0).collect();
        let q = format!(
            "SELECT fid, geom, key, {} FROM {}{filter} ORDER BY fid",
            cols.join(", "),
            layer.name
        );
        let mut stmt = self.conn.prepare(&q).map_err(self.sql())?;
        let mut rows = stmt.query(args).map_err(self.sql())?;
        while let Some(row) = rows.next().map_err(self.sql())? {
            let blob: Vec<u8> = row.get(1).map_err(self.sql())?;
            let fid: i64 = row.get(0).map_err(self.sql())?;
            let g = decode(&blob).ok_or_else(|| Error::Workspace {
                path: self.path.clone(),
                message: format!("{} fid {fid}: geometry blob is damaged", layer.name),
            })?;
            let key: String = row.get(2).map_err(self.sql())?;
            f(g, key, row).map_err(self.sql())?;
        }
        Ok(())
    }
}

pub(super) fn write(
    store: &mut GeoPackage,
    data: &Dataset,
    command: &str,
    sources: &str,
    progress: &dyn Progress,
) -> Result<()> {
    store.write_replacing(data, &[], command, sources, progress)
}

// Long: one transaction: every layer written in order through one `Writer`; split, the
// transaction would be passed through each part.
pub(super) fn write_replacing(
    store: &mut GeoPackage,
    data: &Dataset,
    replace_communities: &[String],
    command: &str,
    sources: &str,
    progress: &dyn Progress,
) -> Result<()> {
    let path = store.path.clone();
    let sql = |source| crate::gpkg::backend_error(path.clone(), source);
    let tx = store.conn.transaction().map_err(sql)?;
    progress.start("writing workspace", Some(data.len() as u64));
    let frame = wangge_core::index::frame_for(data);
    for key in replace_communities {
        tx.execute("DELETE FROM communities WHERE key = ?1", params![key])
            .map_err(sql)?;
    }
    let mut written = Writer {
        tx: &tx,
        path: &path,
        progress,
    };
    written.layer(&schema::COMMUNITIES, &data.communities, |c| {
        (
            Geometry::MultiPolygon(c.geometry.clone()),
            &c.key,
            vec![
                c.name.clone().into(),
                c.street.clone().into(),
                c.kind.clone().into(),
                frame.area_m2(&c.geometry).into(),
                c.key.clone().into(),
            ],
        )
    })?;
    written.layer(&schema::BUILDINGS, &data.buildings, |b| {
        (
            Geometry::MultiPolygon(b.geometry.clone()),
            &b.key,
            vec![
                b.kind.clone().into(),
                b.name.clone().into(),
                b.levels_given.map(i64::from).into(),
                i64::from(b.levels).into(),
                b.footprint_m2.into(),
                i64::from(b.households).into(),
                b.households_estimated.into(),
            ],
        )
    })?;
    written.layer(&schema::ADDRESS_POINTS, &data.address_points, |a| {
        (
            Geometry::Point(a.location),
            &a.key,
            vec![
                a.building.clone().into(),
                i64::from(a.households).into(),
                a.households_estimated.into(),
                a.units.map(i64::from).into(),
                a.floors.map(i64::from).into(),
            ],
        )
    })?;
    written.layer(&schema::FACILITIES, &data.facilities, |f| {
        (
            Geometry::Point(f.location),
            &f.key,
            vec![
                f.category.as_str().to_string().into(),
                f.name.clone().into(),
                f.source_kind.clone().into(),
            ],
        )
    })?;
    written.layer(&schema::COMPONENTS, &data.components, |c| {
        (
            c.geometry.clone(),
            &c.key,
            vec![
                c.class.clone().into(),
                c.status.as_str().to_string().into(),
                c.owner.clone().into(),
                c.inspected.map(|t| t.to_string()).into(),
                c.name.clone().into(),
                c.source_kind.clone().into(),
            ],
        )
    })?;
    written.layer(&schema::STREETS, &data.streets, |s| {
        (
            Geometry::LineString(s.geometry.clone()),
            &s.key,
            vec![
                s.highway.clone().into(),
                s.name.clone().into(),
                s.tag("foot").map(str::to_string).into(),
                s.tag("access").map(str::to_string).into(),
                s.tag("sidewalk").map(str::to_string).into(),
                tags_json(&s.tags).into(),
            ],
        )
    })?;
    written.layer(&schema::INCIDENTS, &data.incidents, |i| {
        (
            Geometry::Point(i.location),
            &i.key,
            super::incident_rows::values(i),
        )
    })?;
    super::incident_rows::record_steps(&tx, &data.incidents).map_err(sql)?;
    written.layer(&schema::LAND_COVER, &data.land_cover, |l| {
        (
            Geometry::MultiPolygon(l.geometry.clone()),
            &l.key,
            vec![
                l.class.clone().into(),
                l.kind.clone().into(),
                l.name.clone().into(),
            ],
        )
    })?;
    let summary = crate::store::write_summary(data);
    tx.execute(
        "INSERT INTO wangge_imports (command, sources, summary) VALUES (?1, ?2, ?3)",
        params![command, sources, summary],
    )
    .map_err(sql)?;
    tx.commit().map_err(sql)?;
    progress.finish();
    Ok(())
}

/// A building from a row `fid, geom, key, <layer columns>`.
fn building_row(
    g: Geometry<f64>,
    key: String,
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Building> {
    Ok(Building {
        key,
        kind: r.get(3)?,
        name: r.get(4)?,
        levels_given: r.get(5)?,
        levels: r.get(6)?,
        footprint_m2: r.get(7)?,
        households: r.get(8)?,
        households_estimated: r.get(9)?,
        geometry: multipolygon(g),
    })
}

/// Every component, in write order.
pub(super) fn components(store: &GeoPackage) -> Result<Vec<Component>> {
    let mut out = Vec::new();
    store.read_layer(&schema::COMPONENTS, |g, key, r| {
        out.push(component_row(g, key, r)?);
        Ok(())
    })?;
    Ok(out)
}

/// A component from a row `fid, geom, key, <layer columns>`.
fn component_row(
    g: Geometry<f64>,
    key: String,
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Component> {
    let status: String = r.get(4)?;
    let inspected: Option<String> = r.get(6)?;
    Ok(Component {
        key,
        class: r.get(3)?,
        status: ComponentStatus::parse(&status).map_err(|e| conv(4, e))?,
        owner: r.get(5)?,
        inspected: inspected
            .map(|t| Timestamp::parse(&t, 0).map_err(|e| conv(6, e)))
            .transpose()?,
        name: r.get(7)?,
        source_kind: r.get(8)?,
        geometry: g,
    })
}

/// An address point from a row `fid, geom, key, <layer columns>`.
fn address_row(
    g: Geometry<f64>,
    key: String,
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<AddressPoint> {
    Ok(AddressPoint {
        key,
        building: r.get(3)?,
        households: r.get(4)?,
        households_estimated: r.get(5)?,
        units: r.get(6)?,
        floors: r.get(7)?,
        location: point(g),
    })
}

pub(super) fn building(
    store: &GeoPackage,
    key: &str,
) -> Result<Option<(Building, Vec<AddressPoint>)>> {
    let mut found = None;
    store.read_layer_filtered(&schema::BUILDINGS, " WHERE key = ?1", &[&key], |g, k, r| {
        found = Some(building_row(g, k, r)?);
        Ok(())
    })?;
    let Some(b) = found else { return Ok(None) };
    let mut entrances = Vec::new();
    store.read_layer_filtered(
        &schema::ADDRESS_POINTS,
        " WHERE building_key = ?1",
        &[&key],
        |g, k, r| {
            entrances.push(address_row(g, k, r)?);
            Ok(())
        },
    )?;
    Ok(Some((b, entrances)))
}

pub(super) fn households(store: &GeoPackage) -> Result<(u64, u64)> {
    store
        .conn
        .query_row(
            "SELECT coalesce(sum(CASE WHEN households_estimated THEN 0 ELSE households END), 0),
                    coalesce(sum(CASE WHEN households_estimated THEN households ELSE 0 END), 0)
             FROM address_points",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )
        .map_err(store.sql())
}

pub(super) fn facility_categories(store: &GeoPackage) -> Result<BTreeMap<String, u64>> {
    let mut stmt = store
        .conn
        .prepare("SELECT category, count(*) FROM facilities GROUP BY category")
        .map_err(store.sql())?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })
        .map_err(store.sql())?;
    rows.collect::<std::result::Result<_, _>>()
        .map_err(store.sql())
}

pub(super) fn load(store: &GeoPackage) -> Result<Dataset> {
    let mut d = store.load_places()?;
    store.read_layer(&schema::INCIDENTS, |g, key, r| {
        d.incidents.push(super::incident_rows::from_row(g, key, r)?);
        Ok(())
    })?;
    Ok(d)
}

pub(super) fn communities(store: &GeoPackage) -> Result<Vec<Community>> {
    let mut out = Vec::new();
    store.read_layer(&schema::COMMUNITIES, |g, key, r| {
        out.push(Community {
            key,
            name: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            street: r.get(4)?,
            kind: r.get(5)?,
            geometry: multipolygon(g),
        });
        Ok(())
    })?;
    Ok(out)
}

pub(super) fn load_places(store: &GeoPackage) -> Result<Dataset> {
    store.load_some(true)
}

pub(super) fn load_walking(store: &GeoPackage) -> Result<Dataset> {
    store.load_some(false)
}

impl Workspace for GeoPackage {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn data_version(&self) -> Result<String> {
        let plan = self.latest_plan()?.unwrap_or(0);
        let q = |table: &str, expr: &str| -> Result<i64> {
            if !self.has_table(table)? {
                return Ok(0);
            }
            self.conn
                .query_row(
                    &format!("SELECT coalesce({expr}, 0) FROM {table}"),
                    [],
                    |r| r.get(0),
                )
                .map_err(self.sql())
        };
        // Imports and `wangge incidents assign` log a row in wangge_imports.
        Ok(format!(
            "p{plan}s{}g{}x{}i{}",
            q("service_areas", "max(run_id)")?,
            q("gap_areas", "max(fid)")?,
            q("gap_areas", "count(*)")?,
            q("wangge_imports", "max(rowid)")?
        ))
    }

    fn import_log(&self) -> Result<Vec<ImportEntry>> {
        if !self.has_table("wangge_imports")? {
            return Ok(Vec::new());
        }
        let sql = self.sql();
        let mut stmt = self
            .conn
            .prepare("SELECT id, time, command, sources, summary FROM wangge_imports ORDER BY id")
            .map_err(&sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ImportEntry {
                    id: r.get(0)?,
                    time: r.get(1)?,
                    command: r.get(2)?,
                    sources: r.get(3)?,
                    summary: r.get(4)?,
                })
            })
            .map_err(&sql)?;
        rows.collect::<std::result::Result<_, _>>().map_err(&sql)
    }

    fn replace_import_log(&self, entries: &[ImportEntry]) -> Result<()> {
        let sql = self.sql();
        let tx = self.conn.unchecked_transaction().map_err(&sql)?;
        tx.execute("DELETE FROM wangge_imports", []).map_err(&sql)?;
        {
            let mut stmt = tx
                .prepare("INSERT INTO wangge_imports (id, time, command, sources, summary) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(&sql)?;
            for e in entries {
                stmt.execute(params![e.id, e.time, e.command, e.sources, e.summary])
                    .map_err(&sql)?;
            }
        }
        tx.commit().map_err(&sql)
    }

    fn import_log_head(&self) -> Result<i64> {
        if !self.has_table("wangge_imports")? {
            return Ok(0);
        }
        self.connection()
            .query_row(
                "SELECT coalesce(max(rowid), 0) FROM wangge_imports",
                [],
                |r| r.get(0),
            )
            .map_err(self.sql())
    }

    fn counts(&self) -> Result<Vec<LayerCount>> {
        LAYERS
            .iter()
            .map(|l| {
                let n: i64 = self
                    .conn
                    .query_row(&format!("SELECT count(*) FROM {}", l.name), [], |r| {
                        r.get(0)
                    })
                    .map_err(self.sql())?;
                Ok(LayerCount {
                    layer: l.name,
                    features: n as u64,
                })
            })
            .collect()
    }

    fn digest(&self) -> Result<u64> {
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        let mut tables: Vec<String> = LAYERS.iter().map(|l| l.name.to_string()).collect();
        let has_plans = self.has_table("grids")?;
        if has_plans {
            tables.extend(["grids", "plans", "grid_members", "plan_exceptions"].map(String::from));
        }
        if self.has_table("incident_events")? {
            tables.push("incident_events".into());
        }
        tables.extend(["gpkg_contents", "gpkg_geometry_columns"].map(String::from));
        for t in tables {
            let order = if t.starts_with("gpkg") {
                "table_name"
            } else {
                "rowid"
            };
            let mut stmt = self
                .conn
                .prepare(&format!("SELECT * FROM {t} ORDER BY {order}"))
                .map_err(self.sql())?;
            let n = stmt.column_count();
            let mut rows = stmt.query([]).map_err(self.sql())?;
            while let Some(row) = rows.next().map_err(self.sql())? {
                for i in 0..n {
                    if (t == "gpkg_contents" && i == 4)
                        || (t == "plans" && i == 1)
                        || (t == "incident_events" && i == 4)
                    {
                        continue; // time stamps
                    }
                    let v: rusqlite::types::Value = row.get(i).map_err(self.sql())?;
                    h.value(&v);
                }
            }
        }
        Ok(h.0)
    }

    fn make_durable(&self) -> Result<()> {
        let c = self.connection();
        // (The PRAGMA, not rusqlite's busy_timeout: that needs SQLite ≥ 3.44.)
        c.query_row("PRAGMA busy_timeout = 10000", [], |_| Ok(()))
            .map_err(self.sql())?;
        let mode: String = c
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(self.sql())?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Workspace {
                path: self.path().to_path_buf(),
                message: format!("cannot switch to write-ahead logging (journal mode {mode})"),
            });
        }
        // A larger page cache keeps the key and time indexes in memory during batch ingest.
        c.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 16384;",
        )
        .map_err(self.sql())
    }
}

fn multipolygon(g: Geometry<f64>) -> MultiPolygon<f64> {
    match g {
        Geometry::MultiPolygon(m) => m,
        Geometry::Polygon(p) => MultiPolygon(vec![p]),
        _ => MultiPolygon(vec![]),
    }
}

fn tags_json(tags: &BTreeMap<String, String>) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "{}".into())
}

struct Writer<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    path: &'a Path,
    progress: &'a dyn Progress,
}

impl Writer<'_> {
    fn layer<T>(
        &mut self,
        layer: &Layer,
        items: &[T],
        row: impl Fn(&T) -> (Geometry<f64>, &String, Vec<rusqlite::types::Value>),
    ) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let sql = |source| crate::gpkg::backend_error(self.path.to_path_buf(), source);
        let cols: Vec<&str> = layer.columns.iter().map(|c| c.0).collect();
        let marks: Vec<String> = (0..cols.len()).map(|i| format!("?{}", i + 3)).collect();
        let q = format!(
            "INSERT INTO {} (geom, key, {}) VALUES (?1, ?2, {})",
            layer.name,
            cols.join(", "),
            marks.join(", ")
        );
        let mut stmt = self.tx.prepare(&q).map_err(sql)?;
        let mut bbox: Option<Rect<f64>> = None;
        for (i, item) in items.iter().enumerate() {
            let (g, key, values) = row(item);
            if let Some(r) = g.bounding_rect() {
                bbox = Some(match bbox {
                    None => r,
                    Some(b) => Rect::new(
                        (b.min().x.min(r.min().x), b.min().y.min(r.min().y)),
                        (b.max().x.max(r.max().x), b.max().y.max(r.max().y)),
                    ),
                });
            }
            let mut all: Vec<rusqlite::types::Value> = Vec::with_capacity(values.len() + 2);
            all.push(encode(&g, 4326).into());
            all.push(key.clone().into());
            all.extend(values);
            if let Err(e) = stmt.execute(rusqlite::params_from_iter(all)) {
                return Err(match e {
                    rusqlite::Error::SqliteFailure(f, _)
                        if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                    {
                        Error::DuplicateKey {
                            layer: layer.name,
                            key: key.clone(),
                            message: "is already in the workspace (was this data imported before?); nothing was imported".into(),
                        }
                    }
                    e => sql(e),
                });
            }
            if i % 4096 == 4095 {
                self.progress.advance(4096);
            }
        }
        self.progress.advance((items.len() % 4096) as u64);
        if let Some(b) = bbox {
            self.tx
                .execute(
                    "UPDATE gpkg_contents SET
                       min_x = min(coalesce(min_x, ?1), ?1), min_y = min(coalesce(min_y, ?2), ?2),
                       max_x = max(coalesce(max_x, ?3), ?3), max_y = max(coalesce(max_y, ?4), ?4),
                       last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')
                     WHERE table_name = ?5",
                    params![b.min().x, b.min().y, b.max().x, b.max().y, layer.name],
                )
                .map_err(sql)?;
        }
        Ok(())
    }
}

struct Fnv(u64);

impl Fnv {
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn value(&mut self, v: &rusqlite::types::Value) {
        use rusqlite::types::Value;
        match v {
            Value::Null => self.bytes(&[0]),
            Value::Integer(i) => {
                self.bytes(&[1]);
                self.bytes(&i.to_le_bytes());
            }
            Value::Real(f) => {
                self.bytes(&[2]);
                self.bytes(&f.to_le_bytes());
            }
            Value::Text(t) => {
                self.bytes(&[3]);
                self.bytes(t.as_bytes());
                self.bytes(&[0]);
            }
            Value::Blob(b) => {
                self.bytes(&[4]);
                self.bytes(b);
            }
        }
    }
}

/// The refusal of a damaged workspace, with the way back.
fn damaged(path: &Path, problems: &[String]) -> String {
    let p = path.display();
    format!(
        "is damaged ({}): nothing was written to it. Keep the file as it is; recover what SQLite can read with `sqlite3 {p} .recover | sqlite3 recovered.gpkg`, check the copy with `wangge info recovered.gpkg --check`, or go back to a backup",
        problems.join("; ")
    )
}
