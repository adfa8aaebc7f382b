//! The resident register on PostgreSQL (personal data: no public view reads this table).

use super::PgStore;
use wangge_io::Result;
use wangge_io::store::prelude::*;
use wangge_io::store::{Resident, ResidentRow, ResidentStore, place_residents};

impl ResidentStore for PgStore {
    fn replace_residents(&mut self, rows: &[Resident]) -> Result<usize> {
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(self.err())?;
        let keys: Vec<&str> = rows.iter().map(|r| r.address_key.as_str()).collect();
        let missing = tx
            .query(
                &self.sql(
                    "SELECT min(i)::bigint FROM unnest($1::text[]) WITH ORDINALITY AS u(k, i)
                     WHERE NOT EXISTS (SELECT 1 FROM {s}.address_points a WHERE a.key = u.k)",
                ),
                &[&keys],
            )
            .map_err(self.err())?;
        if let Some(i) = missing.first().and_then(|r| r.get::<_, Option<i64>>(0)) {
            let i = (i - 1) as usize;
            return Err(wangge_io::Error::Usage {
                path: self.path(),
                message: format!(
                    "resident {i}: no address point has key {:?}",
                    rows[i].address_key
                ),
            });
        }
        tx.execute(&self.sql("DELETE FROM {s}.residents"), &[])
            .map_err(self.err())?;
        let col = |f: fn(&Resident) -> Option<String>| rows.iter().map(f).collect::<Vec<_>>();
        tx.execute(
            &self.sql(
                "INSERT INTO {s}.residents (address_key, name, phone, id_number, unit)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])",
            ),
            &[
                &keys,
                &rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
                &col(|r| r.phone.clone()),
                &col(|r| r.id_number.clone()),
                &col(|r| r.unit.clone()),
            ],
        )
        .map_err(self.err())?;
        tx.commit().map_err(self.err())?;
        Ok(rows.len())
    }

    fn residents_where(
        &self,
        keep: &dyn Fn(&str, &str) -> bool,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<ResidentRow>, usize)> {
        let Some(plan) = self.latest_plan()? else {
            return Ok((Vec::new(), 0));
        };
        let rows = self
            .client()?
            .query(
                &self.sql(
                    "SELECT address_key, name, phone, id_number, unit FROM {s}.residents
                     ORDER BY address_key COLLATE \"C\", name COLLATE \"C\", id",
                ),
                &[],
            )
            .map_err(self.err())?;
        let residents: Vec<Resident> = rows
            .iter()
            .map(|r| Resident {
                address_key: r.get(0),
                name: r.get(1),
                phone: r.get(2),
                id_number: r.get(3),
                unit: r.get(4),
            })
            .collect();
        Ok(place_residents(
            &residents,
            self.plan_members(plan)?,
            self.plan_grids(plan)?,
            keep,
            limit,
            offset,
        ))
    }

    fn all_residents(&self) -> Result<Vec<Resident>> {
        let rows = self
            .client()?
            .query(
                &self.sql("SELECT address_key, name, phone, id_number, unit FROM {s}.residents ORDER BY id"),
                &[],
            )
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| Resident {
                address_key: r.get(0),
                name: r.get(1),
                phone: r.get(2),
                id_number: r.get(3),
                unit: r.get(4),
            })
            .collect())
    }

    fn resident_count(&self) -> Result<usize> {
        let n: i64 = self
            .client()?
            .query_one(&self.sql("SELECT count(*) FROM {s}.residents"), &[])
            .map_err(self.err())?
            .get(0);
        Ok(n.max(0) as usize)
    }
}
