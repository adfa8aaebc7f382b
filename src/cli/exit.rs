//! Exit status by class of error, documented in the README ("Exit status"). The class comes
//! from the error's type and stable code (the libraries' typed errors, or a [`Refused`] this
//! binary raises), never from its message.

use std::fmt;

/// The command ran, but the rules refuse its result (a plan with hard-constraint violations,
/// categories `--strict` cannot judge): exit status 1.
#[derive(Debug)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// What the command needs is not in the workspace (no plan yet, no earlier version, no such
/// grid): exit status 4, as for a missing workspace.
#[derive(Debug)]
pub struct Missing(pub String);

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Missing {}

/// Exit statuses.
pub const REFUSED: u8 = 1;
pub const USAGE: u8 = 2;
pub const INPUT: u8 = 3;
pub const WORKSPACE: u8 = 4;
pub const IO: u8 = 5;
pub const INTERNAL: u8 = 70;

fn of_io(e: &wangge_io::Error) -> u8 {
    // A PostgreSQL workspace's own error inside the store's: classed by its kind.
    if let wangge_io::Error::Backend { source, .. } = e
        && let Some(pg) = source.downcast_ref::<wangge_postgis::Error>()
    {
        return of_postgis(pg);
    }
    match e.code() {
        "format" | "invalid_features" | "crs" | "duplicate_key" | "usage" => INPUT,
        "workspace" | "not_found" => WORKSPACE,
        "incident_refused" | "incident_time" | "stale_plan" => REFUSED,
        _ => IO,
    }
}

fn of_postgis(e: &wangge_postgis::Error) -> u8 {
    use wangge_postgis::Error as E;
    match e {
        E::Url { .. } => USAGE,
        E::Connect { .. } | E::Newer { .. } => WORKSPACE,
        E::Sql { .. } | E::Statement(_) => IO,
    }
}

/// The exit status of a failed command: the first error in the chain with a known class;
/// anything else is a usage error (a bad option value checked by the command itself).
pub fn status(e: &anyhow::Error) -> u8 {
    use wangge_core::partition::PartitionError as P;
    for cause in e.chain() {
        if cause.is::<Refused>() || cause.is::<wangge_core::partition::edit::EditRefused>() {
            return REFUSED;
        }
        if cause.is::<Missing>() {
            return WORKSPACE;
        }
        if let Some(e) = cause.downcast_ref::<wangge_io::Error>() {
            return of_io(e);
        }
        if let Some(e) = cause.downcast_ref::<wangge_postgis::Error>() {
            return of_postgis(e);
        }
        if let Some(e) = cause.downcast_ref::<wangge_app::kpi::KpiError>() {
            return match e {
                wangge_app::kpi::KpiError::Month { .. }
                | wangge_app::kpi::KpiError::DistrictIndex => USAGE,
                wangge_app::kpi::KpiError::Store(e) => of_io(e),
            };
        }
        if let Some(e) = cause.downcast_ref::<wangge_app::plans::PlanError>() {
            use wangge_app::plans::PlanError as E;
            return match e {
                E::Refused(_) | E::OutOfScope { .. } | E::Stale { .. } => REFUSED,
                E::NoPlan | E::NoParent { .. } => WORKSPACE,
                E::Partition(_) => INPUT,
                E::Store(e) => of_io(e),
            };
        }
        if let Some(e) = cause.downcast_ref::<wangge_app::walking::WalkError>() {
            return match e {
                wangge_app::walking::WalkError::Store(e) => of_io(e),
                _ => WORKSPACE,
            };
        }
        if let Some(e) = cause.downcast_ref::<P>() {
            return match e {
                P::Failed { .. } => INTERNAL,
                P::Cap => USAGE,
                _ => INPUT,
            };
        }
        if cause.is::<wangge_core::Error>() {
            return INPUT;
        }
        if cause.is::<std::io::Error>() {
            return IO;
        }
    }
    USAGE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_come_from_types_and_codes() {
        let refused = anyhow::Error::new(Refused("3 violations".into()));
        assert_eq!(status(&refused), REFUSED);
        assert_eq!(status(&Missing("no plan yet".into()).into()), WORKSPACE);
        let missing = anyhow::Error::new(wangge_io::Error::NotFound {
            path: "w.gpkg".into(),
            message: "no plan 9".into(),
        });
        assert_eq!(status(&missing.context("plan show")), WORKSPACE);
        let bad = anyhow::Error::new(wangge_io::Error::Crs {
            crs: "EPSG:1".into(),
            message: "unknown".into(),
        });
        assert_eq!(status(&bad), INPUT);
        let disk = anyhow::Error::new(std::io::Error::other("disk full"));
        assert_eq!(status(&disk), IO);
        assert_eq!(status(&anyhow::anyhow!("--speed-kmh 99 is outside")), USAGE);
        let bug = anyhow::Error::new(wangge_core::partition::PartitionError::Failed {
            community: "c".into(),
            message: "x".into(),
        });
        assert_eq!(status(&bug), INTERNAL);
    }
}
