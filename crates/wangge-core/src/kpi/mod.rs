//! Figures districts publish: closed-loop KPIs (time limits, rates, medians) and the monthly
//! social-condition index. Pure computation over `Case`s; the store reads them.

pub mod closed_loop;
pub mod index_tally;
pub mod limits;
pub mod social_index;

pub use closed_loop::{
    Case, Evaluation, KpiRow, Level, Urgency, deadline, kpis, month_of, month_range,
    previous_month, urgency,
};
pub use index_tally::{IndexTally, tally_cases};
pub use limits::TimeLimits;
pub use social_index::{
    IndexParams, IndexRow, IndexRun, sha256_hex, social_index, social_index_of_tallies,
};
