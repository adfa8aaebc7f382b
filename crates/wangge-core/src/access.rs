//! Who may do what: the roles of access tokens and the scope they are bound to.

use std::fmt;

/// A token's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Everything, district-wide.
    Admin,
    /// Reads plans; edits, re-partitions and exports plans of the communities in its street.
    Planner,
    /// Reads coverage, gaps and incidents of its street.
    StreetOffice,
    /// Reads aggregates district-wide (the wall screen).
    Leader,
    /// Reports and updates incidents in its own grid.
    GridWorker,
    /// The basemap only (also any request without a token when tokens are in use).
    Public,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Planner,
        Role::StreetOffice,
        Role::Leader,
        Role::GridWorker,
        Role::Public,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::StreetOffice => "street_office",
            Role::Leader => "leader",
            Role::GridWorker => "grid_worker",
            Role::Public => "public",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// What the scope of a token of this role names: a street, a grid, or nothing (`*`).
    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::Planner | Role::StreetOffice => ScopeKind::Street,
            Role::GridWorker => ScopeKind::Grid,
            Role::Admin | Role::Leader | Role::Public => ScopeKind::District,
        }
    }
}

/// How a role may see residents' personal fields (names, phones, ID numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalView {
    /// In full: the admin, and a grid worker for the residents of its own grid (who visits
    /// them). Each such read is written to the audit log.
    Full,
    /// Masked (`张**`, `138****5678`): a street office, for its street.
    Masked,
    /// Not at all: planners, leaders and the public work with household counts.
    Nothing,
}

impl Role {
    pub fn personal_view(self) -> PersonalView {
        match self {
            Role::Admin | Role::GridWorker => PersonalView::Full,
            Role::StreetOffice => PersonalView::Masked,
            Role::Planner | Role::Leader | Role::Public => PersonalView::Nothing,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of area a token is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    District,
    Street,
    Grid,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
