//! Residents: the personal data of a household register (name, phone, resident ID number),
//! each linked to an address point by its key. Attributes table `residents`, written whole
//! by `wangge residents import` (a register is a snapshot: the import replaces the table in
//! one transaction) and read per grid or street of the newest plan. Never in a tile.

use super::store::GeoPackage;
use crate::store::ResidentStore;
use crate::store::prelude::*;
use crate::store::{Resident, ResidentRow};
use crate::{Error, Result};

const DDL: &str = "
CREATE TABLE IF NOT EXISTS residents (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, address_key TEXT NOT NULL,
  name TEXT NOT NULL, phone TEXT, id_number TEXT, unit TEXT);
CREATE INDEX IF NOT EXISTS residents_address ON residents(address_key);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('residents', 'attributes', 'residents', 'Residents: personal data (names, phones, ID numbers)');
";

impl ResidentStore for GeoPackage {
    fn replace_residents(&mut self, rows: &[Resident]) -> Result<usize> {
        let path = self.path().to_path_buf();
        let sql = |source| crate::gpkg::backend_error(path.clone(), source);
        let known: std::collections::HashSet<String> = {
            let mut stmt = self
                .connection()
                .prepare("SELECT key FROM address_points")
                .map_err(&sql)?;
            let keys = stmt.query_map([], |r| r.get(0)).map_err(&sql)?;
            keys.collect::<std::result::Result<_, _>>().map_err(&sql)?
        };
        if let Some((i, r)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| !known.contains(&r.address_key))
        {
            return Err(Error::usage(
                &path,
                format!("resident {i}: no address point has key {:?}", r.address_key),
            ));
        }
        let tx = self.connection_mut().transaction().map_err(&sql)?;
        tx.execute_batch(DDL).map_err(&sql)?;
        add_unit_column(&tx).map_err(&sql)?;
        tx.execute("DELETE FROM residents", []).map_err(&sql)?;
        {
            let mut ins = tx
                .prepare(
                    "INSERT INTO residents (address_key, name, phone, id_number, unit) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(&sql)?;
            for r in rows {
                ins.execute(rusqlite::params![
                    r.address_key,
                    r.name,
                    r.phone,
                    r.id_number,
                    r.unit
                ])
                .map_err(&sql)?;
            }
        }
        tx.commit().map_err(&sql)?;
        Ok(rows.len())
    }

    fn residents_where(
        &self,
        keep: &dyn Fn(&str, &str) -> bool,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<ResidentRow>, usize)> {
        if !self.has_table("residents")? {
            return Ok((Vec::new(), 0));
        }
        let Some(plan) = self.latest_plan()? else {
            return Ok((Vec::new(), 0));
        };
        let sql = self.sql();
        let has_unit = self.has_column("residents", "unit")?;
        let mut stmt = self
            .connection()
            .prepare(if has_unit {
                "SELECT address_key, name, phone, id_number, unit FROM residents ORDER BY address_key, name, fid"
            } else {
                "SELECT address_key, name, phone, id_number, NULL FROM residents ORDER BY address_key, name, fid"
            })
            .map_err(&sql)?;
        let rows = stmt.query_map([], resident_row).map_err(&sql)?;
        let residents: Vec<Resident> = rows.collect::<std::result::Result<_, _>>().map_err(&sql)?;
        Ok(crate::store::place_residents(
            &residents,
            self.plan_members(plan)?,
            self.plan_grids(plan)?,
            keep,
            limit,
            offset,
        ))
    }

    fn all_residents(&self) -> Result<Vec<Resident>> {
        if !self.has_table("residents")? {
            return Ok(Vec::new());
        }
        let sql = self.sql();
        let unit = if self.has_column("residents", "unit")? {
            "unit"
        } else {
            "NULL"
        };
        let mut stmt = self
            .connection()
            .prepare(&format!(
                "SELECT address_key, name, phone, id_number, {unit} FROM residents ORDER BY fid"
            ))
            .map_err(&sql)?;
        let rows = stmt.query_map([], resident_row).map_err(&sql)?;
        rows.collect::<std::result::Result<_, _>>().map_err(&sql)
    }

    fn resident_count(&self) -> Result<usize> {
        if !self.has_table("residents")? {
            return Ok(0);
        }
        let n: i64 = self
            .connection()
            .query_row("SELECT count(*) FROM residents", [], |r| r.get(0))
            .map_err(self.sql())?;
        Ok(n.max(0) as usize)
    }
}

/// Registers stored before units were kept get the column.
fn add_unit_column(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let has: i64 = tx.query_row(
        "SELECT count(*) FROM pragma_table_info('residents') WHERE name = 'unit'",
        [],
        |r| r.get(0),
    )?;
    if has == 0 {
        tx.execute_batch("ALTER TABLE residents ADD COLUMN unit TEXT;")?;
    }
    Ok(())
}

/// A resident from a row `address_key, name, phone, id_number, unit`.
fn resident_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Resident> {
    Ok(Resident {
        address_key: r.get(0)?,
        name: r.get(1)?,
        phone: r.get(2)?,
        id_number: r.get(3)?,
        unit: r.get(4)?,
    })
}
