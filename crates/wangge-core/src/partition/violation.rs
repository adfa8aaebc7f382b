//! Hard-constraint violations a plan can end with, by kind: what `partition` counts, lists and
//! fails on. Listed exceptions (a building that alone exceeds the cap, points outside every
//! community) are not violations.

use std::fmt;

/// The hard constraint a grid breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ViolationKind {
    /// More households than the cap.
    OverCap,
    /// Units not connected through shared boundaries.
    Disconnected,
    /// The grid's polygon came out in several parts.
    Parts,
    /// Not a valid simple polygon (OGC Simple Features).
    InvalidPolygon,
    /// A part narrower than 2 m of 20 m² or more.
    Sliver,
    /// The grids' areas do not add up to the community's.
    Tiling,
    /// Two grids overlap.
    Overlap,
    /// An address point's households are not placed exactly once.
    NotPlaced,
}

impl ViolationKind {
    /// Every kind, in the order summaries print them.
    pub const ALL: [ViolationKind; 8] = [
        ViolationKind::OverCap,
        ViolationKind::Disconnected,
        ViolationKind::Parts,
        ViolationKind::InvalidPolygon,
        ViolationKind::Sliver,
        ViolationKind::Tiling,
        ViolationKind::Overlap,
        ViolationKind::NotPlaced,
    ];

    /// A stable code for reports and clients.
    pub fn code(self) -> &'static str {
        match self {
            ViolationKind::OverCap => "over_cap",
            ViolationKind::Disconnected => "disconnected",
            ViolationKind::Parts => "parts",
            ViolationKind::InvalidPolygon => "invalid_polygon",
            ViolationKind::Sliver => "sliver",
            ViolationKind::Tiling => "tiling",
            ViolationKind::Overlap => "overlap",
            ViolationKind::NotPlaced => "not_placed",
        }
    }
}

/// One violation: its kind and a sentence naming the grid (or pair, or point) and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub kind: ViolationKind,
    pub message: String,
    /// The values in the message by name (`grid`, `households`, `cap`, ...), for front ends
    /// that say it in another language: they translate by `kind` with these, never by
    /// matching the English message.
    pub params: Vec<(&'static str, String)>,
}

impl Violation {
    pub fn new(kind: ViolationKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            params: Vec::new(),
        }
    }

    /// The same with a named value.
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.params.push((name, value.to_string()));
        self
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
