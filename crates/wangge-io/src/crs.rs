//! Source coordinate reference systems: any EPSG code through PROJ, plus GCJ-02 and BD-09
//! (which PROJ does not know). Everything is converted to WGS84 lon/lat for storage.

use crate::{Error, Result};
use geo_types::Coord;
use proj::Proj;
use wangge_core::china_offsets;

/// A coordinate reference system named on the command line or in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrsSpec {
    /// EPSG:4326 / OGC CRS84: stored as is.
    Wgs84,
    /// Any other EPSG code, through PROJ.
    Epsg(u32),
    /// GCJ-02 (AMap, Tencent).
    Gcj02,
    /// BD-09 (Baidu).
    Bd09,
    /// A WKT definition (a Shapefile's .prj), through PROJ.
    Wkt(String),
}

impl CrsSpec {
    /// Parses `EPSG:4547`, `4547`, `gcj02`, `bd09`, `wgs84`, `urn:ogc:def:crs:EPSG::4490`,
    /// `urn:ogc:def:crs:OGC:1.3:CRS84`.
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim().to_ascii_lowercase();
        let bad = || Error::Crs {
            crs: text.to_string(),
            message: "expected EPSG:<code>, gcj02 or bd09".into(),
        };
        match t.as_str() {
            "gcj02" | "gcj-02" | "gcj" => return Ok(Self::Gcj02),
            "bd09" | "bd-09" | "bd09ll" | "baidu" => return Ok(Self::Bd09),
            "wgs84" | "crs84" | "urn:ogc:def:crs:ogc:1.3:crs84" | "urn:ogc:def:crs:ogc::crs84" => {
                return Ok(Self::Wgs84);
            }
            _ => {}
        }
        let code = t
            .strip_prefix("epsg:")
            .or_else(|| t.strip_prefix("urn:ogc:def:crs:epsg::"))
            .or_else(|| t.strip_prefix("urn:ogc:def:crs:epsg:"))
            .unwrap_or(&t);
        let code = code.rsplit(':').next().unwrap_or(code);
        let code: u32 = code.parse().map_err(|_| bad())?;
        Ok(if code == 4326 {
            Self::Wgs84
        } else {
            Self::Epsg(code)
        })
    }

    /// Display name.
    pub fn name(&self) -> String {
        match self {
            Self::Wgs84 => "EPSG:4326".into(),
            Self::Epsg(c) => format!("EPSG:{c}"),
            Self::Gcj02 => "GCJ-02".into(),
            Self::Bd09 => "BD-09".into(),
            Self::Wkt(w) => format!("WKT {}", w.chars().take(60).collect::<String>()),
        }
    }

    /// True when the CRS has lon/lat degrees as axes (used for the swapped-axes check).
    pub fn is_geographic_lonlat(&self) -> bool {
        matches!(self, Self::Wgs84 | Self::Gcj02 | Self::Bd09)
    }
}

/// A transformation from a source CRS to WGS84 lon/lat.
pub struct ToWgs84 {
    spec: CrsSpec,
    proj: Option<Proj>,
    geographic: bool,
    /// Where the CRS may be used, lon/lat degrees (west, south, east, north), and its name.
    area: Option<((f64, f64, f64, f64), String)>,
}

/// China's bounds (lon/lat degrees, with a margin): a CRS made for China (CGCS2000 and its
/// Gauss-Krüger zones, GCJ-02, BD-09) puts nothing outside them.
const CHINA: (f64, f64, f64, f64) = (73.0, 3.0, 136.0, 54.0);

/// Slack around a CRS's area of use (degrees): features near a zone edge are fine.
const AREA_SLACK_DEG: f64 = 1.0;

/// EPSG codes of CGCS2000 (geographic 4490, Gauss-Krüger 3° and 6° zones 4491-4554).
fn is_chinese_epsg(code: u32) -> bool {
    code == 4490 || (4491..=4554).contains(&code)
}

impl std::fmt::Debug for ToWgs84 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToWgs84").field("spec", &self.spec).finish()
    }
}

/// Silences PROJ's own messages on stderr ("proj_create: crs not found" before our error):
/// every failure comes back to us and is reported with its cause.
fn quiet_proj() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: a null context is PROJ's default context, from which every context the proj
        // crate creates is copied; setting its log level once, before any of them exists,
        // touches no other state.
        #[allow(unsafe_code)]
        unsafe {
            proj_sys::proj_log_level(std::ptr::null_mut(), proj_sys::PJ_LOG_LEVEL_PJ_LOG_NONE);
        }
    });
}

impl ToWgs84 {
    /// Prepares the transformation; fails for codes PROJ does not know.
    pub fn new(spec: CrsSpec) -> Result<Self> {
        quiet_proj();
        let (proj, geographic, area) = match &spec {
            CrsSpec::Epsg(_) | CrsSpec::Wkt(_) => {
                let from = match &spec {
                    CrsSpec::Epsg(code) => format!("EPSG:{code}"),
                    CrsSpec::Wkt(w) => w.clone(),
                    _ => unreachable!("matched Epsg or Wkt above"),
                };
                let p = Proj::new_known_crs(&from, "EPSG:4326", None).map_err(|e| Error::Crs {
                    crs: spec.name(),
                    message: format!("PROJ does not know it ({e})"),
                })?;
                let crs = Proj::new(&from).ok();
                let geographic = crs
                    .as_ref()
                    .and_then(|p| p.proj_info().definition)
                    .is_some_and(|d| d.contains("longlat") || d.contains("latlong"));
                let area = crs.as_ref().and_then(|p| match p.area_of_use() {
                    Ok((Some(a), name)) if a.west.is_finite() && a.north.is_finite() => Some((
                        (a.west, a.south, a.east, a.north),
                        name.map_or_else(
                            || "its area of use".into(),
                            |n| n.trim_end_matches('.').to_string(),
                        ),
                    )),
                    _ => None,
                });
                (Some(p), geographic, area)
            }
            _ => (None, true, None),
        };
        let area = match (&spec, area) {
            (CrsSpec::Epsg(c), None) if is_chinese_epsg(*c) => Some((CHINA, "China".to_string())),
            (CrsSpec::Gcj02 | CrsSpec::Bd09, _) => Some((CHINA, "China".to_string())),
            (_, a) => a,
        };
        Ok(Self {
            spec,
            proj,
            geographic,
            area,
        })
    }

    /// Checks a converted position against where the CRS may be used (its PROJ area of use,
    /// China for Chinese CRSs, with a degree of slack); `source` is the coordinate as read,
    /// for the likely cause. None when it is fine.
    pub fn outside_area(&self, source: Coord<f64>, lonlat: Coord<f64>) -> Option<String> {
        let ((w, s, e, n), name) = self.area.as_ref()?;
        let lat_ok = lonlat.y >= s - AREA_SLACK_DEG && lonlat.y <= n + AREA_SLACK_DEG;
        let lon_ok = if w <= e {
            lonlat.x >= w - AREA_SLACK_DEG && lonlat.x <= e + AREA_SLACK_DEG
        } else {
            // Crosses the antimeridian.
            lonlat.x >= w - AREA_SLACK_DEG || lonlat.x <= e + AREA_SLACK_DEG
        };
        if lat_ok && lon_ok {
            return None;
        }
        let degrees = source.x.abs() <= 180.0 && source.y.abs() <= 90.0;
        let cause = if !self.geographic && degrees {
            let suggest = if self
                .area
                .as_ref()
                .is_some_and(|(b, _)| b.0 >= CHINA.0 - 1.0 && b.2 <= CHINA.2 + 1.0)
            {
                "EPSG:4490 (CGCS2000) or EPSG:4326"
            } else {
                "EPSG:4326"
            };
            format!(
                "these look like degrees, not metres: did you mean {suggest}? (or leave out --crs when the file says it)"
            )
        } else {
            "check the CRS given with --crs or named in the file".to_string()
        };
        Some(format!(
            "({}, {}) in {} is ({:.6}, {:.6}) in WGS84, outside {name} ({w:.1}..{e:.1} E, {s:.1}..{n:.1} N) where {} is used: {cause}",
            source.x,
            source.y,
            self.spec.name(),
            lonlat.x,
            lonlat.y,
            self.spec.name()
        ))
    }

    /// The source CRS.
    pub fn spec(&self) -> &CrsSpec {
        &self.spec
    }

    /// True when source coordinates are lon/lat degrees.
    pub fn source_is_geographic(&self) -> bool {
        self.geographic
    }

    /// Converts one coordinate.
    pub fn convert(&self, c: Coord<f64>) -> Result<Coord<f64>> {
        let (x, y) = match &self.spec {
            CrsSpec::Wgs84 => (c.x, c.y),
            CrsSpec::Gcj02 => china_offsets::gcj02_to_wgs84(c.x, c.y),
            CrsSpec::Bd09 => china_offsets::bd09_to_wgs84(c.x, c.y),
            CrsSpec::Epsg(_) | CrsSpec::Wkt(_) => match &self.proj {
                Some(p) => p.convert((c.x, c.y)).map_err(|e| Error::Crs {
                    crs: self.spec.name(),
                    message: format!("cannot transform ({}, {}): {e}", c.x, c.y),
                })?,
                None => (c.x, c.y),
            },
        };
        if !x.is_finite() || !y.is_finite() {
            return Err(Error::Crs {
                crs: self.spec.name(),
                message: format!("({}, {}) has no WGS84 position", c.x, c.y),
            });
        }
        Ok(Coord { x, y })
    }
}

/// The WKT of EPSG:4326 written into `gpkg_spatial_ref_sys`.
pub const WGS84_WKT: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_specs() -> Result<()> {
        assert_eq!(CrsSpec::parse("EPSG:4547")?, CrsSpec::Epsg(4547));
        assert_eq!(CrsSpec::parse("4326")?, CrsSpec::Wgs84);
        assert_eq!(
            CrsSpec::parse("urn:ogc:def:crs:EPSG::4490")?,
            CrsSpec::Epsg(4490)
        );
        assert_eq!(
            CrsSpec::parse("urn:ogc:def:crs:OGC:1.3:CRS84")?,
            CrsSpec::Wgs84
        );
        assert_eq!(CrsSpec::parse("GCJ02")?, CrsSpec::Gcj02);
        assert!(CrsSpec::parse("mars").is_err());
        Ok(())
    }
}
