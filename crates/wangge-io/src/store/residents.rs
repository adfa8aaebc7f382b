//! Residents: personal data, read only by roles allowed to see it.

use crate::Result;

/// The resident register.
pub trait ResidentStore {
    /// Replaces every resident with `rows`; every address key must name an address point.
    /// One transaction: all of them land or none; durable on return.
    fn replace_residents(&mut self, rows: &[Resident]) -> Result<usize>;

    /// Residents whose address point lies in the newest plan's grids that `keep` accepts
    /// (by grid code and community), ordered by address and name; with paging. Returns the
    /// page and the number of residents in all. Read.
    fn residents_where(
        &self,
        keep: &dyn Fn(&str, &str) -> bool,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<ResidentRow>, usize)>;

    /// How many residents are stored. Read.
    fn resident_count(&self) -> Result<usize>;

    /// Every resident in the register's order (for copying a workspace). Read.
    fn all_residents(&self) -> Result<Vec<Resident>>;
}

/// One resident as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    pub address_key: String,
    pub name: String,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    /// The building unit (单元) when the register gives it.
    pub unit: Option<String>,
}

/// A resident as read for a grid or street: where they live in the newest plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentRow {
    pub resident: Resident,
    /// The grids of the newest plan holding the address point (more than one when a
    /// building entrance is split by floors).
    pub grids: Vec<String>,
    /// The grid the resident is placed in, and the only one whose worker sees them: of an
    /// address point split over grids, the grid holding their unit (units in their natural
    /// order over the grids' shares of the households), else the grid holding the first part.
    pub grid: Option<String>,
    /// An address point split over grids and no unit in the register: placed in the first
    /// grid, and listed to the street office as not placed by unit.
    pub unplaced: bool,
    pub community: Option<String>,
}

/// Places residents in the grids of a plan and pages the ones `keep` accepts (by grid code
/// and community): what [`ResidentStore::residents_where`] returns, whatever the backend.
/// `residents` in the register's order; `members` the plan's (address key, grid, households)
/// in its order; `grids` the plan's (grid code, community).
pub fn place_residents(
    residents: &[Resident],
    members: Vec<(String, String, u32)>,
    grids: Vec<(String, String)>,
    keep: &dyn Fn(&str, &str) -> bool,
    limit: usize,
    offset: usize,
) -> (Vec<ResidentRow>, usize) {
    let communities: std::collections::HashMap<String, String> = grids.into_iter().collect();
    // Per address point: its grids in the plan's order with their households.
    let mut parts: std::collections::BTreeMap<String, Vec<(String, u32)>> = Default::default();
    for (key, grid, households) in members {
        parts.entry(key).or_default().push((grid, households));
    }
    // The units each split address point has in the register, in natural order.
    let mut units: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for r in residents {
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
    for resident in residents {
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
    (page, total)
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
