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
