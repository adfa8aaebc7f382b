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
}

/// A resident as read for a grid or street: where they live in the newest plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentRow {
    pub resident: Resident,
    /// The grids of the newest plan holding the address point (more than one when a
    /// building entrance is split by floors).
    pub grids: Vec<String>,
    pub community: Option<String>,
}
