//! The register of departments and workers on PostgreSQL (workers' phones are personal data:
//! no public view reads these tables).

use super::PgStore;
use wangge_core::{Department, Worker};
use wangge_io::Result;
use wangge_io::store::WorkforceStore;

impl WorkforceStore for PgStore {
    fn replace_workforce(&mut self, departments: &[Department], workers: &[Worker]) -> Result<()> {
        wangge_io::store::refuse_workforce(&self.path(), departments, workers)?;
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(self.err())?;
        tx.batch_execute(&self.sql("DELETE FROM {s}.workers; DELETE FROM {s}.departments;"))
            .map_err(self.err())?;
        let d =
            |f: fn(&Department) -> Option<String>| departments.iter().map(f).collect::<Vec<_>>();
        tx.execute(
            &self.sql(
                "INSERT INTO {s}.departments (code, name, street)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[])",
            ),
            &[
                &d(|x| Some(x.code.clone())),
                &d(|x| Some(x.name.clone())),
                &d(|x| x.street.clone()),
            ],
        )
        .map_err(self.err())?;
        let w = |f: fn(&Worker) -> Option<String>| workers.iter().map(f).collect::<Vec<_>>();
        tx.execute(
            &self.sql(
                "INSERT INTO {s}.workers (id, name, department, grid, phone, token)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])",
            ),
            &[
                &w(|x| Some(x.id.clone())),
                &w(|x| Some(x.name.clone())),
                &w(|x| Some(x.department.clone())),
                &w(|x| x.grid.clone()),
                &w(|x| x.phone.clone()),
                &workers.iter().map(|x| x.token).collect::<Vec<_>>(),
            ],
        )
        .map_err(self.err())?;
        tx.commit().map_err(self.err())?;
        Ok(())
    }

    fn departments(&self) -> Result<Vec<Department>> {
        let rows = self
            .client()?
            .query(
                &self.sql(
                    "SELECT code, name, street FROM {s}.departments ORDER BY code COLLATE \"C\"",
                ),
                &[],
            )
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| Department {
                code: r.get(0),
                name: r.get(1),
                street: r.get(2),
            })
            .collect())
    }

    fn workers(&self) -> Result<Vec<Worker>> {
        let rows = self
            .client()?
            .query(
                &self.sql(
                    "SELECT id, name, department, grid, phone, token FROM {s}.workers ORDER BY id COLLATE \"C\"",
                ),
                &[],
            )
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| Worker {
                id: r.get(0),
                name: r.get(1),
                department: r.get(2),
                grid: r.get(3),
                phone: r.get(4),
                token: r.get(5),
            })
            .collect())
    }
}
