//! indicatif progress bars behind the libraries' `Progress` trait; silent when stderr is not
//! a terminal (CI logs stay readable).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use wangge_core::Progress;

/// A progress bar on stderr.
#[derive(Debug, Default)]
pub struct Bar(Mutex<Option<ProgressBar>>);

impl Progress for Bar {
    fn start(&self, phase: &str, len: Option<u64>) {
        let bar = match len {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template(
                    "{msg:>24} [{bar:40}] {percent:>3}% {elapsed_precise} eta {eta}",
                )
                .expect("static template is valid")
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner(),
        };
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.set_message(phase.to_string());
        if let Ok(mut slot) = self.0.lock()
            && let Some(old) = slot.replace(bar)
        {
            old.finish_and_clear();
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(slot) = self.0.lock()
            && let Some(b) = slot.as_ref()
        {
            b.inc(n);
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.0.lock()
            && let Some(b) = slot.take()
        {
            b.finish_and_clear();
        }
    }
}
