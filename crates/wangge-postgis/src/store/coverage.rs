//! Walking coverage: `coverage_runs`, `coverage_points` (long form: one row per address point
//! and category of the newest run, NULL beyond reach), `coverage_summary` (every run), and the
//! `service_areas` and `gap_areas` drawn from runs.

use super::{PgStore, from_wkb, multipolygon, wkb};
use geo_types::{Geometry, MultiPolygon};
use wangge_io::Result;
use wangge_io::store::{CoverageRun, CoverageStore, GapArea, ServiceArea};

/// A multipolygon read back with `ST_AsBinary`.
fn area(store: &PgStore, table: &str, id: i64, b: &[u8]) -> Result<MultiPolygon<f64>> {
    from_wkb(b)
        .map(multipolygon)
        .ok_or_else(|| store.damaged(format!("{table} id {id}: geometry is damaged")))
}

impl CoverageStore for PgStore {
    // Long: one transaction: the run, its per-point distances per category and its summaries,
    // each bound as arrays.
    fn write_coverage(&self, run: &CoverageRun) -> Result<i64> {
        let err = self.err();
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(&err)?;
        let missing = tx
            .query_opt(
                &self.sql(
                    "SELECT u.k FROM unnest($1::text[]) AS u(k)
                     WHERE NOT EXISTS (SELECT 1 FROM {s}.address_points a WHERE a.key = u.k)
                     LIMIT 1",
                ),
                &[&run.keys],
            )
            .map_err(&err)?;
        if let Some(row) = missing {
            let k: String = row.get(0);
            return Err(self.damaged(format!(
                "coverage of address point {k:?}, which is not in the workspace"
            )));
        }
        let id: i64 = tx
            .query_one(
                &self.sql(
                    "INSERT INTO {s}.coverage_runs (plan_id, minutes, metric, catalogue,
                       network_nodes, network_edges, network_km, points, unsnapped_points,
                       facilities, unsnapped_facilities, warnings)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                ),
                &[
                    &run.plan_id,
                    &run.minutes,
                    &run.metric,
                    &run.catalogue,
                    &(run.network_nodes as i64),
                    &(run.network_edges as i64),
                    &run.network_km,
                    &(run.points as i64),
                    &(run.unsnapped_points as i64),
                    &(run.facilities as i64),
                    &(run.unsnapped_facilities as i64),
                    &run.warnings.join("\n"),
                ],
            )
            .map_err(&err)?
            .get(0);
        // Per-point rows are the newest run's only.
        tx.execute(&self.sql("DELETE FROM {s}.coverage_points"), &[])
            .map_err(&err)?;
        let points = tx
            .prepare(&self.sql(
                "INSERT INTO {s}.coverage_points (run_id, address_key, category, walk_m)
                 SELECT $1::bigint, u.k, $2::text, u.w
                 FROM unnest($3::text[], $4::float8[]) AS u(k, w)",
            ))
            .map_err(&err)?;
        for (category, walk) in &run.walk_m {
            let walk_m: Vec<Option<f64>> = (0..run.keys.len())
                .map(|p| walk.get(p).copied().filter(|w| w.is_finite()))
                .collect();
            tx.execute(&points, &[&id, category, &run.keys, &walk_m])
                .map_err(&err)?;
        }
        let n = run.summary.len();
        let (mut levels, mut areas, mut minutes, mut categories) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut households, mut covered, mut shares, mut judged) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (level, place, min, category, hh, cov) in &run.summary {
            levels.push(level.as_str());
            areas.push(place.as_str());
            minutes.push(*min as i32);
            categories.push(category.as_str());
            households.push(*hh as i64);
            covered.push(cov.unwrap_or(0) as i64);
            shares.push(cov.filter(|_| *hh > 0).map(|c| c as f64 / *hh as f64));
            judged.push(cov.is_some());
        }
        tx.execute(
            &self.sql(
                "INSERT INTO {s}.coverage_summary (run_id, level, area, minutes, category,
                   households, covered, share, judged)
                 SELECT $1::bigint, * FROM unnest($2::text[], $3::text[], $4::int[], $5::text[],
                   $6::bigint[], $7::bigint[], $8::float8[], $9::bool[])",
            ),
            &[
                &id,
                &levels,
                &areas,
                &minutes,
                &categories,
                &households,
                &covered,
                &shares,
                &judged,
            ],
        )
        .map_err(&err)?;
        self.bump(&mut tx).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(id)
    }

    fn write_gap_areas(&self, what: &str, areas: &[GapArea]) -> Result<usize> {
        let err = self.err();
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(&err)?;
        tx.execute(
            &self.sql("DELETE FROM {s}.gap_areas WHERE what = $1"),
            &[&what],
        )
        .map_err(&err)?;
        let ins = tx
            .prepare(&self.sql(
                "INSERT INTO {s}.gap_areas (what, rank, community, households, points, area_m2,
                   geom)
                 VALUES ($1, $2, $3, $4, $5, $6, ST_GeomFromWKB($7, 4326))",
            ))
            .map_err(&err)?;
        for a in areas {
            tx.execute(
                &ins,
                &[
                    &a.what,
                    &(a.rank as i64),
                    &a.community,
                    &(a.households as i64),
                    &(a.points as i64),
                    &a.area_m2,
                    &wkb(&Geometry::MultiPolygon(a.geometry.clone())),
                ],
            )
            .map_err(&err)?;
        }
        self.bump(&mut tx).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(areas.len())
    }

    fn gap_areas(&self) -> Result<Vec<GapArea>> {
        let mut client = self.client()?;
        let rows = client
            .query(
                &self.sql(
                    "SELECT id, what, rank, community, households, points, area_m2,
                       ST_AsBinary(geom)
                     FROM {s}.gap_areas ORDER BY id",
                ),
                &[],
            )
            .map_err(self.err())?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(GapArea {
                geometry: area(self, "gap_areas", r.get(0), r.get(7))?,
                what: r.get(1),
                rank: r.get::<_, i64>(2) as usize,
                community: r.get(3),
                households: r.get::<_, i64>(4) as u64,
                points: r.get::<_, i64>(5) as usize,
                area_m2: r.get(6),
            });
        }
        Ok(out)
    }

    fn write_service_areas(&self, run: i64, areas: &[ServiceArea]) -> Result<usize> {
        let err = self.err();
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(&err)?;
        let ins = tx
            .prepare(&self.sql(
                "INSERT INTO {s}.service_areas (run_id, category, minutes, area_m2, facilities,
                   geom)
                 VALUES ($1, $2, $3, $4, $5, ST_GeomFromWKB($6, 4326))",
            ))
            .map_err(&err)?;
        for a in areas {
            tx.execute(
                &ins,
                &[
                    &run,
                    &a.category,
                    &(a.minutes as i32),
                    &a.area_m2,
                    &(a.facilities as i64),
                    &wkb(&Geometry::MultiPolygon(a.geometry.clone())),
                ],
            )
            .map_err(&err)?;
        }
        self.bump(&mut tx).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(areas.len())
    }

    fn latest_service_areas(&self) -> Result<Vec<ServiceArea>> {
        let mut client = self.client()?;
        let rows = client
            .query(
                &self.sql(
                    "SELECT id, category, minutes, area_m2, facilities, ST_AsBinary(geom)
                     FROM {s}.service_areas
                     WHERE run_id = (SELECT max(run_id) FROM {s}.service_areas) ORDER BY id",
                ),
                &[],
            )
            .map_err(self.err())?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(ServiceArea {
                geometry: area(self, "service_areas", r.get(0), r.get(5))?,
                category: r.get(1),
                minutes: r.get::<_, i32>(2) as u32,
                area_m2: r.get(3),
                facilities: r.get::<_, i64>(4) as usize,
            });
        }
        Ok(out)
    }
}
