use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

/// One bad feature in an input file.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureProblem {
    /// 0-based position of the feature (CSV: data row, not counting the header).
    pub index: usize,
    /// The feature's own id, when it has one.
    pub id: Option<String>,
    pub message: String,
}

impl fmt::Display for FeatureProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "feature {} (id {id}): {}", self.index, self.message),
            None => write!(f, "feature {}: {}", self.index, self.message),
        }
    }
}

/// How many problems an error message lists before it summarises.
const SHOWN: usize = 20;

fn list(problems: &[FeatureProblem]) -> String {
    let mut s = String::new();
    for p in problems.iter().take(SHOWN) {
        s.push_str("\n  ");
        s.push_str(&p.to_string());
    }
    if problems.len() > SHOWN {
        s.push_str(&format!("\n  ... and {} more", problems.len() - SHOWN));
    }
    s
}

/// Errors of reading, converting and storing geodata.
#[derive(Debug, Error)]
pub enum Error {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file as a whole is not what it claims to be (bad JSON, truncated PBF, empty file).
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    /// Some features are invalid; nothing was imported.
    #[error(
        "{path}: {} of {total} features are invalid; nothing was imported (use --skip-invalid to import the valid ones and write the rejects to a report){}",
        problems.len(),
        list(problems)
    )]
    Features {
        path: PathBuf,
        total: usize,
        problems: Vec<FeatureProblem>,
    },
    /// A coordinate reference system PROJ does not know, or a failed transformation.
    #[error("coordinate reference system {crs}: {message}")]
    Crs { crs: String, message: String },
    /// The command line asks for something the file cannot give (missing field, no role).
    #[error("{path}: {message}")]
    Usage { path: PathBuf, message: String },
    /// The same key is imported twice, or is already in the workspace.
    #[error("{layer}: key {key:?} {message}")]
    DuplicateKey {
        layer: &'static str,
        key: String,
        message: String,
    },
    /// The workspace file is not a usable Wangge GeoPackage.
    #[error("workspace {path}: {message}")]
    Workspace { path: PathBuf, message: String },
    /// A change to one incident that the closed loop refuses, with the rule it breaks
    /// (`transition`, `closed`, `not_closed`, `assignment_step`, `event_order`,
    /// `event_in_future`, `extension_hours`): clients word it by the rule, not the message.
    #[error("workspace {path}: incident {key:?}: {message}")]
    Incident {
        path: PathBuf,
        key: String,
        rule: &'static str,
        message: String,
    },
    /// A step time the closed loop refuses, with the rule (`step_order`, `step_in_future`).
    #[error("workspace {path}: incident {key:?}: {message} (rule {rule})")]
    IncidentTime {
        path: PathBuf,
        key: String,
        rule: &'static str,
        message: String,
    },
    /// A plan change made from a version that is no longer the current one.
    #[error("workspace {path}: plan {base} is no longer the current version ({}); reload and edit again, or keep the change as a branch", current.map_or("none".to_string(), |c| c.to_string()))]
    StalePlan {
        path: PathBuf,
        base: i64,
        current: Option<i64>,
    },
    /// What was asked for is not in the workspace (a plan version, an incident).
    #[error("workspace {path}: {message}")]
    NotFound { path: PathBuf, message: String },
    /// The store's database failed (SQLite for a GeoPackage).
    #[error("workspace {path}: {source}")]
    Backend {
        path: PathBuf,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Result with the io [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A stable machine code for the kind of error (front ends map codes, never messages).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "io",
            Self::Format { .. } => "format",
            Self::Features { .. } => "invalid_features",
            Self::Crs { .. } => "crs",
            Self::Usage { .. } => "usage",
            Self::DuplicateKey { .. } => "duplicate_key",
            Self::Workspace { .. } => "workspace",
            Self::Incident { .. } => "incident_refused",
            Self::IncidentTime { .. } => "incident_time",
            Self::StalePlan { .. } => "stale_plan",
            Self::NotFound { .. } => "not_found",
            Self::Backend { .. } => "store",
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Format {
            path: path.into(),
            message: message.into(),
        }
    }

    pub(crate) fn usage(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Usage {
            path: path.into(),
            message: message.into(),
        }
    }
}
