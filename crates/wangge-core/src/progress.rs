//! Progress reporting for long work, so libraries stay free of terminal code: the CLI passes
//! an implementation that drives a progress bar.

/// Receives progress of a long-running step.
pub trait Progress {
    /// A new phase starts, with `len` units of work if known.
    fn start(&self, phase: &str, len: Option<u64>);
    /// `n` more units are done.
    fn advance(&self, n: u64);
    /// The current phase is done.
    fn finish(&self);
}

/// A [`Progress`] that ignores everything (tests, library callers).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _phase: &str, _len: Option<u64>) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
}
