//! Household estimates for buildings without given counts: footprint area (m², local
//! projection) × storeys ÷ gross floor area per dwelling, with defaults per building kind.
//! The defaults are documented in `docs/household-estimates.md`; change both together.

/// Parameters of the estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EstimateParams {
    /// Gross floor area per dwelling, shared areas included (m²). China's urban average
    /// of new homes is about 90 m².
    pub dwelling_m2: f64,
    /// Storeys of a walk-up (多层) slab when none are tagged.
    pub walkup_levels: u32,
    /// Storeys of a point tower (高层) when none are tagged.
    pub tower_levels: u32,
    /// Storeys of a small residential building (< `small_m2`) when none are tagged.
    pub small_levels: u32,
    /// Footprints below this are small houses or sheds.
    pub small_m2: f64,
}

impl Default for EstimateParams {
    fn default() -> Self {
        Self {
            dwelling_m2: 90.0,
            walkup_levels: 6,
            tower_levels: 18,
            small_levels: 2,
            small_m2: 120.0,
        }
    }
}

/// What kind of use a building tag implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Multi-dwelling residential (apartments, residential, dormitory).
    Flats,
    /// One household per building (house, detached, villa).
    House,
    /// Two households (semidetached_house).
    SemiDetached,
    /// `building=yes` and friends: residential only inside residential land use.
    Unknown,
    /// Non-residential.
    None,
}

/// Classifies an OSM `building=*` value.
pub fn classify(kind: &str) -> Use {
    match kind {
        "apartments" | "residential" | "dormitory" | "terrace" => Use::Flats,
        "house" | "detached" | "villa" | "bungalow" | "farm" | "cabin" | "static_caravan" => {
            Use::House
        }
        "semidetached_house" => Use::SemiDetached,
        "yes" | "building" => Use::Unknown,
        _ => Use::None,
    }
}

/// The result of an estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub levels: u32,
    pub households: u32,
}

/// Estimates households. `compactness` is the footprint's Polsby-Popper score (4πA/P²):
/// compact mid-size footprints without levels are taken as point towers, slabs as walk-ups.
/// `residential_area` tells whether the building stands in residential land use (decides
/// `building=yes`).
pub fn estimate(
    params: &EstimateParams,
    kind: &str,
    levels_given: Option<u32>,
    footprint_m2: f64,
    compactness: f64,
    residential_area: bool,
) -> Estimate {
    let use_ = match classify(kind) {
        Use::Unknown if residential_area => Use::Flats,
        Use::Unknown => Use::None,
        u => u,
    };
    let default_levels = if footprint_m2 < params.small_m2 {
        params.small_levels
    } else if (300.0..=1500.0).contains(&footprint_m2) && compactness >= 0.65 {
        params.tower_levels
    } else {
        params.walkup_levels
    };
    let levels = levels_given.unwrap_or(match use_ {
        Use::House | Use::SemiDetached => 2,
        _ => default_levels,
    });
    let households = match use_ {
        Use::None => 0,
        Use::House => 1,
        Use::SemiDetached => 2,
        Use::Flats | Use::Unknown => {
            let gfa = footprint_m2.max(0.0) * f64::from(levels);
            ((gfa / params.dwelling_m2).round() as u32).max(1)
        }
    };
    Estimate { levels, households }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walkup_slab_and_tower() {
        let p = EstimateParams::default();
        // 60 m x 12 m slab, compactness ~0.45: 6 floors, 720*6/90 = 48 households.
        let e = estimate(&p, "apartments", None, 720.0, 0.45, false);
        assert_eq!(
            e,
            Estimate {
                levels: 6,
                households: 48
            }
        );
        // 28 m x 22 m tower, compactness ~0.77: 18 floors, 616*18/90 = 123.
        let e = estimate(&p, "residential", None, 616.0, 0.77, false);
        assert_eq!(
            e,
            Estimate {
                levels: 18,
                households: 123
            }
        );
        // Given levels win.
        let e = estimate(&p, "apartments", Some(33), 616.0, 0.77, false);
        assert_eq!(e.levels, 33);
    }

    #[test]
    fn building_yes_depends_on_land_use() {
        let p = EstimateParams::default();
        assert_eq!(estimate(&p, "yes", None, 720.0, 0.45, false).households, 0);
        assert_eq!(estimate(&p, "yes", None, 720.0, 0.45, true).households, 48);
        assert_eq!(
            estimate(&p, "school", None, 720.0, 0.45, true).households,
            0
        );
        assert_eq!(estimate(&p, "house", None, 150.0, 0.7, false).households, 1);
    }
}
