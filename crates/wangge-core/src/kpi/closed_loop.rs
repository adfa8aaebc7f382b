//! Closed-loop KPIs per area and month: 立案率 (filed), 派遣率 (dispatched), 结案率 (closed),
//! 按期结案率 (closed on time), 返工率 (rework), 延期率 (extended), overdue cases and the
//! median hours of each step. Definitions in docs/kpi.md; every figure is a count over the
//! cases reported in the month, with their steps as of a fixed moment (`asof`), so the same
//! store and parameters give the same numbers whenever they are computed.

use super::limits::TimeLimits;
use crate::Timestamp;
use crate::timestamp::{civil_from_days, days_from_civil};
use std::collections::BTreeMap;

/// One incident as the KPIs see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub key: String,
    pub time: Timestamp,
    pub category: String,
    pub source: String,
    pub community: Option<String>,
    pub grid: Option<String>,
    pub street: Option<String>,
    /// When it was dispatched, handled, followed up, closed (the latest of each).
    pub steps: [Option<Timestamp>; 4],
    /// Times it went back from follow-up to dispatch.
    pub reworks: u32,
    /// Hours of deadline extension granted.
    pub extension_h: f64,
    /// The resident's evaluation recorded at closing (评价), the latest if several.
    pub evaluation: Option<Evaluation>,
    /// The department and worker it was last assigned to (派遣), by code and id.
    pub department: Option<String>,
    pub worker: Option<String>,
}

/// The evaluation of a closed case (评价结案): 满意, 基本满意, 不满意.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Evaluation {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

impl Evaluation {
    pub const ALL: [Self; 3] = [
        Self::Satisfied,
        Self::BasicallySatisfied,
        Self::Dissatisfied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Satisfied => "satisfied",
            Self::BasicallySatisfied => "basically_satisfied",
            Self::Dissatisfied => "dissatisfied",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Self::Satisfied => "满意",
            Self::BasicallySatisfied => "基本满意",
            Self::Dissatisfied => "不满意",
        }
    }

    /// From its code or Chinese name (trimmed: what a client sends).
    pub fn parse(text: &str) -> Option<Self> {
        Self::exact(text.trim())
    }

    /// From exactly its code or Chinese name (what a stored event holds).
    pub fn exact(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == text || e.zh() == text)
    }
}

/// The level figures are grouped at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Grid,
    Community,
    Street,
    District,
    /// The department a case was last assigned to.
    Department,
    /// The worker a case was last assigned to.
    Worker,
}

impl Level {
    /// Every level, areas from the smallest, then the register's.
    pub const ALL: [Self; 6] = [
        Self::Grid,
        Self::Community,
        Self::Street,
        Self::District,
        Self::Department,
        Self::Worker,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "grid" => Self::Grid,
            "community" => Self::Community,
            "street" => Self::Street,
            "district" => Self::District,
            "department" => Self::Department,
            "worker" => Self::Worker,
            _ => return None,
        })
    }

    /// A level of areas (grid, community, street, district), which have households and
    /// places; department and worker are levels of who handles cases.
    pub fn is_area(self) -> bool {
        !matches!(self, Self::Department | Self::Worker)
    }

    /// Like [`Level::parse`], areas only.
    pub fn parse_area(s: &str) -> Option<Self> {
        Self::parse(s).filter(|l| l.is_area())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grid => "grid",
            Self::Community => "community",
            Self::Street => "street",
            Self::District => "district",
            Self::Department => "department",
            Self::Worker => "worker",
        }
    }

    /// The case's area at this level.
    pub fn area_of(self, c: &Case) -> Option<&str> {
        match self {
            Self::Grid => c.grid.as_deref(),
            Self::Community => c.community.as_deref(),
            Self::Street => c.street.as_deref(),
            Self::District => Some("district"),
            Self::Department => c.department.as_deref(),
            Self::Worker => c.worker.as_deref(),
        }
    }
}

/// Local (UTC+8) month `YYYY-MM` of a time.
pub fn month_of(t: Timestamp) -> String {
    let local = t.unix() + 8 * 3600;
    let days = local.div_euclid(86_400);
    let (y, m, _) = civil_from_days(days);
    format!("{y:04}-{m:02}")
}

/// The first instant (UTC) of a local month `YYYY-MM`, and of the next month.
pub fn month_range(month: &str) -> Option<(Timestamp, Timestamp)> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
    if !(1..=12).contains(&m) || !(1970..=9999).contains(&y) || month.len() != 7 {
        return None;
    }
    let start = days_from_civil(y, m, 1) * 86_400 - 8 * 3600;
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let end = days_from_civil(ny, nm, 1) * 86_400 - 8 * 3600;
    Some((Timestamp::from_unix(start), Timestamp::from_unix(end)))
}

/// The month before `YYYY-MM`.
pub fn previous_month(month: &str) -> Option<String> {
    let (start, _) = month_range(month)?;
    Some(month_of(Timestamp::from_unix(start.unix() - 1)))
}

/// Counts and medians of one area in one month.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KpiRow {
    pub area: String,
    pub reported: u64,
    pub filed: u64,
    pub dispatched: u64,
    pub closed: u64,
    pub closed_on_time: u64,
    pub reworked: u64,
    pub extended: u64,
    /// Filed, not closed as of `asof`, and past the deadline of the step they are in.
    pub overdue: u64,
    /// Median hours of dispatch, handling, follow-up and closing.
    pub median_h: [Option<f64>; 4],
    /// Closed cases by their evaluation: satisfied, basically satisfied, dissatisfied.
    pub evaluations: [u64; 3],
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

impl KpiRow {
    /// 立案率: filed ÷ reported.
    pub fn filed_rate(&self) -> Option<f64> {
        ratio(self.filed, self.reported)
    }
    /// 派遣率: dispatched ÷ filed.
    pub fn dispatch_rate(&self) -> Option<f64> {
        ratio(self.dispatched, self.filed)
    }
    /// 结案率: closed ÷ filed.
    pub fn closure_rate(&self) -> Option<f64> {
        ratio(self.closed, self.filed)
    }
    /// 按期结案率: closed within the time limits (plus extensions) ÷ closed.
    pub fn on_time_rate(&self) -> Option<f64> {
        ratio(self.closed_on_time, self.closed)
    }
    /// 返工率: reworked at least once ÷ closed.
    pub fn rework_rate(&self) -> Option<f64> {
        ratio(self.reworked, self.closed)
    }
    /// 延期率: extended ÷ filed.
    pub fn extension_rate(&self) -> Option<f64> {
        ratio(self.extended, self.filed)
    }
    /// 满意率: satisfied or basically satisfied ÷ evaluated closed cases.
    pub fn satisfaction_rate(&self) -> Option<f64> {
        let [s, b, d] = self.evaluations;
        ratio(s + b, s + b + d)
    }
    /// 千户事件数: reported per 1,000 households of the area (none without households).
    pub fn per_1000_households(&self, households: Option<u64>) -> Option<f64> {
        ratio(self.reported * 1000, households?)
    }
}

/// A case counts as filed (立案) when its category is a recognised one (not `other`) and it lies
/// in a community of the district, so a responsible grid or community can take it.
pub fn is_filed(c: &Case) -> bool {
    c.category != "other" && c.community.is_some()
}

/// The case's steps as known at `asof` (later ones not yet happened).
fn steps_at(c: &Case, asof: Timestamp) -> [Option<Timestamp>; 4] {
    c.steps.map(|s| s.filter(|t| *t <= asof))
}

/// Whether a closed case was closed within its limits.
pub fn on_time(c: &Case, limits: &TimeLimits) -> Option<bool> {
    let closed = c.steps[3]?;
    let allowed: f64 = limits.of(&c.category).iter().sum::<f64>() + c.extension_h;
    Some(((closed.unix() - c.time.unix()) as f64) <= allowed * 3600.0)
}

/// The deadline of the step a case is in at `asof`: its report time plus the limits of the
/// steps up to and including that one, plus extensions (`None` once closed). What the case
/// desk sorts and colours by, and what [`overdue`] compares with.
pub fn deadline(c: &Case, limits: &TimeLimits, asof: Timestamp) -> Option<Timestamp> {
    let steps = steps_at(c, asof);
    if steps[3].is_some() {
        return None;
    }
    let l = limits.of(&c.category);
    let current = steps.iter().position(Option::is_none).unwrap_or(3);
    let allowed: f64 = l[..=current].iter().sum::<f64>() + c.extension_h;
    Some(Timestamp::from_unix(
        c.time.unix() + (allowed * 3600.0).floor() as i64,
    ))
}

/// How close a case is to the deadline of its step: what the case desk colours by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Past the deadline.
    Overdue,
    /// A quarter of the step's own time or less left (at least one hour).
    DueSoon,
    OnTrack,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Overdue => "overdue",
            Self::DueSoon => "due_soon",
            Self::OnTrack => "on_track",
        }
    }
}

/// The urgency of a case not closed at `asof` (`None` once closed), against [`deadline`].
pub fn urgency(c: &Case, limits: &TimeLimits, asof: Timestamp) -> Option<Urgency> {
    let due = deadline(c, limits, asof)?;
    if overdue(c, limits, asof) {
        return Some(Urgency::Overdue);
    }
    let steps = steps_at(c, asof);
    let current = steps.iter().position(Option::is_none).unwrap_or(3);
    let step_h = limits.of(&c.category)[current];
    let left_h = (due.unix() - asof.unix()) as f64 / 3600.0;
    Some(if left_h <= (step_h / 4.0).max(1.0) {
        Urgency::DueSoon
    } else {
        Urgency::OnTrack
    })
}

/// Whether a case not closed at `asof` is past the deadline of the step it is in.
pub fn overdue(c: &Case, limits: &TimeLimits, asof: Timestamp) -> bool {
    if asof < c.time {
        return false;
    }
    deadline(c, limits, asof).is_some_and(|d| asof > d)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// KPIs of the cases reported in `month` at `level`, steps as of `asof`; the district row
/// first when `level` is `District`, otherwise one row per area, by area.
pub fn kpis(
    cases: &[Case],
    month: &str,
    level: Level,
    limits: &TimeLimits,
    asof: Timestamp,
) -> Vec<KpiRow> {
    let Some((start, end)) = month_range(month) else {
        return Vec::new();
    };
    let mut groups: BTreeMap<&str, (KpiRow, [Vec<f64>; 4])> = BTreeMap::new();
    for c in cases.iter().filter(|c| c.time >= start && c.time < end) {
        let Some(area) = level.area_of(c) else {
            continue;
        };
        let (row, durations) = groups.entry(area).or_insert_with(|| {
            (
                KpiRow {
                    area: area.to_string(),
                    ..KpiRow::default()
                },
                Default::default(),
            )
        });
        row.reported += 1;
        if !is_filed(c) {
            continue;
        }
        row.filed += 1;
        let known = Case {
            steps: steps_at(c, asof),
            ..c.clone()
        };
        row.dispatched += u64::from(known.steps[0].is_some());
        if known.steps[3].is_some() {
            row.closed += 1;
            row.closed_on_time += u64::from(on_time(&known, limits) == Some(true));
            row.reworked += u64::from(c.reworks > 0);
            if let Some(e) = c.evaluation {
                row.evaluations[e as usize] += 1;
            }
        }
        row.extended += u64::from(c.extension_h > 0.0);
        row.overdue += u64::from(overdue(c, limits, asof));
        let mut prev = Some(c.time);
        for (i, s) in known.steps.iter().enumerate() {
            if let (Some(a), Some(b)) = (prev, *s) {
                durations[i].push((b.unix() - a.unix()) as f64 / 3600.0);
            }
            prev = *s;
        }
    }
    groups
        .into_values()
        .map(|(mut row, durations)| {
            row.median_h = durations.map(median);
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s, 8 * 3600).expect("time")
    }

    #[test]
    fn deadlines_follow_the_step_and_extensions() {
        let limits = TimeLimits::builtin();
        let l = limits.of("0101");
        let reported = t("2026-11-02 08:00");
        let mut c = Case {
            key: "A".into(),
            time: reported,
            category: "0101".into(),
            source: "hotline".into(),
            community: Some("C".into()),
            grid: None,
            street: None,
            steps: [None; 4],
            reworks: 0,
            extension_h: 0.0,
            evaluation: None,
            department: None,
            worker: None,
        };
        let at = |h: f64| Timestamp::from_unix(reported.unix() + (h * 3600.0) as i64);
        assert_eq!(deadline(&c, &limits, reported), Some(at(l[0])));
        // The default limits: 2 hours to dispatch, so 2 hours left is on track.
        assert_eq!(urgency(&c, &limits, reported), Some(Urgency::OnTrack));
        assert_eq!(
            urgency(&c, &limits, at(l[0] + 0.01)),
            Some(Urgency::Overdue)
        );
        // Dispatched: the handling limit is added; an extension moves the deadline.
        c.steps[0] = Some(at(0.5));
        c.extension_h = 10.0;
        assert_eq!(deadline(&c, &limits, at(1.0)), Some(at(l[0] + l[1] + 10.0)));
        assert_eq!(
            urgency(&c, &limits, at(l[0] + l[1] + 9.5)),
            Some(Urgency::DueSoon)
        );
        c.steps = [Some(at(0.5)), Some(at(1.0)), Some(at(2.0)), Some(at(3.0))];
        assert_eq!(deadline(&c, &limits, at(4.0)), None);
        assert_eq!(urgency(&c, &limits, at(4.0)), None);
    }

    #[test]
    fn months_are_local_and_wrap_years() {
        assert_eq!(month_of(t("2026-10-31 23:59")), "2026-10");
        assert_eq!(month_of(t("2026-11-01 00:00")), "2026-11");
        let (a, b) = month_range("2026-12").expect("month");
        assert_eq!(a, t("2026-12-01 00:00"));
        assert_eq!(b, t("2027-01-01 00:00"));
        assert_eq!(previous_month("2026-01").as_deref(), Some("2025-12"));
        assert!(month_range("2026-13").is_none());
        assert!(month_range("26-1").is_none());
    }
}
