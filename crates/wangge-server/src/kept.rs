//! One computed answer shared between requests (the wall screen's summary): kept while
//! nothing it counts changed (up to a minute). After a change the next request recomputes it
//! and waits for it (a wall screen asks right after an incident event and must see it);
//! requests arriving while that runs get the answer kept, so polls never queue behind a
//! scan and one scan runs at a time.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// One kept answer of type `A` (the wall summary by default).
pub struct Kept<A = crate::contract::wall::WallSummary> {
    /// (generation of what it counts, when computed, the answer).
    kept: Mutex<Option<(u64, Instant, A)>>,
    /// A request is recomputing it.
    computing: AtomicBool,
}

impl<A> Default for Kept<A> {
    fn default() -> Self {
        Self {
            kept: Mutex::new(None),
            computing: AtomicBool::new(false),
        }
    }
}

/// What a request should do.
pub enum Use<A> {
    /// Answer with this.
    Kept(A),
    /// Compute the answer, [`Kept::keep`] it and answer with it (this request holds the
    /// claim; on failure, [`Kept::release`] it).
    Compute,
}

impl<A: Clone> Kept<A> {
    pub fn get(&self, generation: u64) -> Use<A> {
        let k = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let Some((g, at, v)) = k.as_ref() else {
            self.computing.store(true, Ordering::SeqCst);
            return Use::Compute;
        };
        let fresh = *g == generation && at.elapsed() < Duration::from_secs(60);
        if fresh || self.computing.swap(true, Ordering::SeqCst) {
            Use::Kept(v.clone())
        } else {
            Use::Compute
        }
    }

    /// Stores a new answer and releases the claim.
    pub fn keep(&self, generation: u64, v: A) {
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
    fn after_a_change_one_request_recomputes_while_the_others_get_the_kept_answer() {
        let k: Kept<serde_json::Value> = Kept::default();
        assert!(matches!(k.get(1), Use::Compute));
        k.keep(1, serde_json::json!(1));
        assert!(matches!(k.get(1), Use::Kept(_)), "nothing changed");
        // Something changed: the first request recomputes, the next gets the answer kept.
        assert!(matches!(k.get(2), Use::Compute));
        assert!(matches!(k.get(2), Use::Kept(v) if v == 1));
        k.keep(2, serde_json::json!(2));
        assert!(matches!(k.get(2), Use::Kept(v) if v == 2));
        // A failed computation releases the claim.
        assert!(matches!(k.get(3), Use::Compute));
        k.release();
        assert!(matches!(k.get(3), Use::Compute));
        k.keep(3, serde_json::json!(3));
        // Kept a minute at most.
        let old = Instant::now() - Duration::from_secs(61);
        *k.kept.lock().expect("lock") = Some((3, old, serde_json::json!(3)));
        assert!(matches!(k.get(3), Use::Compute));
    }
}
