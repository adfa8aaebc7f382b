//! Concurrent requests for the same thing share one computation: the first computes, the
//! others wait for its answer (a live tile after an edit is asked for by every open viewer at
//! once). An entry lives while its computation runs; answers are kept by the caches.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Computations in flight by key.
pub struct InFlight<T> {
    running: Mutex<HashMap<String, Arc<OnceCell<T>>>>,
    computed: AtomicU64,
}

impl<T> Default for InFlight<T> {
    fn default() -> Self {
        Self {
            running: Mutex::new(HashMap::new()),
            computed: AtomicU64::new(0),
        }
    }
}

impl<T: Clone> InFlight<T> {
    /// The answer for `key`: computed by `f` unless a computation for it is running, then
    /// that one's. A failed computation is not shared: a waiter then computes itself.
    pub async fn get<E, F, Fut>(&self, key: String, f: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let cell = {
            let mut m = self.running.lock().unwrap_or_else(|p| p.into_inner());
            m.entry(key.clone()).or_default().clone()
        };
        let out = cell
            .get_or_try_init(|| {
                self.computed.fetch_add(1, Ordering::Relaxed);
                f()
            })
            .await
            .cloned();
        let mut m = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if m.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            m.remove(&key);
        }
        out
    }

    /// How many computations ran (not shared answers).
    pub fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sixteen_requests_for_one_key_compute_once() {
        let f = Arc::new(InFlight::<u64>::default());
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let f = f.clone();
            tasks.push(tokio::spawn(async move {
                f.get("tile".into(), || async {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    Ok::<u64, ()>(42)
                })
                .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.expect("task"), Ok(42));
        }
        assert_eq!(f.computed(), 1);
        // Once done, the next request computes again (answers are the caches' business).
        let again = f.get("tile".into(), || async { Ok::<u64, ()>(7) }).await;
        assert_eq!((again, f.computed()), (Ok(7), 2));
        // Different keys do not wait for each other.
        let other = f.get("other".into(), || async { Ok::<u64, ()>(1) }).await;
        assert_eq!((other, f.computed()), (Ok(1), 3));
    }
}
