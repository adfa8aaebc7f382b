//! `/api/kpi`, `/api/kpi/trend`, `/api/index`: the closed-loop KPIs and the social-condition
//! index, as the API answers them (the CLI's `report kpi` and `report index` show the same
//! figures: wangge-app and the core compute them once).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wangge_core::kpi::{IndexParams, IndexRun, KpiRow, Level};

/// `/api/kpi` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KpiQuery {
    /// The month, `YYYY-MM` (default: the current month, local time +08:00).
    pub month: Option<String>,
    /// `grid`, `community`, `street` or `district` (default `district`).
    pub by: Option<String>,
    /// Count the steps as of this time (default: the month's end, or now for the current
    /// month).
    pub asof: Option<String>,
}

/// `/api/kpi/trend` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    /// The last month, `YYYY-MM` (default: the current month).
    pub month: Option<String>,
    /// How many months up to it, 1 to 60 (default 12).
    pub months: Option<String>,
    /// With `area`: `street` or `community` (default: the district's trend).
    pub by: Option<String>,
    /// The street name or community key whose trend is asked for.
    pub area: Option<String>,
}

/// `/api/index` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndexQuery {
    /// The month, `YYYY-MM` (default: the current month).
    pub month: Option<String>,
    /// `grid`, `community` or `street` (default `community`; the district is the reference).
    pub by: Option<String>,
}

/// Median hours of each step after reporting (none when no case took it).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MedianHours {
    pub dispatch: Option<f64>,
    pub handle: Option<f64>,
    pub follow_up: Option<f64>,
    pub close: Option<f64>,
}

/// One area's closed-loop KPIs for a month (docs/kpi.md); rates are fractions, none when
/// their denominator is 0.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KpiRowAnswer {
    /// Grid code, community key, street name, `district`, department code or worker id.
    pub area: String,
    /// The name of a community, department or worker (from the register).
    pub name: Option<String>,
    /// The street (街道) of a community, or of a department or worker of a street's office,
    /// when there is one.
    pub street: Option<String>,
    /// Households of the area (the store's count; grids of the newest plan).
    pub households: Option<u64>,
    /// 千户事件数: reported per 1,000 households.
    pub reported_per_1000_households: Option<f64>,
    pub reported: u64,
    pub filed: u64,
    pub dispatched: u64,
    pub closed: u64,
    pub closed_on_time: u64,
    pub reworked: u64,
    pub extended: u64,
    /// Filed, not closed as of `asof`, past the deadline of the step they are in.
    pub overdue: u64,
    pub filed_rate: Option<f64>,
    pub dispatch_rate: Option<f64>,
    pub closure_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub rework_rate: Option<f64>,
    pub extension_rate: Option<f64>,
    pub median_hours: MedianHours,
    /// Closed cases the resident evaluated: 满意, 基本满意, 不满意.
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub dissatisfied: u64,
    /// 满意率: satisfied or basically satisfied ÷ evaluated (none when none was).
    pub satisfaction_rate: Option<f64>,
}

impl KpiRowAnswer {
    /// The row's figures with the area's households and name.
    pub fn new(
        r: &KpiRow,
        households: Option<u64>,
        name: Option<String>,
        street: Option<String>,
    ) -> Self {
        Self {
            area: r.area.clone(),
            name,
            street,
            households,
            reported_per_1000_households: r.per_1000_households(households),
            reported: r.reported,
            filed: r.filed,
            dispatched: r.dispatched,
            closed: r.closed,
            closed_on_time: r.closed_on_time,
            reworked: r.reworked,
            extended: r.extended,
            overdue: r.overdue,
            filed_rate: r.filed_rate(),
            dispatch_rate: r.dispatch_rate(),
            closure_rate: r.closure_rate(),
            on_time_rate: r.on_time_rate(),
            rework_rate: r.rework_rate(),
            extension_rate: r.extension_rate(),
            median_hours: MedianHours {
                dispatch: r.median_h[0],
                handle: r.median_h[1],
                follow_up: r.median_h[2],
                close: r.median_h[3],
            },
            satisfied: r.evaluations[0],
            basically_satisfied: r.evaluations[1],
            dissatisfied: r.evaluations[2],
            satisfaction_rate: r.satisfaction_rate(),
        }
    }
}

/// `/api/kpi`: a month's KPIs per area.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KpiAnswer {
    pub month: String,
    pub by: String,
    /// The time the steps were counted at (UTC).
    pub asof: String,
    /// For callers who may not see incident positions: areas with fewer reported incidents
    /// than this are not listed, as areas with none are not (the two look alike).
    pub count_below: Option<u32>,
    pub rows: Vec<KpiRowAnswer>,
}

/// One month of a trend.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrendMonth {
    pub month: String,
    /// Fewer incidents than the count floor for this caller: the figures are left out
    /// (zeros), as a KPI table leaves such an area out.
    pub suppressed: bool,
    #[serde(flatten)]
    pub kpis: KpiRowAnswer,
}

/// `/api/kpi/trend`: the district's (or one area's) KPIs month by month, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TrendAnswer {
    /// `district`, or the street or community asked for.
    pub area: String,
    pub months: Vec<TrendMonth>,
}

/// A category of the index with its weight.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndexCategory {
    pub code: String,
    pub zh: String,
    pub weight: f64,
}

/// An item of the index (a taxonomy code) and its category.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndexItem {
    pub code: String,
    pub category: String,
    pub zh: String,
}

/// One area's index.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndexRowAnswer {
    pub area: String,
    pub households: u64,
    /// 100 = the district, per 1,000 households.
    pub index: Option<f64>,
    pub previous: Option<f64>,
    pub change: Option<f64>,
    pub rank: Option<usize>,
    pub category_scores: Vec<Option<f64>>,
    /// Counts per item; counts below `min_count` (none included) are not published (null):
    /// an empty item looks like one of 1 or 2.
    pub counts: Vec<Option<u64>>,
}

/// `/api/index`: the social-condition index of a month per area, with its digests.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndexAnswer {
    pub month: String,
    pub by: String,
    pub categories: Vec<IndexCategory>,
    pub items: Vec<IndexItem>,
    pub min_count: u64,
    pub rows: Vec<IndexRowAnswer>,
    pub inputs_sha256: String,
    pub results_sha256: String,
    pub params_sha256: String,
}

impl IndexAnswer {
    /// The answer of a computed index (small counts withheld).
    pub fn new(run: &IndexRun, p: &IndexParams, level: Level) -> Self {
        Self {
            month: run.month.clone(),
            by: level.as_str().to_string(),
            categories: p
                .categories
                .iter()
                .map(|c| IndexCategory {
                    code: c.code.clone(),
                    zh: c.zh.clone(),
                    weight: c.weight,
                })
                .collect(),
            items: p
                .items
                .iter()
                .map(|i| IndexItem {
                    code: i.code.clone(),
                    category: i.category.clone(),
                    zh: i.zh.clone(),
                })
                .collect(),
            min_count: p.min_count,
            rows: run
                .rows
                .iter()
                .map(|r| IndexRowAnswer {
                    area: r.area.clone(),
                    households: r.households,
                    index: r.index,
                    previous: r.previous,
                    change: r.change(),
                    rank: r.rank,
                    category_scores: r.category_scores.clone(),
                    counts: r
                        .counts
                        .iter()
                        .map(|&n| (n >= p.min_count.max(1)).then_some(n))
                        .collect(),
                })
                .collect(),
            inputs_sha256: run.inputs_sha256.clone(),
            results_sha256: run.results_sha256.clone(),
            params_sha256: run.params_sha256.clone(),
        }
    }
}
