//! HTTPS: `wangge serve --tls-cert FILE --tls-key FILE` (PEM), with rustls on ring. A
//! listener that hands axum connections after the TLS handshake (one that fails or takes more
//! than ten seconds is dropped, the server goes on), and HSTS on every answer.

use axum::http::{HeaderValue, header};
use axum::response::Response;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;

/// Why a certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TlsError {
    pub path: String,
    pub message: String,
}

/// The server's TLS configuration from a PEM certificate chain and its private key.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let bad = |p: &Path, message: String| TlsError {
        path: p.display().to_string(),
        message,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(cert, format!("cannot read a PEM certificate: {e}")))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(cert, format!("not a PEM certificate chain: {e}")))?;
    if certs.is_empty() {
        return Err(bad(cert, "holds no certificate (BEGIN CERTIFICATE)".into()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        bad(
            key,
            format!("no PEM private key (PKCS#8, PKCS#1 or SEC1): {e}"),
        )
    })?;
    // ring, not aws-lc-rs: no cmake or C++ toolchain in the build. rustls marks ring's
    // provider deprecated because it offers no post-quantum key exchange; X25519 and the
    // NIST curves remain, which every intranet browser speaks.
    #[allow(deprecated)]
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| bad(key, format!("does not go with the certificate: {e}")))?;
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// TCP connections handed on after their TLS handshake.
pub struct TlsListener {
    pub tcp: TcpListener,
    pub tls: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (tcp, addr) = match self.tcp.accept().await {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait, as axum's own listener does.
                    eprintln!("wangge serve: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            match tokio::time::timeout(Duration::from_secs(10), self.tls.accept(tcp)).await {
                Ok(Ok(stream)) => return (stream, addr),
                Ok(Err(e)) => eprintln!("wangge serve: TLS handshake with {addr}: {e}"),
                Err(_) => eprintln!("wangge serve: TLS handshake with {addr}: timed out"),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// Every request on a TLS connection says so (`X-Forwarded-Proto: https`, whatever the client
/// sent), so absolute URLs in the style and TileJSON keep the page's scheme.
pub async fn https(mut r: axum::extract::Request) -> axum::extract::Request {
    r.headers_mut().insert(
        header::HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static("https"),
    );
    r
}

/// Strict-Transport-Security on an answer over HTTPS (a year; browsers then refuse plain HTTP
/// to this host).
pub async fn hsts(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    r
}
