//! A plausible register of departments and workers for a district's grids (the demo's): per
//! street its office's sections (城管科 city management, 市政所 public works, 社区办 community
//! affairs) and per grid one grid worker (网格员); district-wide bureaus (区城管局, 区住建局,
//! 区环保局) with two workers each. Names from common surnames and given names; the same seed
//! gives the same register.

use crate::Rng;
use std::collections::BTreeSet;
use wangge_core::{Department, Worker};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英",
];
const SECTIONS: &[(&str, &str)] = &[("CG", "城管科"), ("SZ", "市政所"), ("SQ", "社区办")];
const BUREAUS: &[(&str, &str)] = &[
    ("QCGJ", "区城管局"),
    ("QZJJ", "区住建局"),
    ("QHBJ", "区环保局"),
];

fn name(r: &mut Rng) -> String {
    let s = SURNAMES[r.next_u64() as usize % SURNAMES.len()];
    let g = GIVEN[r.next_u64() as usize % GIVEN.len()];
    format!("{s}{g}")
}

/// The register for `grids`: (grid code, street) of the newest plan, streets by name.
pub fn workforce(grids: &[(String, Option<String>)], seed: u64) -> (Vec<Department>, Vec<Worker>) {
    let mut r = Rng::new(seed).fork(0x5746);
    let streets: BTreeSet<&str> = grids.iter().filter_map(|(_, s)| s.as_deref()).collect();
    let mut departments = Vec::new();
    let mut workers = Vec::new();
    for (i, street) in streets.iter().enumerate() {
        for (code, section) in SECTIONS {
            departments.push(Department {
                code: format!("S{:02}{code}", i + 1),
                name: format!("{street}{section}"),
                street: Some(street.to_string()),
            });
        }
    }
    for (code, bureau) in BUREAUS {
        departments.push(Department {
            code: code.to_string(),
            name: bureau.to_string(),
            street: None,
        });
        for n in 1..=2 {
            workers.push(Worker {
                id: format!("{code}{n:02}"),
                name: name(&mut r),
                department: code.to_string(),
                grid: None,
                phone: Some(format!("139{:08}", r.next_u64() % 100_000_000)),
                token: None,
            });
        }
    }
    let mut codes: Vec<&(String, Option<String>)> = grids.iter().collect();
    codes.sort();
    for (n, (grid, street)) in codes.into_iter().enumerate() {
        // Grid workers belong to their street's community affairs office (or the district's
        // city management bureau for a grid outside every street).
        let department = match street
            .as_deref()
            .and_then(|s| streets.iter().position(|x| *x == s))
        {
            Some(i) => format!("S{:02}SQ", i + 1),
            None => "QCGJ".to_string(),
        };
        workers.push(Worker {
            id: format!("W{:05}", n + 1),
            name: name(&mut r),
            department,
            grid: Some(grid.clone()),
            phone: Some(format!("138{:08}", r.next_u64() % 100_000_000)),
            token: None,
        });
    }
    (departments, workers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_grid_worker_per_grid_in_the_office_of_its_street() {
        let grids = vec![
            ("G2".to_string(), Some("玄武门街道".to_string())),
            ("G1".to_string(), Some("梅园新村街道".to_string())),
            ("G3".to_string(), None),
        ];
        let (deps, workers) = workforce(&grids, 1);
        assert_eq!(deps.len(), 2 * 3 + 3);
        let grid_workers: Vec<_> = workers.iter().filter(|w| w.grid.is_some()).collect();
        assert_eq!(grid_workers.len(), 3);
        for w in &workers {
            assert!(deps.iter().any(|d| d.code == w.department), "{w:?}");
        }
        let g3 = workers
            .iter()
            .find(|w| w.grid.as_deref() == Some("G3"))
            .expect("G3");
        assert_eq!(g3.department, "QCGJ");
        assert_eq!(workforce(&grids, 1), (deps, workers));
    }
}
