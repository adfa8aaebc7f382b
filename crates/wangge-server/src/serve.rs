//! Binding and running the server, with a background check for new plans.

use crate::{AppState, router};
use std::net::SocketAddr;
use std::time::Duration;

/// The least time between two checks of a workspace whose feed tells of changes.
const COALESCE: Duration = Duration::from_millis(250);

/// Serves until the process ends (over HTTPS with `tls`). The workspace is checked for
/// changes other processes made (new incidents, a newer plan: the layers re-read and the tile
/// cache dropped) as soon as its change feed says so (PostgreSQL: `LISTEN`, so several
/// servers on one database see each other's writes at once), and otherwise every two seconds
/// (a GeoPackage file; thirty seconds as a safety net behind a feed).
pub async fn serve(
    addr: SocketAddr,
    state: AppState,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let watch = state.clone();
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let pushed = listen(&state, wake.clone());
    warm_kpis(&state);
    tokio::spawn(async move {
        let every = Duration::from_secs(if pushed { 30 } else { 2 });
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = wake.notified() => {}
            }
            let s = watch.clone();
            match tokio::task::spawn_blocking(move || s.refresh()).await {
                Ok(Ok(true)) => eprintln!("wangge serve: new plan, tiles re-read"),
                Ok(Ok(false)) => {}
                Ok(Err(e)) => eprintln!("wangge serve: checking the workspace: {e}"),
                Err(e) => eprintln!("wangge serve: {e}"),
            }
            // Changes told meanwhile are taken together in the next check: under a stream of
            // steps (each one told) a server checks at most four times a second.
            if pushed {
                tokio::time::sleep(COALESCE).await;
            }
        }
    });
    match tls {
        None => axum::serve(listener, router(state)).await,
        Some(tls) => {
            let app = router(state)
                .layer(axum::middleware::map_response(crate::tls::hsts))
                .layer(axum::middleware::map_request(crate::tls::https));
            axum::serve(crate::tls::TlsListener { tcp: listener, tls }, app).await
        }
    }
}

/// Keeps this month's KPI tables ready off the request path (`wangge_app::kpi_warm`): the
/// wall's levels at start, then every ten seconds those requests asked for; only on a store
/// that keeps stamps (PostgreSQL).
fn warm_kpis(state: &AppState) {
    if !wangge_app::is_postgres(&state.path) {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (mut failing, mut start) = (false, true);
        loop {
            tick.tick().await;
            let s = state.clone();
            let first = start;
            let done = tokio::task::spawn_blocking(move || {
                let store = wangge_app::open_store(&s.path, wangge_app::Access::Read)
                    .map_err(|e| e.to_string())?;
                wangge_app::kpi_warm::keep_warm(
                    store.as_ref(),
                    &s.limits,
                    wangge_core::Timestamp::now(),
                    first,
                )
                .map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r);
            // A failure is told once until the warmer works again (requests count then).
            match done {
                Err(e) if !failing => {
                    eprintln!("wangge serve: keeping KPI tables ready: {e}");
                    failing = true;
                }
                Err(_) => {}
                // The wall's levels are counted at start, or at the first round that works.
                Ok(_) => (failing, start) = (false, false),
            }
        }
    });
}

/// Starts a thread that wakes the workspace check on every change the store's feed reports;
/// false when the store has no feed (the check polls). A lost connection is opened again.
/// (The feed is opened on that thread: a synchronous database client must not block a
/// runtime thread.)
fn listen(state: &AppState, wake: std::sync::Arc<tokio::sync::Notify>) -> bool {
    if !wangge_app::is_postgres(&state.path) {
        return false;
    }
    let path = state.path.clone();
    let open = move || {
        wangge_app::open_store(&path, wangge_app::Access::Read)
            .and_then(|s| wangge_io::Workspace::change_feed(s.as_ref()))
    };
    std::thread::spawn(move || {
        let mut feed = None;
        loop {
            let Some(f) = feed.as_mut() else {
                match open() {
                    Ok(Some(f)) => {
                        feed = Some(f);
                        wake.notify_one();
                    }
                    Ok(None) => return,
                    Err(e) => {
                        eprintln!("wangge serve: listening for changes: {e}");
                        std::thread::sleep(Duration::from_secs(2));
                    }
                }
                continue;
            };
            match f.wait(Duration::from_secs(60)) {
                Ok(true) => wake.notify_one(),
                Ok(false) => {}
                Err(e) => {
                    eprintln!("wangge serve: listening for changes: {e}");
                    feed = None;
                    std::thread::sleep(Duration::from_secs(2));
                }
            }
        }
    });
    true
}
