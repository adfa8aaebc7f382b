//! `/api/components`: city components (部件) per area by subclass and status, as the API
//! answers them (the CLI's `report components` shows the same rows: wangge-app computes them).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wangge_app::components::{ComponentCounts, FaultRow};
use wangge_core::ComponentCatalogue;

/// `/api/components` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComponentsQuery {
    /// `grid`, `community`, `street` or `district` (default `grid`).
    pub by: Option<String>,
}

/// One area's components of one subclass.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ComponentRowAnswer {
    /// Grid code, community key, street name or `district`.
    pub area: String,
    /// GB/T 30428.2 subclass code (major class + subclass), e.g. `0102`.
    pub class: String,
    /// Its Chinese name (污水井盖).
    pub class_zh: String,
    /// Major class code and name (01 公用设施).
    pub major: String,
    pub major_zh: String,
    pub count: u64,
    pub intact: u64,
    pub damaged: u64,
    pub missing: u64,
    pub occupied: u64,
}

/// Components per area: rows by area then class; `outside`: components in no area of the
/// level (outside every grid of the newest plan, or every community).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ComponentsAnswer {
    pub level: String,
    pub total: u64,
    pub outside: u64,
    pub rows: Vec<ComponentRowAnswer>,
}

impl ComponentsAnswer {
    pub fn new(c: &ComponentCounts, catalogue: &ComponentCatalogue) -> Self {
        let rows = c
            .rows
            .iter()
            .map(|r| {
                let major = r.class.get(..2).unwrap_or_default().to_string();
                let [intact, damaged, missing, occupied] = r.by_status;
                ComponentRowAnswer {
                    area: r.area.clone(),
                    class: r.class.clone(),
                    class_zh: catalogue
                        .get(&r.class)
                        .map(|s| s.zh.clone())
                        .unwrap_or_default(),
                    major_zh: catalogue
                        .class(&major)
                        .map(|s| s.zh.clone())
                        .unwrap_or_default(),
                    major,
                    count: r.count,
                    intact,
                    damaged,
                    missing,
                    occupied,
                }
            })
            .collect();
        Self {
            level: c.level.as_str().to_string(),
            total: c.total,
            outside: c.outside,
            rows,
        }
    }
}

/// `/api/components/faults` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FaultsQuery {
    /// Reported from this date or time (+08:00 unless given; default: any time).
    pub from: Option<String>,
    /// Reported before this date (its start) or time (default: any time).
    pub to: Option<String>,
    /// At least this many incidents, 2 or more (default 2: repeated).
    pub min: Option<String>,
}

/// A component with repeated faults.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FaultAnswer {
    pub key: String,
    pub class: String,
    pub class_zh: String,
    pub status: String,
    pub owner: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
    /// Incidents reported about it in the window (`/api/incidents?component=KEY` lists them).
    pub incidents: u64,
}

/// Components with repeated faults, most incidents first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FaultsAnswer {
    pub components: Vec<FaultAnswer>,
}

impl FaultsAnswer {
    pub fn new(rows: &[FaultRow], catalogue: &ComponentCatalogue) -> Self {
        Self {
            components: rows
                .iter()
                .map(|r| FaultAnswer {
                    key: r.key.clone(),
                    class_zh: catalogue
                        .get(&r.class)
                        .map(|s| s.zh.clone())
                        .unwrap_or_default(),
                    class: r.class.clone(),
                    status: r.status.as_str().to_string(),
                    owner: r.owner.clone(),
                    community: r.community.clone(),
                    grid: r.grid.clone(),
                    incidents: r.incidents,
                })
                .collect(),
        }
    }
}
