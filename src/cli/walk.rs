//! What `wangge coverage`, `wangge siting` and `wangge what-if` share: walking options, the
//! catalogue, the network built from the workspace's streets, and the snapped facilities.

use anyhow::{Context, bail};
use std::path::PathBuf;
use wangge_app::walking::{WalkSettings, WalkingModel};
use wangge_core::walk::{Catalogue, MissingCategory, WalkSpeed};

/// Walking options.
#[derive(Debug, clap::Args)]
pub struct WalkOpts {
    /// Walking speed in km/h (default: the catalogue's, 4.0).
    #[arg(long, conflicts_with_all = ["elderly", "standard_distances"])]
    pub speed_kmh: Option<f64>,
    /// The elderly profile: the catalogue's elderly walking speed (3.3 km/h).
    #[arg(long, conflicts_with = "standard_distances")]
    pub elderly: bool,
    /// Use the standard's distance of each circle (300 / 500 / 1000 m) instead of a speed.
    #[arg(long)]
    pub standard_distances: bool,
    /// Life-circle catalogue (TOML; default: the built-in GB 50180-2018 one, data/catalogue.toml).
    #[arg(long)]
    pub catalogue: Option<PathBuf>,
    /// Points farther than this from every walkable way are not snapped (m).
    #[arg(long, default_value_t = 300.0)]
    pub max_snap_m: f64,
    /// Network components with fewer nodes are islands, reported and left out.
    #[arg(long, default_value_t = 10)]
    pub min_component: usize,
    /// No street network (e.g. Taipei's open data): estimate walks as the straight-line
    /// distance times --detour. `coverage` only; reported as an estimate.
    #[arg(long)]
    pub crow_fly: bool,
    /// Detour factor of walks over straight lines, for --crow-fly.
    #[arg(long, default_value_t = 1.4)]
    pub detour: f64,
    /// Refuse to run when a required category has no facility in the workspace, none within
    /// reach of the district or none near a walkable way (otherwise a warning, and "no data"
    /// for that category instead of 0%).
    #[arg(long)]
    pub strict: bool,
}

/// The loaded workspace with its walking network (the one walking model, wangge-app) and
/// what the CLI prints about it.
pub struct Walk {
    pub model: WalkingModel,
    pub catalogue: Catalogue,
    pub catalogue_text: String,
    pub speed: WalkSpeed,
    /// `walking 4.0 km/h` or `standard distances`.
    pub metric: String,
    pub build_s: f64,
    /// Seconds reading the workspace.
    pub read_s: f64,
}

impl std::ops::Deref for Walk {
    type Target = WalkingModel;

    fn deref(&self) -> &WalkingModel {
        &self.model
    }
}

impl Walk {
    pub fn load(store: &dyn wangge_io::Store, o: &WalkOpts) -> anyhow::Result<Self> {
        let (catalogue, catalogue_text) = match &o.catalogue {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read the catalogue {}", p.display()))?;
                (Catalogue::parse(&text, &p.display().to_string())?, text)
            }
            None => (
                Catalogue::default_gb50180(),
                wangge_core::walk::DEFAULT_TOML.to_string(),
            ),
        };
        let speed = if o.standard_distances {
            WalkSpeed::Standard
        } else {
            let kmh = match (o.speed_kmh, o.elderly) {
                (Some(s), _) => s,
                (None, true) => catalogue.elderly_kmh,
                (None, false) => catalogue.default_kmh,
            };
            if !(kmh.is_finite() && (0.5..=10.0).contains(&kmh)) {
                bail!("--speed-kmh {kmh} is outside 0.5-10 km/h");
            }
            WalkSpeed::Speed { mps: kmh / 3.6 }
        };
        let metric = match speed {
            WalkSpeed::Standard => "standard distances".to_string(),
            WalkSpeed::Speed { mps } => format!("walking {:.1} km/h", mps * 3.6),
        };
        if !(o.max_snap_m.is_finite() && o.max_snap_m > 0.0) {
            bail!(
                "--max-snap-m {} must be a positive number of metres",
                o.max_snap_m
            );
        }
        if o.crow_fly && !(o.detour.is_finite() && (1.0..=3.0).contains(&o.detour)) {
            bail!("--detour {} is outside 1-3", o.detour);
        }
        let metric = if o.crow_fly {
            format!(
                "{metric}, straight lines × {} (no street network)",
                o.detour
            )
        } else {
            metric
        };
        // The one walking model (wangge-app): the server's street-office answers load the same.
        let model = WalkingModel::load(
            store,
            WalkSettings {
                catalogue,
                speed,
                max_snap_m: o.max_snap_m,
                min_component: o.min_component,
                crow_fly: o.crow_fly,
            },
        )?;
        Ok(Self {
            catalogue: model.settings.catalogue.clone(),
            catalogue_text,
            speed,
            metric,
            read_s: model.read_s,
            build_s: model.build_s,
            model,
        })
    }

    /// Walking distance for a number of minutes.
    pub fn limit_m(&self, minutes: u32) -> anyhow::Result<f64> {
        Ok(self.catalogue.limit_m(minutes, self.speed)?)
    }

    /// Facilities with their catalogue category: (index into `data.facilities`, category).
    pub fn facilities(&self) -> Vec<(usize, String)> {
        let cats = self.catalogue.categories();
        self.data
            .facilities
            .iter()
            .enumerate()
            .map(|(i, f)| {
                (
                    i,
                    self.catalogue.category_of(f.category.as_str()).to_string(),
                )
            })
            .filter(|(_, c)| cats.contains(c))
            .collect()
    }

    /// The `categories` this run cannot judge (no facility, none within `limit_m` of the
    /// district, none near a walkable way), each printed as a warning; with `--strict` an
    /// error naming them all (the model judges; the CLI warns or refuses).
    pub fn missing(
        &self,
        o: &WalkOpts,
        categories: &[String],
        limit_m: f64,
    ) -> anyhow::Result<Vec<MissingCategory>> {
        let missing = self.model.missing(categories, limit_m);
        if o.strict && !missing.is_empty() {
            let lines: Vec<String> = missing.iter().map(|m| format!("  {m}")).collect();
            return Err(super::exit::Refused(format!(
                "--strict: {} required categories cannot be judged:\n{}",
                missing.len(),
                lines.join("\n")
            ))
            .into());
        }
        for m in &missing {
            eprintln!("warning: {m}");
        }
        Ok(missing)
    }

    /// Checks that `category` is in the catalogue.
    pub fn check_category(&self, category: &str) -> anyhow::Result<()> {
        let cats = self.catalogue.categories();
        if !cats.iter().any(|c| c == category) {
            bail!(
                "category {category:?} is in no life circle of the catalogue; known: {}",
                cats.join(", ")
            );
        }
        Ok(())
    }
}

/// A GeoJSON MultiPolygon geometry.
pub fn multipolygon_json(mp: &geo_types::MultiPolygon<f64>) -> serde_json::Value {
    let ring = |r: &geo_types::LineString<f64>| -> Vec<[f64; 2]> {
        r.0.iter().map(|c| [c.x, c.y]).collect()
    };
    let polys: Vec<Vec<Vec<[f64; 2]>>> =
        mp.0.iter()
            .map(|p| {
                std::iter::once(ring(p.exterior()))
                    .chain(p.interiors().iter().map(ring))
                    .collect()
            })
            .collect();
    serde_json::json!({"type": "MultiPolygon", "coordinates": polys})
}
