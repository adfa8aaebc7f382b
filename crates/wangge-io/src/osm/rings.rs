//! Multipolygon assembly: member ways are joined end to end into closed rings, inner rings
//! are assigned to the outer ring that contains them.

use geo::Contains;
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

/// Joins open coordinate sequences into closed rings; `None` if any cannot be closed
/// (a member is missing from the extract).
pub fn close_rings(mut parts: Vec<Vec<Coord<f64>>>) -> Option<Vec<LineString<f64>>> {
    let mut rings = Vec::new();
    while let Some(mut ring) = parts.pop() {
        loop {
            if ring.len() >= 4 && ring.first() == ring.last() {
                break;
            }
            let end = *ring.last()?;
            let next = parts
                .iter()
                .position(|p| p.first() == Some(&end) || p.last() == Some(&end))?;
            let mut p = parts.swap_remove(next);
            if p.first() != Some(&end) {
                p.reverse();
            }
            ring.extend(p.into_iter().skip(1));
        }
        rings.push(LineString(ring));
    }
    Some(rings)
}

/// Builds a multipolygon from outer and inner rings; `None` when the result is not valid.
pub fn multipolygon(
    outers: Vec<LineString<f64>>,
    inners: Vec<LineString<f64>>,
) -> Option<MultiPolygon<f64>> {
    let mut polys: Vec<(Polygon<f64>, Vec<LineString<f64>>)> = outers
        .into_iter()
        .map(|o| (Polygon::new(o, vec![]), vec![]))
        .collect();
    for inner in inners {
        let probe = inner.0.first().copied()?;
        if let Some((_, holes)) = polys.iter_mut().find(|(p, _)| p.contains(&probe)) {
            holes.push(inner);
        }
    }
    let mp = MultiPolygon(
        polys
            .into_iter()
            .map(|(p, holes)| Polygon::new(p.into_inner().0, holes))
            .collect(),
    );
    (!mp.0.is_empty() && crate::validity::is_valid(&mp)).then_some(mp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    #[test]
    fn joins_reversed_parts() {
        let parts = vec![
            vec![c(0., 0.), c(1., 0.)],
            vec![c(1., 1.), c(1., 0.)],
            vec![c(1., 1.), c(0., 1.), c(0., 0.)],
        ];
        let rings = close_rings(parts).expect("closable");
        assert_eq!(rings.len(), 1);
        assert_eq!(rings[0].0.len(), 5);
        assert!(close_rings(vec![vec![c(0., 0.), c(1., 0.)]]).is_none());
    }
}
