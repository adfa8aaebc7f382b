use crate::{Error, Result, Timestamp};
use geo_types::Geometry;

/// A city component (部件) put into the grid: a manhole cover, street lamp, bin, hydrant, bench.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub key: String,
    /// The subclass code of the component catalogue (`0102`: major class 01, subclass 02).
    pub class: String,
    pub status: ComponentStatus,
    /// The department that owns and maintains it (权属单位).
    pub owner: Option<String>,
    /// When it was last inspected.
    pub inspected: Option<Timestamp>,
    pub name: Option<String>,
    /// The source's own type text (`man_made=manhole manhole=sewer`, `污水井盖`).
    pub source_kind: String,
    /// A point, or a line for linear components (railings, kerbs); WGS84.
    pub geometry: Geometry<f64>,
}

/// A component's state (部件状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum ComponentStatus {
    /// 完好
    #[default]
    Intact,
    /// 损坏
    Damaged,
    /// 丢失
    Missing,
    /// 占用
    Occupied,
}

impl ComponentStatus {
    pub const ALL: [Self; 4] = [Self::Intact, Self::Damaged, Self::Missing, Self::Occupied];

    /// The code the store and the API use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intact => "intact",
            Self::Damaged => "damaged",
            Self::Missing => "missing",
            Self::Occupied => "occupied",
        }
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Intact => "完好",
            Self::Damaged => "损坏",
            Self::Missing => "丢失",
            Self::Occupied => "占用",
        }
    }

    /// A status from its code or Chinese name (trimmed, any case); empty is intact.
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim().to_lowercase();
        if t.is_empty() {
            return Ok(Self::Intact);
        }
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == t || s.zh() == t)
            .ok_or_else(|| Error::Enum {
                what: "component status",
                value: text.to_string(),
                expected: "intact/完好, damaged/损坏, missing/丢失, occupied/占用",
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_from_codes_and_chinese_names() {
        for s in ComponentStatus::ALL {
            assert_eq!(ComponentStatus::parse(s.as_str()), Ok(s));
            assert_eq!(ComponentStatus::parse(&format!(" {} ", s.zh())), Ok(s));
        }
        assert_eq!(ComponentStatus::parse(""), Ok(ComponentStatus::Intact));
        assert!(ComponentStatus::parse("broken-ish").is_err());
    }
}
