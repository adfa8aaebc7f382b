//! Who handles cases: departments (职能部门: a street office's own sections or the district's
//! bureaus) and workers (网格员, 处置人员), each worker in one department and, for grid
//! workers, one grid. A register is imported whole (`wangge workers import`).

/// A department that cases are dispatched to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    /// Its code in the register (unique).
    pub code: String,
    pub name: String,
    /// The street it belongs to (a street office's section), `None` for a district-wide one.
    pub street: Option<String>,
}

/// A worker cases are assigned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    /// Their id in the register (工号, unique).
    pub id: String,
    pub name: String,
    /// The department's code.
    pub department: String,
    /// The grid they look after (a grid worker), by code.
    pub grid: Option<String>,
    /// A work phone (personal data: shown only to roles that see residents' phones).
    pub phone: Option<String>,
    /// The access token they sign in with, by id.
    pub token: Option<i64>,
}

/// Who a case is assigned to (派遣): a department, and within it a worker when one is named,
/// with the dispatcher's time limit for handling (hours, at most the category's limit).
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub department: String,
    pub worker: Option<String>,
    pub hours: Option<f64>,
}

/// A case flagged for supervision (督办): who flagged it and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supervision {
    pub by: String,
    pub reason: String,
}
