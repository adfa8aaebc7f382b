//! The quartic (biweight) kernel in the plane, K(d) = 3 / (π h²) · (1 − d²/h²)² for d < h,
//! which integrates to 1, and a density grid from weighted points.

/// A quartic kernel of radius `h` (in any unit; density comes out per unit²).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quartic {
    pub h: f64,
}

impl Quartic {
    /// Density at distance² `d2` from a point of weight 1.
    pub fn at(&self, d2: f64) -> f64 {
        let h2 = self.h * self.h;
        if d2 >= h2 {
            return 0.0;
        }
        let t = 1.0 - d2 / h2;
        3.0 / (std::f64::consts::PI * h2) * t * t
    }
}

/// Density on a `width` × `height` grid of unit cells (cell (i, j) centred at (i + 0.5,
/// j + 0.5)), from points in the same units with weights: Σ w · K(distance). Points outside
/// the grid contribute where their kernel reaches in, so neighbouring grids that are given the
/// same points meet without a seam.
pub fn density(
    points: &[([f64; 2], f64)],
    kernel: Quartic,
    width: usize,
    height: usize,
) -> Vec<f64> {
    density_counts(points, kernel, width, height).0
}

/// Like [`density`], with the number of points whose kernel reaches each cell (one pass).
pub fn density_counts(
    points: &[([f64; 2], f64)],
    kernel: Quartic,
    width: usize,
    height: usize,
) -> (Vec<f64>, Vec<u32>) {
    let mut out = vec![0.0; width * height];
    let mut counts = vec![0u32; width * height];
    let h = kernel.h;
    for &([px, py], w) in points {
        let x0 = ((px - h - 0.5).floor().max(0.0)) as usize;
        let y0 = ((py - h - 0.5).floor().max(0.0)) as usize;
        let x1 = ((px + h - 0.5).ceil().max(-1.0) + 1.0).min(width as f64) as usize;
        let y1 = ((py + h - 0.5).ceil().max(-1.0) + 1.0).min(height as f64) as usize;
        for j in y0..y1 {
            let dy = j as f64 + 0.5 - py;
            for i in x0..x1 {
                let dx = i as f64 + 0.5 - px;
                let k = kernel.at(dx * dx + dy * dy);
                if k > 0.0 {
                    out[j * width + i] += w * k;
                    counts[j * width + i] += 1;
                }
            }
        }
    }
    (out, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_integrates_to_one() {
        for h in [3.0, 10.0, 37.5] {
            let k = Quartic { h };
            // Midpoint rule on a fine grid around the point.
            let step = h / 200.0;
            let n = (2.0 * h / step) as i64 + 2;
            let mut sum = 0.0;
            for j in -n / 2..=n / 2 {
                for i in -n / 2..=n / 2 {
                    let (x, y) = ((i as f64 + 0.5) * step, (j as f64 + 0.5) * step);
                    sum += k.at(x * x + y * y) * step * step;
                }
            }
            assert!((sum - 1.0).abs() < 1e-3, "h {h}: {sum}");
        }
    }

    #[test]
    fn the_grid_holds_the_mass_of_points_well_inside() {
        let k = Quartic { h: 8.0 };
        let g = density(&[([32.0, 32.0], 2.0), ([20.3, 40.7], 1.0)], k, 64, 64);
        let mass: f64 = g.iter().sum();
        assert!((mass - 3.0).abs() < 0.02, "{mass}");
        // A point beyond the edge still reaches in; one further away does not.
        let near = density(&[([-3.0, 10.0], 1.0)], k, 64, 64);
        assert!(near.iter().sum::<f64>() > 0.0);
        let far = density(&[([-9.0, 10.0], 1.0)], k, 64, 64);
        assert_eq!(far.iter().sum::<f64>(), 0.0);
    }
}
