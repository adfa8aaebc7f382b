//! The register of departments and workers on the GeoPackage: attributes tables
//! `departments` and `workers`, written whole by `wangge workers import` (one transaction).
//! A worker's phone is personal data: the server shows it only to roles that see residents'.

use super::store::GeoPackage;
use crate::Result;
use crate::store::WorkforceStore;
use wangge_core::{Department, Worker};

const DDL: &str = "
CREATE TABLE IF NOT EXISTS departments (
  code TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, street TEXT);
CREATE TABLE IF NOT EXISTS workers (
  id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, department TEXT NOT NULL,
  grid TEXT, phone TEXT, token INTEGER);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('departments', 'attributes', 'departments', 'Departments that cases are dispatched to');
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('workers', 'attributes', 'workers', 'Workers who handle cases (phones are personal data)');
";

impl WorkforceStore for GeoPackage {
    fn replace_workforce(&mut self, departments: &[Department], workers: &[Worker]) -> Result<()> {
        crate::store::refuse_workforce(self.path(), departments, workers)?;
        let path = self.path().to_path_buf();
        let sql = |source| crate::gpkg::backend_error(path.clone(), source);
        let tx = self.connection_mut().transaction().map_err(&sql)?;
        tx.execute_batch(DDL).map_err(&sql)?;
        tx.execute_batch("DELETE FROM workers; DELETE FROM departments;")
            .map_err(&sql)?;
        {
            let mut ins = tx
                .prepare("INSERT INTO departments (code, name, street) VALUES (?1, ?2, ?3)")
                .map_err(&sql)?;
            for d in departments {
                ins.execute(rusqlite::params![d.code, d.name, d.street])
                    .map_err(&sql)?;
            }
            let mut ins = tx
                .prepare(
                    "INSERT INTO workers (id, name, department, grid, phone, token)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(&sql)?;
            for w in workers {
                ins.execute(rusqlite::params![
                    w.id,
                    w.name,
                    w.department,
                    w.grid,
                    w.phone,
                    w.token
                ])
                .map_err(&sql)?;
            }
        }
        tx.commit().map_err(&sql)?;
        Ok(())
    }

    fn departments(&self) -> Result<Vec<Department>> {
        if !self.has_table("departments")? {
            return Ok(Vec::new());
        }
        let sql = self.sql();
        let mut stmt = self
            .connection()
            .prepare("SELECT code, name, street FROM departments ORDER BY code")
            .map_err(&sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Department {
                    code: r.get(0)?,
                    name: r.get(1)?,
                    street: r.get(2)?,
                })
            })
            .map_err(&sql)?;
        rows.collect::<std::result::Result<_, _>>().map_err(&sql)
    }

    fn workers(&self) -> Result<Vec<Worker>> {
        if !self.has_table("workers")? {
            return Ok(Vec::new());
        }
        let sql = self.sql();
        let mut stmt = self
            .connection()
            .prepare("SELECT id, name, department, grid, phone, token FROM workers ORDER BY id")
            .map_err(&sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Worker {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    department: r.get(2)?,
                    grid: r.get(3)?,
                    phone: r.get(4)?,
                    token: r.get(5)?,
                })
            })
            .map_err(&sql)?;
        rows.collect::<std::result::Result<_, _>>().map_err(&sql)
    }
}
