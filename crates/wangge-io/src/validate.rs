//! Geometry checks on user input, after reading and before conversion: coordinate ranges,
//! swapped axes, projected coordinates without a CRS, self-intersections.

use geo::{CoordsIter, Validation};
use geo_types::{Coord, Geometry};

/// Checks coordinates in the source CRS before transformation. `lonlat` says whether the
/// source CRS is longitude/latitude degrees.
pub fn source_coords(g: &Geometry<f64>, lonlat: bool, crs_given: bool) -> Result<(), String> {
    if !lonlat {
        return Ok(());
    }
    for c in g.coords_iter() {
        check_lonlat(c, crs_given)?;
    }
    Ok(())
}

fn check_lonlat(c: Coord<f64>, crs_given: bool) -> Result<(), String> {
    let Coord { x, y } = c;
    let in_range = (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y);
    // (lat, lon) in China: x in 3..54 (a latitude) and y in 73..136 (a longitude).
    let looks_swapped_china = (3.0..=54.0).contains(&x) && (73.0..=136.0).contains(&y);
    if looks_swapped_china
        || (!in_range && (-90.0..=90.0).contains(&x) && (-180.0..=180.0).contains(&y))
    {
        return Err(format!(
            "coordinates ({x}, {y}) look like (latitude, longitude); expected (longitude, latitude): swap the columns or fields"
        ));
    }
    if !in_range {
        let hint = if crs_given {
            "outside the valid range of longitude/latitude".to_string()
        } else {
            "are not longitude/latitude degrees and the file names no CRS: give --crs (e.g. --crs EPSG:4547)".to_string()
        };
        return Err(format!("coordinates ({x}, {y}) {hint}"));
    }
    Ok(())
}

/// Repairs an invalid polygon or multipolygon by resolving it through a boolean union
/// (self-intersections become separate parts, overlapping parts merge). `None` when the
/// geometry is no polygon or stays invalid.
pub fn repair(g: &Geometry<f64>) -> Option<Geometry<f64>> {
    use geo::BooleanOps;
    use geo_types::MultiPolygon;
    let mp = match g {
        Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
        Geometry::MultiPolygon(m) => m.clone(),
        _ => return None,
    };
    let fixed = mp.union(&MultiPolygon::<f64>(vec![]));
    (!fixed.0.is_empty() && crate::validity::is_valid(&fixed))
        .then_some(Geometry::MultiPolygon(fixed))
}

/// Checks a geometry after transformation to WGS84: polygons must be valid (no
/// self-intersections, holes inside shells).
pub fn geometry(g: &Geometry<f64>) -> Result<(), String> {
    if g.coords_count() == 0 {
        return Err("empty geometry".into());
    }
    // Polygons in O(n log n) of their vertices (crate::validity); geo's own check is
    // quadratic in the vertices of a ring.
    let problems: Vec<String> = match g {
        Geometry::Polygon(p) => crate::validity::polygon_problem(p).into_iter().collect(),
        Geometry::MultiPolygon(p) => crate::validity::multipolygon_problem(p)
            .into_iter()
            .collect(),
        Geometry::LineString(l) => l
            .validation_errors()
            .iter()
            .map(ToString::to_string)
            .collect(),
        _ => vec![],
    };
    match problems.first() {
        None => Ok(()),
        Some(first) => Err(format!(
            "invalid geometry: {first} (--repair fixes polygons)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Point, polygon};

    #[test]
    fn swapped_axes_are_named() {
        let g = Geometry::Point(Point::new(32.04, 118.78));
        assert!(source_coords(&g, true, false).is_err_and(|e| e.contains("latitude, longitude")));
        let g = Geometry::Point(Point::new(118.78, 32.04));
        assert!(source_coords(&g, true, false).is_ok());
        let g = Geometry::Point(Point::new(500_000.0, 3_540_000.0));
        assert!(source_coords(&g, true, false).is_err_and(|e| e.contains("--crs")));
    }

    #[test]
    fn bow_tie_is_invalid_and_repairable() {
        use geo::Area;
        let p = polygon![(x: 0., y: 0.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 1.), (x: 0., y: 0.)];
        let g = Geometry::Polygon(p);
        assert!(geometry(&g).is_err_and(|e| e.contains("invalid geometry")));
        let fixed = repair(&g).expect("repairable");
        assert!(geometry(&fixed).is_ok());
        assert!((fixed.unsigned_area() - 0.5).abs() < 1e-9);
    }
}
