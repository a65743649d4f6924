//! A server on 127.0.0.1:0 in its own runtime thread, with a fresh in-memory development PKI:
//! what the conformance tests, the vector replay and the benchmark talk to. It is the same
//! listener, TLS configuration and handler the binary runs; only `main` is left out.

use crate::client::KmipClient;
use crate::clients::ClientMap;
use crate::devca::{Ca, Leaf, LeafSpec};
use crate::server::{self, Handler, Limits, RunReport, Settings};
use crate::tls::{self, TlsPem};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The user PIN of the token [`scratch_keystore`] makes.
pub const SCRATCH_USER_PIN: &[u8] = b"user-pin-1";

/// A dispatcher over a new keystore in `dir` (fast PBKDF2 PINs, for tests and benchmarks):
/// one token labelled `kmip` in slot 0, SO PIN `so-pin-1`, user PIN [`SCRATCH_USER_PIN`], the
/// server logged in to it as key manager.
pub fn scratch_keystore(dir: &std::path::Path) -> softhsm::Result<crate::dispatch::Kmip> {
    use cryptoki_sys as ck;
    let mut c = softhsm::config::Config::default();
    c.store.path = Some(dir.join("store.db"));
    c.pin.kdf_iterations = Some(10);
    let mut hsm = softhsm::hsm::Hsm::open(c)?;
    hsm.set_key_manager(true);
    hsm.init_token(0, b"so-pin-1", b"kmip")?;
    let s = hsm.open_session(0, ck::CKF_SERIAL_SESSION | ck::CKF_RW_SESSION)?;
    hsm.login(s, ck::CKU_SO, b"so-pin-1")?;
    hsm.init_pin(s, SCRATCH_USER_PIN)?;
    hsm.logout(s)?;
    hsm.close_session(s)?;
    let mut kmip = crate::dispatch::Kmip::new(Arc::new(hsm));
    kmip.login("kmip", SCRATCH_USER_PIN).map_err(|e| {
        log::error!("{e}");
        softhsm::Error::GeneralError
    })?;
    Ok(kmip)
}

/// A running local server. Stopped when dropped.
pub struct LocalServer {
    pub addr: SocketAddr,
    pub ca: Ca,
    /// A client certificate (CN=kmip-client) the server accepts.
    pub client: Leaf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<RunReport>>,
}

impl std::fmt::Debug for LocalServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalServer").field("addr", &self.addr).finish()
    }
}

impl LocalServer {
    /// Starts `handler` behind mutual TLS; every verified client maps to `token`.
    pub fn start(handler: Arc<dyn Handler>, token: &str, limits: Limits) -> std::io::Result<LocalServer> {
        let err = |e: String| std::io::Error::other(e);
        let ca = Ca::generate("softhsm-rs local test CA", None).map_err(|e| err(e.to_string()))?;
        let server_leaf = ca
            .issue(&LeafSpec::local_server())
            .map_err(|e| err(e.to_string()))?;
        let client = ca
            .issue(&LeafSpec::client("kmip-client"))
            .map_err(|e| err(e.to_string()))?;
        let pem = TlsPem {
            server_chain: server_leaf.cert_pem.as_bytes(),
            server_key: server_leaf.key_pem.as_bytes(),
            client_ca: ca.cert_pem().as_bytes(),
            crls: &[],
        };
        let config = tls::server_config(&pem, true).map_err(|e| err(e.to_string()))?;
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let settings = Settings {
            limits,
            clients: Arc::new(ClientMap::everyone(token)),
        };
        let thread = std::thread::Builder::new()
            .name("kmip-local".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        log::error!("cannot start a runtime: {e}");
                        return RunReport::default();
                    }
                };
                let report = rt.block_on(async move {
                    match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(listener) => {
                            server::run(listener, config, handler, settings, async {
                                let _ = stop_rx.await;
                            })
                            .await
                        }
                        Err(e) => {
                            log::error!("cannot listen: {e}");
                            RunReport::default()
                        }
                    }
                });
                rt.shutdown_timeout(Duration::from_secs(2));
                report
            })?;
        Ok(LocalServer {
            addr,
            ca,
            client,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// A new mutual-TLS connection with the accepted client certificate.
    pub fn connect(&self) -> std::io::Result<KmipClient> {
        KmipClient::connect(
            self.addr,
            self.ca.cert_pem().as_bytes(),
            self.client.cert_pem.as_bytes(),
            self.client.key_pem.as_bytes(),
        )
    }

    /// Stops the server (bounded wait) and returns its report.
    pub fn stop(mut self) -> Option<RunReport> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Option<RunReport> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let t = self.thread.take()?;
        let deadline = Instant::now() + Duration::from_secs(40);
        while !t.is_finished() {
            if Instant::now() > deadline {
                log::error!("the local server did not stop in time");
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        t.join().ok()
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
