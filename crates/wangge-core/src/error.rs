use thiserror::Error;

/// Errors raised when constructing domain values from outside data.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    /// A household count that is negative, not a whole number or implausibly large.
    #[error("invalid household count {value:?}: {reason}")]
    Households { value: String, reason: &'static str },
    /// A storey count that is not a whole number between 1 and 200.
    #[error("invalid number of levels {value:?}: {reason}")]
    Levels { value: String, reason: &'static str },
    /// A time stamp in none of the accepted formats.
    #[error("invalid time {value:?}: {reason}")]
    Time { value: String, reason: &'static str },
    /// An empty or malformed category code.
    #[error("invalid category {value:?}: {reason}")]
    Category { value: String, reason: &'static str },
    /// A life-circle catalogue that does not parse or breaks a rule.
    #[error("{file}: {reason}")]
    Catalogue { file: String, reason: String },
    /// An incident taxonomy that does not parse or breaks a rule.
    #[error("{0}")]
    Config(String),
    /// A status change the closed loop does not allow.
    #[error("an incident {from} cannot become {to}: {allowed}")]
    Transition {
        from: &'static str,
        to: &'static str,
        allowed: String,
    },
    /// A step time the closed loop refuses: before the step reached last (`step_order`) or
    /// ahead of the clock (`step_in_future`).
    #[error("{message} (rule {rule})")]
    StepTime { rule: &'static str, message: String },
    /// An incident status or source outside the closed list.
    #[error("invalid {what} {value:?}; expected one of {expected}")]
    Enum {
        what: &'static str,
        value: String,
        expected: &'static str,
    },
}

/// Result with the core [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
