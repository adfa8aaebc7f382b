//! A whole synthetic city: the layout's places, then a history of incidents in them.

use crate::city::{self, Builder, CityParams, Layout};
use crate::incidents::incidents;
use crate::rng::Rng;
use wangge_core::{Dataset, LocalFrame, Progress};

/// Generates a city.
pub fn generate(params: &CityParams, progress: &dyn Progress) -> Dataset {
    let root = Rng::new(params.seed);
    let frame = LocalFrame::new(params.centre.0, params.centre.1);
    let mut b = Builder {
        frame,
        out: Dataset::default(),
    };
    match params.layout {
        Layout::Compounds => city::compounds(params, &root, &mut b, progress),
        Layout::LowRise => crate::lowrise::district(params, &root, &mut b, progress),
        Layout::Dense => crate::dense::district(params, &root, &mut b, progress),
    }
    crate::components::along_streets(&mut b.out, &frame, &root);
    let mut inc = incidents(&b.out, params, &root.fork(0xABCD), &frame);
    let assigner = wangge_core::Assigner::new(
        b.out
            .communities
            .iter()
            .map(|c| (c.key.clone(), c.geometry.clone()))
            .collect(),
        Vec::new(),
    );
    for i in &mut inc {
        assigner.assign(i);
    }
    b.out.incidents = inc;
    crate::components::link_incidents(&mut b.out, &frame);
    b.out
}
