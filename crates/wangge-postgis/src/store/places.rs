//! Places on PostgreSQL: communities, buildings, address points, facilities, streets, land
//! cover and components, written in one transaction per import (bulk `unnest` inserts), read
//! back in the order written (`fid`).

use super::{PgStore, multipolygon, unix, wkb};
use geo_types::{Geometry, LineString, Point};
use postgres::Transaction;
use postgres::types::ToSql;
use std::collections::{BTreeMap, HashSet};
use wangge_core::kpi::Level;
use wangge_core::{
    AddressPoint, Building, Community, Component, ComponentStatus, Dataset, Facility,
    FacilityCategory, LandCover, Progress, Street, Timestamp,
};
use wangge_io::Result;
use wangge_io::store::prelude::*;
use wangge_io::store::{PlaceStore, StreetBounds};

/// One layer's rows as parallel arrays for a bulk insert.
type Params = Vec<Box<dyn ToSql + Sync>>;

/// Incidents in one import from which the tables' statistics are gathered before commit.
const BULK_ANALYZE: usize = 10_000;

impl PgStore {
    /// Refuses keys repeated in `keys` or already in `table` (the GeoPackage's unique-key
    /// rule), naming the first in the batch's order that breaks it, as the GeoPackage's
    /// inserts do: nothing is written.
    fn refuse_duplicates(
        &self,
        tx: &mut Transaction<'_>,
        layer: &'static str,
        table: &str,
        keys: &[&str],
    ) -> Result<()> {
        let mut seen = HashSet::with_capacity(keys.len());
        let repeated = keys.iter().position(|k| !seen.insert(*k));
        let found = tx
            .query(
                &self.sql(&format!(
                    "SELECT u.i FROM unnest($1::text[]) WITH ORDINALITY AS u(k, i)
                     WHERE EXISTS (SELECT 1 FROM {{s}}.{table} t WHERE t.key = u.k)
                     ORDER BY u.i LIMIT 1"
                )),
                &[&keys],
            )
            .map_err(self.err())?;
        let stored = found.first().map(|r| r.get::<_, i64>(0) as usize - 1);
        match [repeated, stored].into_iter().flatten().min() {
            Some(i) => Err(wangge_io::Error::DuplicateKey {
                layer,
                key: keys[i].to_string(),
                message: "is already in the workspace (was this data imported before?); \
                          nothing was imported"
                    .into(),
            }),
            None => Ok(()),
        }
    }

    /// Inserts a layer from arrays: `columns` (after `key` and `geom`) with their array types
    /// (`jsonb` bound as text, `timestamptz` as Unix seconds).
    fn insert_layer(
        &self,
        tx: &mut Transaction<'_>,
        table: &str,
        columns: &[(&str, &str)],
        keys: Vec<String>,
        geoms: Vec<Vec<u8>>,
        values: Params,
    ) -> Result<()> {
        let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
        // JSON goes as text and is cast per value (an array of jsonb has no Rust type here);
        // times go as Unix seconds, as the incidents' do.
        let arrays: String = columns
            .iter()
            .enumerate()
            .map(|(i, (_, t))| {
                let t = match *t {
                    "jsonb" => "text",
                    "timestamptz" => "int8",
                    t => t,
                };
                format!(", ${}::{t}[]", i + 3)
            })
            .collect();
        let values_sql: Vec<String> = columns
            .iter()
            .map(|(c, t)| match *t {
                "jsonb" => format!("{c}::jsonb"),
                "timestamptz" => format!("to_timestamp({c})"),
                _ => c.to_string(),
            })
            .collect();
        let q = self.sql(&format!(
            "INSERT INTO {{s}}.{table} (key, geom, {cols})
             SELECT k, ST_SetSRID(ST_GeomFromWKB(g), 4326), {vals}
             FROM unnest($1::text[], $2::bytea[]{arrays}) AS u(k, g, {cols})",
            cols = names.join(", "),
            vals = values_sql.join(", ")
        ));
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&keys, &geoms];
        params.extend(values.iter().map(|b| b.as_ref() as &(dyn ToSql + Sync)));
        tx.execute(&q, &params).map_err(self.err())?;
        Ok(())
    }

    // Long: one transaction over every layer in order; split, the transaction would be
    // passed through each part.
    fn write_all(
        &self,
        data: &Dataset,
        replace: &[String],
        command: &str,
        sources: &str,
        progress: &dyn Progress,
    ) -> Result<()> {
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(self.err())?;
        progress.start("writing workspace", Some(data.len() as u64));
        let frame = wangge_core::index::frame_for(data);
        if !replace.is_empty() {
            tx.execute(
                &self.sql("DELETE FROM {s}.communities WHERE key = ANY($1)"),
                &[&replace],
            )
            .map_err(self.err())?;
        }

        let c = &data.communities;
        self.refuse_duplicates(
            &mut tx,
            "communities",
            "communities",
            &c.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
        )?;
        self.insert_layer(
            &mut tx,
            "communities",
            &[
                ("name", "text"),
                ("street", "text"),
                ("kind", "text"),
                ("area_m2", "float8"),
            ],
            c.iter().map(|x| x.key.clone()).collect(),
            c.iter()
                .map(|x| wkb(&Geometry::MultiPolygon(x.geometry.clone())))
                .collect(),
            vec![
                Box::new(c.iter().map(|x| Some(x.name.clone())).collect::<Vec<_>>()),
                Box::new(c.iter().map(|x| x.street.clone()).collect::<Vec<_>>()),
                Box::new(c.iter().map(|x| x.kind.clone()).collect::<Vec<_>>()),
                Box::new(
                    c.iter()
                        .map(|x| frame.area_m2(&x.geometry))
                        .collect::<Vec<f64>>(),
                ),
            ],
        )?;
        progress.advance(c.len() as u64);

        let b = &data.buildings;
        self.refuse_duplicates(
            &mut tx,
            "buildings",
            "buildings",
            &b.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
        )?;
        self.insert_layer(
            &mut tx,
            "buildings",
            &[
                ("kind", "text"),
                ("name", "text"),
                ("levels_given", "int4"),
                ("levels", "int4"),
                ("footprint_m2", "float8"),
                ("households", "int4"),
                ("households_estimated", "bool"),
            ],
            b.iter().map(|x| x.key.clone()).collect(),
            b.iter()
                .map(|x| wkb(&Geometry::MultiPolygon(x.geometry.clone())))
                .collect(),
            vec![
                Box::new(b.iter().map(|x| x.kind.clone()).collect::<Vec<_>>()),
                Box::new(b.iter().map(|x| x.name.clone()).collect::<Vec<_>>()),
                Box::new(
                    b.iter()
                        .map(|x| x.levels_given.map(|v| v as i32))
                        .collect::<Vec<_>>(),
                ),
                Box::new(b.iter().map(|x| x.levels as i32).collect::<Vec<_>>()),
                Box::new(b.iter().map(|x| x.footprint_m2).collect::<Vec<_>>()),
                Box::new(b.iter().map(|x| x.households as i32).collect::<Vec<_>>()),
                Box::new(b.iter().map(|x| x.households_estimated).collect::<Vec<_>>()),
            ],
        )?;
        progress.advance(b.len() as u64);

        let a = &data.address_points;
        self.refuse_duplicates(
            &mut tx,
            "address_points",
            "address_points",
            &a.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
        )?;
        self.insert_layer(
            &mut tx,
            "address_points",
            &[
                ("building", "text"),
                ("households", "int4"),
                ("households_estimated", "bool"),
                ("units", "int4"),
                ("floors", "int4"),
            ],
            a.iter().map(|x| x.key.clone()).collect(),
            a.iter()
                .map(|x| wkb(&Geometry::Point(x.location)))
                .collect(),
            vec![
                Box::new(a.iter().map(|x| x.building.clone()).collect::<Vec<_>>()),
                Box::new(a.iter().map(|x| x.households as i32).collect::<Vec<_>>()),
                Box::new(a.iter().map(|x| x.households_estimated).collect::<Vec<_>>()),
                Box::new(
                    a.iter()
                        .map(|x| x.units.map(|v| v as i32))
                        .collect::<Vec<_>>(),
                ),
                Box::new(
                    a.iter()
                        .map(|x| x.floors.map(|v| v as i32))
                        .collect::<Vec<_>>(),
                ),
            ],
        )?;
        progress.advance(a.len() as u64);

        let f = &data.facilities;
        self.refuse_duplicates(
            &mut tx,
            "facilities",
            "facilities",
            &f.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
        )?;
        self.insert_layer(
            &mut tx,
            "facilities",
            &[
                ("category", "text"),
                ("name", "text"),
                ("source_kind", "text"),
            ],
            f.iter().map(|x| x.key.clone()).collect(),
            f.iter()
                .map(|x| wkb(&Geometry::Point(x.location)))
                .collect(),
            vec![
                Box::new(
                    f.iter()
                        .map(|x| x.category.as_str().to_string())
                        .collect::<Vec<_>>(),
                ),
                Box::new(f.iter().map(|x| x.name.clone()).collect::<Vec<_>>()),
                Box::new(f.iter().map(|x| x.source_kind.clone()).collect::<Vec<_>>()),
            ],
        )?;
        progress.advance(f.len() as u64);

        let s = &data.streets;
        self.refuse_duplicates(
            &mut tx,
            "streets",
            "streets",
            &s.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
        )?;
        self.insert_layer(
            &mut tx,
            "streets",
            &[("highway", "text"), ("name", "text"), ("tags", "jsonb")],
            s.iter().map(|x| x.key.clone()).collect(),
            s.iter()
                .map(|x| wkb(&Geometry::LineString(x.geometry.clone())))
                .collect(),
            vec![
                Box::new(s.iter().map(|x| x.highway.clone()).collect::<Vec<_>>()),
                Box::new(s.iter().map(|x| x.name.clone()).collect::<Vec<_>>()),
                Box::new(
                    s.iter()
                        .map(|x| serde_json::to_string(&x.tags).unwrap_or_else(|_| "{}".into()))
                        .collect::<Vec<_>>(),
                ),
            ],
        )?;
        progress.advance(s.len() as u64);

        let i = &data.incidents;
        self.refuse_duplicates(
            &mut tx,
            "incidents",
            "incident_keys",
            &i.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
        )?;
        // In statements of 100,000: one statement of ten million rows' arrays passes the
        // server's 1 GB limit on a value (measured: the connection was reset).
        for chunk in i.chunks(100_000) {
            super::incidents::insert_batch(self, &mut tx, chunk, true)?;
            progress.advance(chunk.len() as u64);
        }
        // After a bulk load the planner's statistics are the new data's, not none: a month's
        // KPI table read right after an import of millions was planned for three rows (a
        // nested loop per incident, a sort spilled to disk). Autovacuum would come later.
        if i.len() >= BULK_ANALYZE {
            tx.batch_execute(&self.sql("ANALYZE {s}.incidents, {s}.incident_keys"))
                .map_err(self.err())?;
        }

        let l = &data.land_cover;
        self.refuse_duplicates(
            &mut tx,
            "land_cover",
            "land_cover",
            &l.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
        )?;
        self.insert_layer(
            &mut tx,
            "land_cover",
            &[("class", "text"), ("kind", "text"), ("name", "text")],
            l.iter().map(|x| x.key.clone()).collect(),
            l.iter()
                .map(|x| wkb(&Geometry::MultiPolygon(x.geometry.clone())))
                .collect(),
            vec![
                Box::new(l.iter().map(|x| x.class.clone()).collect::<Vec<_>>()),
                Box::new(l.iter().map(|x| x.kind.clone()).collect::<Vec<_>>()),
                Box::new(l.iter().map(|x| x.name.clone()).collect::<Vec<_>>()),
            ],
        )?;
        progress.advance(l.len() as u64);

        let k = &data.components;
        self.refuse_duplicates(
            &mut tx,
            "components",
            "components",
            &k.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
        )?;
        self.insert_layer(
            &mut tx,
            "components",
            &[
                ("class", "text"),
                ("status", "text"),
                ("owner", "text"),
                ("inspected", "timestamptz"),
                ("name", "text"),
                ("source_kind", "text"),
            ],
            k.iter().map(|x| x.key.clone()).collect(),
            k.iter().map(|x| wkb(&x.geometry)).collect(),
            vec![
                Box::new(k.iter().map(|x| x.class.clone()).collect::<Vec<_>>()),
                Box::new(
                    k.iter()
                        .map(|x| x.status.as_str().to_string())
                        .collect::<Vec<_>>(),
                ),
                Box::new(k.iter().map(|x| x.owner.clone()).collect::<Vec<_>>()),
                Box::new(
                    k.iter()
                        .map(|x| x.inspected.map(Timestamp::unix))
                        .collect::<Vec<_>>(),
                ),
                Box::new(k.iter().map(|x| x.name.clone()).collect::<Vec<_>>()),
                Box::new(k.iter().map(|x| x.source_kind.clone()).collect::<Vec<_>>()),
            ],
        )?;
        progress.advance(k.len() as u64);

        let summary = wangge_io::store::write_summary(data);
        tx.execute(
            &self.sql("INSERT INTO {s}.import_log (command, sources, summary) VALUES ($1, $2, $3)"),
            &[&command, &sources, &summary],
        )
        .map_err(self.err())?;
        self.bump(&mut tx).map_err(self.err())?;
        tx.commit().map_err(self.err())?;
        progress.finish();
        Ok(())
    }

    /// Rows of `SELECT geom, key, <columns> FROM {s}.<table> ORDER BY fid`,
    /// each with its decoded geometry.
    pub(crate) fn read_layer(
        &self,
        table: &str,
        columns: &str,
        filter: &str,
        arg: Option<&str>,
        mut f: impl FnMut(Geometry<f64>, String, &postgres::Row) -> Result<()>,
    ) -> Result<()> {
        let mut client = self.client()?;
        let q = self.sql(&format!(
            "SELECT geom, key{}{columns} FROM {{s}}.{table} {filter} ORDER BY fid",
            if columns.is_empty() { "" } else { ", " }
        ));
        let rows = match arg {
            Some(a) => client.query(&q, &[&a]),
            None => client.query(&q, &[]),
        }
        .map_err(self.err())?;
        for r in &rows {
            let key: String = r.get(1);
            let g = super::from_ewkb(&r.get::<_, super::Ewkb>(0).0)
                .ok_or_else(|| self.damaged(format!("{table} {key}: geometry is damaged")))?;
            f(g, key, r)?;
        }
        Ok(())
    }

    fn load_some(&self, all: bool) -> Result<Dataset> {
        let mut d = Dataset {
            communities: self.communities()?,
            ..Dataset::default()
        };
        if all {
            self.read_layer("buildings", BUILDING_COLUMNS, "", None, |g, key, r| {
                d.buildings.push(building_row(g, key, r));
                Ok(())
            })?;
        }
        self.read_layer("address_points", ADDRESS_COLUMNS, "", None, |g, key, r| {
            d.address_points.push(address_row(g, key, r));
            Ok(())
        })?;
        self.read_layer(
            "facilities",
            "category, name, source_kind",
            "",
            None,
            |g, key, r| {
                let cat: String = r.get(2);
                let category = FacilityCategory::new(&cat).map_err(|e| {
                    self.damaged(format!("facilities {key}: category {cat:?}: {e}"))
                })?;
                d.facilities.push(Facility {
                    key,
                    category,
                    name: r.get(3),
                    source_kind: r.get(4),
                    location: point(g),
                });
                Ok(())
            },
        )?;
        d.components = self.read_components()?;
        self.read_layer(
            "streets",
            "highway, name, tags::text",
            "",
            None,
            |g, key, r| {
                let tags: String = r.get(4);
                let tags = serde_json::from_str(&tags)
                    .map_err(|e| self.damaged(format!("streets {key}: tags: {e}")))?;
                d.streets.push(Street {
                    key,
                    highway: r.get(2),
                    name: r.get(3),
                    tags,
                    geometry: match g {
                        Geometry::LineString(l) => l,
                        _ => LineString(vec![]),
                    },
                });
                Ok(())
            },
        )?;
        if all {
            self.read_layer("land_cover", "class, kind, name", "", None, |g, key, r| {
                d.land_cover.push(LandCover {
                    key,
                    class: r.get(2),
                    kind: r.get(3),
                    name: r.get(4),
                    geometry: multipolygon(g),
                });
                Ok(())
            })?;
        }
        Ok(d)
    }

    /// Every component, in the order written.
    fn read_components(&self) -> Result<Vec<Component>> {
        let mut out = Vec::new();
        let columns = format!(
            "class, status, owner, {}, name, source_kind",
            unix("inspected")
        );
        self.read_layer("components", &columns, "", None, |g, key, r| {
            let status: String = r.get(3);
            let status = ComponentStatus::parse(&status)
                .map_err(|e| self.damaged(format!("components {key}: status {status:?}: {e}")))?;
            out.push(Component {
                key,
                class: r.get(2),
                status,
                owner: r.get(4),
                inspected: r.get::<_, Option<i64>>(5).map(Timestamp::from_unix),
                name: r.get(6),
                source_kind: r.get(7),
                geometry: g,
            });
            Ok(())
        })?;
        Ok(out)
    }
}

const BUILDING_COLUMNS: &str =
    "kind, name, levels_given, levels, footprint_m2, households, households_estimated";
const ADDRESS_COLUMNS: &str = "building, households, households_estimated, units, floors";

/// A building from a row `geom, key, BUILDING_COLUMNS`.
fn building_row(g: Geometry<f64>, key: String, r: &postgres::Row) -> Building {
    Building {
        key,
        kind: r.get(2),
        name: r.get(3),
        levels_given: r.get::<_, Option<i32>>(4).map(|v| v as u32),
        levels: r.get::<_, i32>(5) as u32,
        footprint_m2: r.get(6),
        households: r.get::<_, i32>(7) as u32,
        households_estimated: r.get(8),
        geometry: multipolygon(g),
    }
}

/// An address point from a row `geom, key, ADDRESS_COLUMNS`.
fn address_row(g: Geometry<f64>, key: String, r: &postgres::Row) -> AddressPoint {
    AddressPoint {
        key,
        building: r.get(2),
        households: r.get::<_, i32>(3) as u32,
        households_estimated: r.get(4),
        units: r.get::<_, Option<i32>>(5).map(|v| v as u32),
        floors: r.get::<_, Option<i32>>(6).map(|v| v as u32),
        location: point(g),
    }
}

fn point(g: Geometry<f64>) -> Point<f64> {
    match g {
        Geometry::Point(p) => p,
        _ => Point::new(f64::NAN, f64::NAN),
    }
}

impl PlaceStore for PgStore {
    fn write(
        &mut self,
        data: &Dataset,
        command: &str,
        sources: &str,
        progress: &dyn Progress,
    ) -> Result<()> {
        self.write_all(data, &[], command, sources, progress)
    }

    fn write_replacing(
        &mut self,
        data: &Dataset,
        replace_communities: &[String],
        command: &str,
        sources: &str,
        progress: &dyn Progress,
    ) -> Result<()> {
        self.write_all(data, replace_communities, command, sources, progress)
    }

    fn households(&self) -> Result<(u64, u64)> {
        let r = self
            .client()?
            .query_one(
                &self.sql(
                    "SELECT coalesce(sum(households) FILTER (WHERE NOT households_estimated), 0)::bigint,
                            coalesce(sum(households) FILTER (WHERE households_estimated), 0)::bigint
                     FROM {s}.address_points",
                ),
                &[],
            )
            .map_err(self.err())?;
        Ok((r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as u64))
    }

    fn facility_categories(&self) -> Result<BTreeMap<String, u64>> {
        let rows = self
            .client()?
            .query(
                &self.sql("SELECT category, count(*) FROM {s}.facilities GROUP BY category"),
                &[],
            )
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
            .collect())
    }

    fn load(&self) -> Result<Dataset> {
        let mut d = self.load_places()?;
        d.incidents = super::incidents::all(self)?;
        Ok(d)
    }

    fn communities(&self) -> Result<Vec<Community>> {
        let mut out = Vec::new();
        self.read_layer(
            "communities",
            "name, street, kind",
            "",
            None,
            |g, key, r| {
                out.push(Community {
                    key,
                    name: r.get::<_, Option<String>>(2).unwrap_or_default(),
                    street: r.get(3),
                    kind: r.get(4),
                    geometry: multipolygon(g),
                });
                Ok(())
            },
        )?;
        Ok(out)
    }

    fn load_places(&self) -> Result<Dataset> {
        self.load_some(true)
    }

    fn load_walking(&self) -> Result<Dataset> {
        self.load_some(false)
    }

    fn community_polygons(&self) -> Result<Vec<(String, geo_types::MultiPolygon<f64>)>> {
        let mut out = Vec::new();
        self.read_layer("communities", "", "", None, |g, key, _| {
            if let Geometry::MultiPolygon(m) = g {
                out.push((key, m));
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn community_streets(&self) -> Result<Vec<(String, String)>> {
        let rows = self
            .client()?
            .query(
                &self.sql(&format!(
                    "SELECT key, street FROM {} r WHERE street IS NOT NULL
                     ORDER BY part, ord",
                    super::record::RECORD_STREETS
                )),
                &[],
            )
            .map_err(self.err())?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn components(&self) -> Result<Vec<Component>> {
        self.read_components()
    }

    fn building(&self, key: &str) -> Result<Option<(Building, Vec<AddressPoint>)>> {
        let mut found = None;
        self.read_layer(
            "buildings",
            BUILDING_COLUMNS,
            "WHERE key = $1",
            Some(key),
            |g, k, r| {
                found = Some(building_row(g, k, r));
                Ok(())
            },
        )?;
        let Some(b) = found else { return Ok(None) };
        let mut entrances = Vec::new();
        self.read_layer(
            "address_points",
            ADDRESS_COLUMNS,
            "WHERE building = $1",
            Some(key),
            |g, k, r| {
                entrances.push(address_row(g, k, r));
                Ok(())
            },
        )?;
        Ok(Some((b, entrances)))
    }

    fn household_points(&self) -> Result<Vec<(f64, f64, u32)>> {
        let rows = self
            .client()?
            .query(
                &self.sql("SELECT ST_X(geom), ST_Y(geom), households FROM {s}.address_points ORDER BY fid"),
                &[],
            )
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get::<_, i32>(2) as u32))
            .collect())
    }

    fn assigner(&self) -> Result<wangge_core::Assigner> {
        self.assigner_with(Vec::new())
    }

    fn assigner_with(
        &self,
        extra: Vec<(String, geo_types::MultiPolygon<f64>)>,
    ) -> Result<wangge_core::Assigner> {
        let mut communities = extra;
        communities.extend(self.community_polygons()?);
        let grids = match self.latest_plan()? {
            Some(plan) => self
                .plan_grid_shapes(plan)?
                .into_iter()
                .map(|g| {
                    (
                        g.code,
                        g.community,
                        geo_types::MultiPolygon(vec![g.polygon]),
                    )
                })
                .collect(),
            None => Vec::new(),
        };
        Ok(wangge_core::Assigner::new(communities, grids))
    }

    fn street_bounds(&self) -> Result<StreetBounds> {
        let rows = self
            .client()?
            .query(
                &self.sql(
                    "SELECT street, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
                     FROM (SELECT street, ST_Extent(geom)::geometry AS e FROM {s}.communities
                           GROUP BY GROUPING SETS ((street), ())) x
                     WHERE e IS NOT NULL ORDER BY street NULLS FIRST",
                ),
                &[],
            )
            .map_err(self.err())?;
        let empty = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut all = empty;
        let mut streets = Vec::new();
        // Grouping sets give the total as a row whose street is NULL; a group of communities
        // without a street has NULL too, and its extent lies within the total.
        for r in &rows {
            let b = [r.get(1), r.get(2), r.get(3), r.get(4)];
            match r.get::<_, Option<String>>(0) {
                Some(s) => streets.push((s, b)),
                None => {
                    all = [
                        all[0].min(b[0]),
                        all[1].min(b[1]),
                        all[2].max(b[2]),
                        all[3].max(b[3]),
                    ]
                }
            }
        }
        Ok(StreetBounds { all, streets })
    }

    fn area_households(&self, level: Level) -> Result<BTreeMap<String, u64>> {
        area_households(self, level)
    }
}

/// Households per area as the GeoPackage counts them (address points in the first community
/// containing them, by the same R-tree), so both backends give the same figures.
fn area_households(store: &PgStore, level: Level) -> Result<BTreeMap<String, u64>> {
    let mut out: BTreeMap<String, u64> = BTreeMap::new();
    // Departments and workers are not areas: no households.
    if matches!(level, Level::Department | Level::Worker) {
        return Ok(out);
    }
    if level == Level::Grid {
        if let Some(plan) = store.latest_plan()? {
            for (_, g, h) in store.plan_members(plan)? {
                *out.entry(g).or_default() += u64::from(h);
            }
        }
        return Ok(out);
    }
    // All places, as the GeoPackage loads them: the same local frame, so a point on a
    // boundary falls in the same community on both backends; the communities of record.
    let mut data = store.load_places()?;
    data.communities = wangge_io::store::communities_of_record(store)?;
    if level == Level::District {
        out.insert(
            "district".into(),
            data.address_points
                .iter()
                .map(|a| u64::from(a.households))
                .sum(),
        );
        return Ok(out);
    }
    let idx = wangge_core::index::PolygonIndex::new(
        wangge_core::index::frame_for(&data),
        data.communities.iter().map(|c| &c.geometry),
    );
    let area = |c: &Community| match level {
        Level::Street => c.street.clone(),
        _ => Some(c.key.clone()),
    };
    for c in &data.communities {
        if let Some(a) = area(c) {
            out.entry(a).or_default();
        }
    }
    for a in &data.address_points {
        if let Some(i) = idx.first_containing(a.location)
            && let Some(k) = area(&data.communities[i])
        {
            *out.entry(k).or_default() += u64::from(a.households);
        }
    }
    Ok(out)
}
