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
        let communities: std::collections::HashMap<String, String> =
            self.plan_grids(plan)?.into_iter().collect();
        // Per address point: its grids in the plan's order with their households.
        let mut parts: std::collections::BTreeMap<String, Vec<(String, u32)>> = Default::default();
        for (key, grid, households) in self.plan_members(plan)? {
            parts.entry(key).or_default().push((grid, households));
        }
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
        let rows = stmt
            .query_map([], |r| {
                Ok(Resident {
                    address_key: r.get(0)?,
                    name: r.get(1)?,
                    phone: r.get(2)?,
                    id_number: r.get(3)?,
                    unit: r.get(4)?,
                })
            })
            .map_err(&sql)?;
        let residents: Vec<Resident> = rows.collect::<std::result::Result<_, _>>().map_err(&sql)?;
        // The units each split address point has in the register, in natural order.
        let mut units: std::collections::HashMap<&str, Vec<&str>> = Default::default();
        for r in &residents {
            if let Some(u) = r.unit.as_deref() {
                units.entry(r.address_key.as_str()).or_default().push(u);
            }
        }
        for v in units.values_mut() {
            v.sort_by(|a, b| natural(a, b));
            v.dedup();
        }
        let mut total = 0;
        let mut page = Vec::new();
        for resident in residents.iter() {
            let split = parts
                .get(&resident.address_key)
                .cloned()
                .unwrap_or_default();
            let grids: Vec<String> = split.iter().map(|(g, _)| g.clone()).collect();
            let (grid, unplaced) = match (split.len(), resident.unit.as_deref()) {
                (0, _) => (None, false),
                (1, _) => (Some(grids[0].clone()), false),
                (_, Some(u)) => {
                    let order = units
                        .get(resident.address_key.as_str())
                        .map_or(&[][..], |v| v.as_slice());
                    (Some(grid_of_unit(&split, order, u)), false)
                }
                (_, None) => (Some(grids[0].clone()), true),
            };
            let community = grid.as_ref().and_then(|g| communities.get(g)).cloned();
            let visible = grid
                .as_ref()
                .zip(community.as_ref())
                .is_some_and(|(g, c)| keep(g.as_str(), c.as_str()));
            if !visible {
                continue;
            }
            if total >= offset && page.len() < limit {
                page.push(ResidentRow {
                    resident: resident.clone(),
                    grids,
                    grid,
                    unplaced,
                    community,
                });
            }
            total += 1;
        }
        Ok((page, total))
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

/// Units in natural order: "2" before "10", digits before other text.
fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.trim().parse::<u64>(), b.trim().parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    }
}

/// The grid holding unit `u` of a split address point: its units, in natural order, laid
/// over the parts' shares of the households (the parts in the plan's order), each unit in
/// the part where its middle falls.
fn grid_of_unit(parts: &[(String, u32)], units: &[&str], u: &str) -> String {
    let k = units.iter().position(|x| *x == u).unwrap_or(0);
    let n = units.len().max(1) as f64;
    let total: f64 = parts.iter().map(|p| f64::from(p.1)).sum::<f64>().max(1.0);
    let at = (k as f64 + 0.5) / n * total;
    let mut cum = 0.0;
    for (g, h) in parts {
        cum += f64::from(*h);
        if at < cum {
            return g.clone();
        }
    }
    parts.last().map(|p| p.0.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_fall_in_the_grid_holding_their_share() {
        let parts = vec![("A".to_string(), 60), ("B".to_string(), 40)];
        let units = ["1", "2", "3", "4", "10"];
        let of = |u| grid_of_unit(&parts, &units, u);
        // Middles at 10%, 30%, 50%, 70%, 90% of the households: A holds the first 60%.
        assert_eq!(
            [of("1"), of("2"), of("3"), of("4"), of("10")],
            ["A", "A", "A", "B", "B"]
        );
        let mut v = vec!["10", "2", "东", "1"];
        v.sort_by(|a, b| natural(a, b));
        assert_eq!(v, ["1", "2", "10", "东"]);
    }
}
