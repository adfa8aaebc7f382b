//! One computed answer shared between requests (the wall screen's summary): fresh while
//! nothing it counts changed (up to a minute) or while at most two seconds old; past that,
//! one request recomputes it while the others get the answer kept (stale while
//! revalidating), so polls never queue behind a scan.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

type Answer = serde_json::Value;

#[derive(Default)]
pub struct Kept {
    /// (generation of what it counts, when computed, the answer).
    kept: Mutex<Option<(u64, Instant, Answer)>>,
    /// A request is recomputing it.
    computing: AtomicBool,
}

/// What a request should do.
pub enum Use {
    /// Answer with this.
    Kept(Answer),
    /// Answer with this, and recompute it for the others (this request holds the claim).
    KeptAndRecompute(Answer),
    /// Nothing kept yet: compute it (this request holds the claim).
    Compute,
}

impl Kept {
    pub fn get(&self, generation: u64) -> Use {
        let k = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let Some((g, at, v)) = k.as_ref() else {
            self.computing.store(true, Ordering::SeqCst);
            return Use::Compute;
        };
        let age = at.elapsed();
        let fresh =
            age < Duration::from_secs(2) || (*g == generation && age < Duration::from_secs(60));
        if fresh || self.computing.swap(true, Ordering::SeqCst) {
            Use::Kept(v.clone())
        } else {
            Use::KeptAndRecompute(v.clone())
        }
    }

    /// Stores a new answer and releases the claim.
    pub fn keep(&self, generation: u64, v: Answer) {
        *self.kept.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((generation, Instant::now(), v));
        self.computing.store(false, Ordering::SeqCst);
    }

    /// Releases the claim without an answer (the computation failed).
    pub fn release(&self) {
        self.computing.store(false, Ordering::SeqCst);
    }

    /// Forgets the answer (what it counts was rebuilt).
    pub fn clear(&self) {
        *self.kept.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_request_recomputes_while_the_others_get_the_kept_answer() {
        let k = Kept::default();
        assert!(matches!(k.get(1), Use::Compute));
        k.keep(1, serde_json::json!(1));
        assert!(matches!(k.get(1), Use::Kept(_)), "fresh");
        // Older than two seconds and something changed: the first recomputes, the next waits
        // for nothing.
        *k.kept.lock().expect("lock") = Some((
            1,
            Instant::now() - Duration::from_secs(3),
            serde_json::json!(1),
        ));
        assert!(matches!(k.get(2), Use::KeptAndRecompute(_)));
        assert!(matches!(k.get(2), Use::Kept(_)));
        k.keep(2, serde_json::json!(2));
        assert!(matches!(k.get(2), Use::Kept(v) if v == 2));
        k.clear();
        assert!(matches!(k.get(2), Use::Compute));
    }
}
