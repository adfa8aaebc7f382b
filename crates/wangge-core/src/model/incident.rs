use crate::{Error, Result, Timestamp};
use geo_types::Point;

/// A reported incident (事件) in the closed loop.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub key: String,
    pub time: Timestamp,
    /// Category as given (mapped onto the taxonomy by the incident issue).
    pub category: String,
    pub source: IncidentSource,
    pub status: IncidentStatus,
    pub location: Point<f64>,
}

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($(#[$vm:meta])* $v:ident => $s:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The stored text.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            /// Parses the stored text or an accepted alias (case-insensitive).
            pub fn parse(text: &str) -> Result<Self> {
                let t = text.trim().to_lowercase();
                $(if t == $s $(|| t == $alias)* { return Ok($name::$v); })+
                Err(Error::Enum {
                    what: $what,
                    value: text.to_string(),
                    expected: concat!($($s, " "),+),
                })
            }
        }
    };
}

text_enum!(
    /// Where an incident came from.
    IncidentSource, "incident source", {
        /// Discovered and reported by the grid worker.
        GridWorker => "grid_worker" | "grid" | "网格员",
        /// Citizen hotline 12345.
        Hotline => "hotline" | "12345" | "热线",
        /// Petitions (信访).
        Petition => "petition" | "信访",
        /// Police calls (110).
        Police110 => "police_110" | "110",
        /// Anything else (online platforms, other departments).
        Other => "other",
    }
);

text_enum!(
    /// The five steps of the closed loop.
    IncidentStatus, "incident status", {
        Reported => "reported" | "上报",
        Dispatched => "dispatched" | "派遣",
        Handled => "handled" | "处置",
        FollowedUp => "followed_up" | "回访",
        Closed => "closed" | "结案",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip() {
        for s in IncidentStatus::ALL {
            assert_eq!(IncidentStatus::parse(s.as_str()), Ok(*s));
        }
        assert_eq!(IncidentSource::parse("12345"), Ok(IncidentSource::Hotline));
        assert!(IncidentStatus::parse("lost").is_err());
    }
}
