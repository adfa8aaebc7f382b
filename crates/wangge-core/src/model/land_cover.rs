use geo_types::MultiPolygon;

/// An area of the basemap: water, green space or other land use (from OpenStreetMap).
#[derive(Debug, Clone, PartialEq)]
pub struct LandCover {
    pub key: String,
    /// `water`, `green` or `landuse`.
    pub class: String,
    /// The tag value it came from (`water`, `park`, `forest`, `commercial`, ...).
    pub kind: String,
    pub name: Option<String>,
    pub geometry: MultiPolygon<f64>,
}

impl LandCover {
    /// The class of an OSM area from its tags (`None`: not a basemap area).
    pub fn classify<'a>(tag: impl Fn(&str) -> Option<&'a str>) -> Option<(&'static str, &'a str)> {
        if let Some(v) = tag("natural").filter(|v| matches!(*v, "water" | "bay" | "wetland")) {
            return Some(("water", v));
        }
        if let Some(v) = tag("waterway").filter(|v| matches!(*v, "riverbank" | "dock" | "canal")) {
            return Some(("water", v));
        }
        if let Some(v) = tag("landuse").filter(|v| matches!(*v, "reservoir" | "basin")) {
            return Some(("water", v));
        }
        if let Some(v) = tag("leisure").filter(|v| {
            matches!(
                *v,
                "park" | "garden" | "pitch" | "playground" | "nature_reserve"
            )
        }) {
            return Some(("green", v));
        }
        if let Some(v) = tag("natural").filter(|v| matches!(*v, "wood" | "scrub" | "grassland")) {
            return Some(("green", v));
        }
        if let Some(v) = tag("landuse") {
            let class = match v {
                "grass" | "forest" | "meadow" | "recreation_ground" | "village_green"
                | "cemetery" | "allotments" | "orchard" => "green",
                _ => "landuse",
            };
            return Some((class, v));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osm_tags_are_classified() {
        let t = |k: &'static str, v: &'static str| move |key: &str| (key == k).then_some(v);
        assert_eq!(
            LandCover::classify(t("natural", "water")),
            Some(("water", "water"))
        );
        assert_eq!(
            LandCover::classify(t("leisure", "park")),
            Some(("green", "park"))
        );
        assert_eq!(
            LandCover::classify(t("landuse", "forest")),
            Some(("green", "forest"))
        );
        assert_eq!(
            LandCover::classify(t("landuse", "residential")),
            Some(("landuse", "residential"))
        );
        assert_eq!(LandCover::classify(t("building", "yes")), None);
    }
}
