//! Binding and running the server, with a background check for new plans.

use crate::{AppState, router};
use std::net::SocketAddr;
use std::time::Duration;

/// Serves until the process ends (over HTTPS with `tls`). Every two seconds the workspace is checked for a newer
/// plan; when one landed, the layers are re-read and the tile cache dropped.
pub async fn serve(
    addr: SocketAddr,
    state: AppState,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let watch = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            let s = watch.clone();
            match tokio::task::spawn_blocking(move || s.refresh()).await {
                Ok(Ok(true)) => eprintln!("wangge serve: new plan, tiles re-read"),
                Ok(Ok(false)) => {}
                Ok(Err(e)) => eprintln!("wangge serve: checking the workspace: {e}"),
                Err(e) => eprintln!("wangge serve: {e}"),
            }
        }
    });
    match tls {
        None => axum::serve(listener, router(state)).await,
        Some(tls) => {
            let app = router(state).layer(axum::middleware::map_response(crate::tls::hsts));
            axum::serve(crate::tls::TlsListener { tcp: listener, tls }, app).await
        }
    }
}
