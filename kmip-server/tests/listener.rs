//! The TLS listener driven over loopback: mutual TLS and its refusals, framing limits,
//! timeouts, the connection limit and graceful shutdown.
//!
//! Each test makes its own CA and certificates (devca), starts `server::run` on 127.0.0.1:0 in
//! a runtime on its own thread with an echoing handler, and talks to it with the blocking
//! `KmipClient`. Every wait is bounded (client socket timeouts, `recv_timeout`, retry counts).

use kmip_server::client::{client_config, tls_alert, ClientOptions, KmipClient, TlsVersions};
use kmip_server::clients::ClientMap;
use kmip_server::devca::{Ca, Eku, Leaf, LeafSpec, ORGANIZATION};
use kmip_server::server::{self, ClientId, Handler, Limits, RunReport, Settings};
use kmip_server::tls::{self, TlsPem};
use rustls::{AlertDescription, ProtocolVersion};
use softhsm::config::KmipClientRule;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// Marker in a request body that makes the handler slow (for the shutdown test).
const SLOW: &[u8] = b"SLOW-REQ";
const SLOW_FOR: Duration = Duration::from_millis(700);
/// Client socket timeout: long enough for a loaded machine, short enough to fail a test fast.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// An echoing handler that records what it saw.
#[derive(Default)]
struct Echo {
    seen: Mutex<Vec<ClientId>>,
    rejected: Mutex<Vec<String>>,
    handled: AtomicUsize,
    slow_started: Mutex<Option<mpsc::Sender<()>>>,
}

impl Handler for Echo {
    fn handle(&self, client: &ClientId, request: &[u8]) -> Vec<u8> {
        self.seen.lock().unwrap().push(client.clone());
        if request.windows(SLOW.len()).any(|w| w == SLOW) {
            if let Some(tx) = self.slow_started.lock().unwrap().as_ref() {
                let _ = tx.send(());
            }
            std::thread::sleep(SLOW_FOR);
        }
        self.handled.fetch_add(1, Ordering::SeqCst);
        request.to_vec()
    }

    fn reject(&self, _client: &ClientId, why: &str) -> Option<Vec<u8>> {
        self.rejected.lock().unwrap().push(why.to_string());
        // A ResponseMessage structure around a text string saying why.
        Some(message(0x42_007B, why.as_bytes()))
    }
}

/// A structure item with `tag` around `body` (padded to 8 bytes).
fn message(tag: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    body.resize(body.len().div_ceil(8) * 8, 0);
    let t = tag.to_be_bytes();
    let mut m = vec![t[1], t[2], t[3], 0x01];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes());
    m.extend_from_slice(&body);
    m
}

fn request(body: &[u8]) -> Vec<u8> {
    message(0x42_0078, body)
}

/// A CA with a server certificate and a client certificate (CN=kmip-client).
struct Pki {
    ca: Ca,
    server: Leaf,
    client: Leaf,
}

fn pki() -> Pki {
    let ca = Ca::generate("listener test CA", Some(ORGANIZATION)).unwrap();
    let server = ca.issue(&LeafSpec::local_server()).unwrap();
    let client = ca.issue(&LeafSpec::client("kmip-client")).unwrap();
    Pki { ca, server, client }
}

fn test_limits() -> Limits {
    Limits {
        max_connections: 16,
        handshake_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(10),
        message_timeout: Duration::from_secs(10),
        max_message_size: 64 * 1024,
        shutdown_timeout: Duration::from_secs(5),
    }
}

struct ServerOpts {
    limits: Limits,
    require_client_eku: bool,
    crls: Vec<String>,
    clients: ClientMap,
}

impl Default for ServerOpts {
    fn default() -> Self {
        ServerOpts {
            limits: test_limits(),
            require_client_eku: true,
            crls: Vec::new(),
            clients: ClientMap::everyone("kmip"),
        }
    }
}

/// A server on 127.0.0.1:0 in its own runtime thread; stopped on drop.
struct TestServer {
    addr: SocketAddr,
    handler: Arc<Echo>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<RunReport>>,
}

impl TestServer {
    fn start(pki: &Pki, opts: ServerOpts) -> TestServer {
        let crls: Vec<&[u8]> = opts.crls.iter().map(|c| c.as_bytes()).collect();
        let pem = TlsPem {
            server_chain: pki.server.cert_pem.as_bytes(),
            server_key: pki.server.key_pem.as_bytes(),
            client_ca: pki.ca.cert_pem().as_bytes(),
            crls: &crls,
        };
        let config = tls::server_config(&pem, opts.require_client_eku).unwrap();
        let handler = Arc::new(Echo::default());
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let settings = Settings {
            limits: opts.limits,
            clients: Arc::new(opts.clients),
        };
        let h: Arc<dyn Handler> = handler.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let report = rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                server::run(listener, config, h, settings, async {
                    let _ = stop_rx.await;
                })
                .await
            });
            rt.shutdown_timeout(Duration::from_secs(2));
            report
        });
        TestServer {
            addr,
            handler,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Stops the server and returns its report (bounded: the runtime thread must end within
    /// the shutdown timeout plus a margin).
    fn stop(mut self) -> RunReport {
        self.shutdown().expect("server thread ended")
    }

    fn shutdown(&mut self) -> Option<RunReport> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let t = self.thread.take()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while !t.is_finished() {
            assert!(Instant::now() < deadline, "the server did not shut down");
            std::thread::sleep(Duration::from_millis(20));
        }
        t.join().ok()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

fn options<'a>(pki: &'a Pki, leaf: Option<&'a Leaf>, versions: TlsVersions) -> ClientOptions<'a> {
    let mut o = match leaf {
        Some(l) => ClientOptions::new(
            pki.ca.cert_pem().as_bytes(),
            l.cert_pem.as_bytes(),
            l.key_pem.as_bytes(),
        ),
        None => ClientOptions::anonymous(pki.ca.cert_pem().as_bytes()),
    };
    o.versions = versions;
    o.timeout = CLIENT_TIMEOUT;
    o
}

fn connect(srv: &TestServer, pki: &Pki, leaf: &Leaf) -> KmipClient {
    KmipClient::connect_with(srv.addr, &options(pki, Some(leaf), TlsVersions::Any)).expect("connected")
}

/// Connects and sends one request; the echo must come back.
fn assert_echo(srv: &TestServer, pki: &Pki, leaf: &Leaf) {
    let mut c = connect(srv, pki, leaf);
    let req = request(b"hello");
    assert_eq!(c.send_raw(&req).expect("answered"), req);
}

/// The alert with which the server refuses this client: during the handshake (TLS 1.2), or
/// as the first thing read after it (TLS 1.3, where the client finishes first).
fn refusal(srv: &TestServer, pki: &Pki, leaf: Option<&Leaf>, versions: TlsVersions) -> AlertDescription {
    let mut opts = options(pki, leaf, versions);
    opts.timeout = Duration::from_secs(5);
    match KmipClient::connect_with(srv.addr, &opts) {
        Err(e) => tls_alert(&e).unwrap_or_else(|| panic!("refused without an alert: {e}")),
        Ok(mut c) => {
            let e = c.read_message().expect_err("the server accepted the client");
            tls_alert(&e).unwrap_or_else(|| panic!("no alert, but: {e}"))
        }
    }
}

#[test]
fn mutual_tls_with_tls13_and_tls12() {
    let pki = pki();
    let srv = TestServer::start(&pki, ServerOpts::default());
    for (versions, expected) in [
        (TlsVersions::Any, ProtocolVersion::TLSv1_3),
        (TlsVersions::Tls12Only, ProtocolVersion::TLSv1_2),
    ] {
        let mut c = KmipClient::connect_with(srv.addr, &options(&pki, Some(&pki.client), versions)).unwrap();
        assert_eq!(c.protocol_version(), Some(expected));
        // Two requests on one connection, one of them larger than a TLS record.
        for body in [b"first".to_vec(), vec![0xA5; 40_000]] {
            let req = request(&body);
            assert_eq!(c.send_raw(&req).unwrap(), req);
        }
        c.close();
    }
    let seen = srv.handler.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].subject, "CN=kmip-client,O=softhsm-rs dev");
    assert_eq!(seen[0].common_name.as_deref(), Some("kmip-client"));
    assert_eq!(seen[0].token, "kmip");
    let report = srv.stop();
    assert_eq!(report.connections, 2);
}

#[test]
fn client_certificates_map_to_tokens() {
    let pki = pki();
    let other = pki.ca.issue(&LeafSpec::client("db-1")).unwrap();
    let rule = |subject: Option<&str>, cn: Option<&str>, token: &str| KmipClientRule {
        subject: subject.map(str::to_string),
        common_name: cn.map(str::to_string),
        token: token.into(),
    };
    let clients = ClientMap::new(
        &[
            rule(Some("CN=db-1, O=softhsm-rs dev"), None, "db"),
            rule(None, Some("kmip-client"), "apps"),
        ],
        None,
    )
    .unwrap();
    let srv = TestServer::start(
        &pki,
        ServerOpts {
            clients,
            ..ServerOpts::default()
        },
    );
    assert_echo(&srv, &pki, &pki.client);
    assert_echo(&srv, &pki, &other);
    let tokens: Vec<String> = srv
        .handler
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.token.clone())
        .collect();
    assert_eq!(tokens, ["apps", "db"]);

    // A verified client no rule covers (and no default token): closed after the handshake.
    let stranger = pki.ca.issue(&LeafSpec::client("stranger")).unwrap();
    let mut c = connect(&srv, &pki, &stranger);
    assert_eq!(c.read_to_close(0).expect("closed by the server"), 0);
    assert_eq!(srv.handler.handled.load(Ordering::SeqCst), 2);
}

/// A client reconnecting with the same TLS configuration resumes its session (TLS 1.2 session
/// id, TLS 1.3 ticket), and a resumed session keeps the identity its certificate proved: each
/// client still reaches its own token, never another's.
#[test]
fn resumed_sessions_keep_the_client_identity() {
    let pki = pki();
    let other = pki.ca.issue(&LeafSpec::client("db-1")).unwrap();
    let rule = |cn: &str, token: &str| KmipClientRule {
        subject: None,
        common_name: Some(cn.to_string()),
        token: token.into(),
    };
    let clients = ClientMap::new(&[rule("db-1", "db"), rule("kmip-client", "apps")], None).unwrap();
    let srv = TestServer::start(
        &pki,
        ServerOpts {
            clients,
            ..ServerOpts::default()
        },
    );
    let mut want = Vec::new();
    for versions in [TlsVersions::Tls12Only, TlsVersions::Tls13Only] {
        for (leaf, token) in [(&pki.client, "apps"), (&other, "db")] {
            let opts = options(&pki, Some(leaf), versions);
            let config = client_config(&opts).unwrap();
            for round in 0..3 {
                let mut c =
                    KmipClient::connect_configured(srv.addr, config.clone(), &opts).expect("connected");
                let req = request(b"again");
                assert_eq!(c.send_raw(&req).expect("answered"), req);
                // TLS 1.3 tickets arrive after the handshake: the first reconnection may
                // still be a full one; by the third the session is resumed.
                if round == 2 {
                    assert!(c.resumed(), "{versions:?}: the third connection resumes");
                }
                want.push(token.to_string());
            }
        }
    }
    let tokens: Vec<String> = srv
        .handler
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.token.clone())
        .collect();
    assert_eq!(tokens, want);
}

#[test]
fn a_client_without_a_certificate_is_refused() {
    let pki = pki();
    let srv = TestServer::start(&pki, ServerOpts::default());
    assert_eq!(
        refusal(&srv, &pki, None, TlsVersions::Any),
        AlertDescription::CertificateRequired
    );
    assert_eq!(
        refusal(&srv, &pki, None, TlsVersions::Tls12Only),
        AlertDescription::CertificateRequired
    );
    assert_echo(&srv, &pki, &pki.client);
}

#[test]
fn a_certificate_from_an_unknown_ca_is_refused() {
    let pki = pki();
    // Same subject names as the trusted CA, different key.
    let stranger_ca = Ca::generate("listener test CA", Some(ORGANIZATION)).unwrap();
    let forged = stranger_ca.issue(&LeafSpec::client("kmip-client")).unwrap();
    let other_ca = Ca::generate("Some other CA", None).unwrap();
    let foreign = other_ca.issue(&LeafSpec::client("kmip-client")).unwrap();
    let srv = TestServer::start(&pki, ServerOpts::default());
    for leaf in [&foreign, &forged] {
        for v in [TlsVersions::Any, TlsVersions::Tls12Only] {
            let alert = refusal(&srv, &pki, Some(leaf), v);
            assert!(
                matches!(
                    alert,
                    AlertDescription::UnknownCA | AlertDescription::DecryptError
                ),
                "{alert:?}"
            );
        }
    }
    assert_eq!(
        refusal(&srv, &pki, Some(&foreign), TlsVersions::Any),
        AlertDescription::UnknownCA
    );
    assert_echo(&srv, &pki, &pki.client);
    assert_eq!(srv.handler.handled.load(Ordering::SeqCst), 1);
}

#[test]
fn client_auth_eku_is_required_unless_configured_off() {
    let pki = pki();
    let server_only = pki
        .ca
        .issue(&LeafSpec {
            eku: Eku::ServerAuth,
            ..LeafSpec::client("server-eku")
        })
        .unwrap();
    let no_eku = pki
        .ca
        .issue(&LeafSpec {
            eku: Eku::Absent,
            ..LeafSpec::client("no-eku")
        })
        .unwrap();
    let strict = TestServer::start(&pki, ServerOpts::default());
    for leaf in [&server_only, &no_eku] {
        for v in [TlsVersions::Any, TlsVersions::Tls12Only] {
            assert_eq!(
                refusal(&strict, &pki, Some(leaf), v),
                AlertDescription::UnsupportedCertificate
            );
        }
    }
    assert_echo(&strict, &pki, &pki.client);
    drop(strict);

    let lax = TestServer::start(
        &pki,
        ServerOpts {
            require_client_eku: false,
            ..ServerOpts::default()
        },
    );
    for leaf in [&server_only, &no_eku, &pki.client] {
        assert_echo(&lax, &pki, leaf);
    }
    // Chain, time and revocation checks still apply without the EKU check.
    let expired = pki.ca.issue(&LeafSpec::client("old").expired()).unwrap();
    assert_eq!(
        refusal(&lax, &pki, Some(&expired), TlsVersions::Any),
        AlertDescription::CertificateExpired
    );
    let foreign = Ca::generate("x", None)
        .unwrap()
        .issue(&LeafSpec::client("y"))
        .unwrap();
    assert_eq!(
        refusal(&lax, &pki, Some(&foreign), TlsVersions::Any),
        AlertDescription::UnknownCA
    );
}

#[test]
fn a_revoked_certificate_is_refused_when_a_crl_is_configured() {
    let pki = pki();
    let revoked = pki.ca.issue(&LeafSpec::client("revoked")).unwrap();
    let crl = pki.ca.crl(&[&revoked.serial]).unwrap();
    // Without the CRL the certificate is fine.
    let plain = TestServer::start(&pki, ServerOpts::default());
    assert_echo(&plain, &pki, &revoked);
    drop(plain);

    let srv = TestServer::start(
        &pki,
        ServerOpts {
            crls: vec![crl],
            ..ServerOpts::default()
        },
    );
    for v in [TlsVersions::Any, TlsVersions::Tls12Only] {
        assert_eq!(
            refusal(&srv, &pki, Some(&revoked), v),
            AlertDescription::CertificateRevoked
        );
    }
    assert_echo(&srv, &pki, &pki.client);
}

#[test]
fn an_expired_certificate_is_refused() {
    let pki = pki();
    let expired = pki.ca.issue(&LeafSpec::client("kmip-client").expired()).unwrap();
    let srv = TestServer::start(&pki, ServerOpts::default());
    for v in [TlsVersions::Any, TlsVersions::Tls12Only] {
        assert_eq!(
            refusal(&srv, &pki, Some(&expired), v),
            AlertDescription::CertificateExpired
        );
    }
    assert_echo(&srv, &pki, &pki.client);
}

#[test]
fn an_oversized_or_untyped_header_closes_the_connection_at_once() {
    let pki = pki();
    let srv = TestServer::start(&pki, ServerOpts::default());
    for header in [
        // A RequestMessage claiming 2 GiB.
        [0x42, 0x00, 0x78, 0x01, 0x80, 0x00, 0x00, 0x00],
        // Just over the 64 KiB limit of this server, header included.
        [0x42, 0x00, 0x78, 0x01, 0x00, 0x00, 0xFF, 0xF9],
        // Not a structure.
        [0x42, 0x00, 0x78, 0x07, 0x00, 0x00, 0x00, 0x08],
    ] {
        let mut c = connect(&srv, &pki, &pki.client);
        let t0 = Instant::now();
        c.write_raw(&header).unwrap();
        // The server closes (close_notify) without waiting for a body; the idle timeout is 10 s.
        assert_eq!(c.read_to_close(0).expect("clean close"), 0);
        assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    }
    // Exactly at the limit is fine.
    let mut c = connect(&srv, &pki, &pki.client);
    let biggest = request(&vec![7; 64 * 1024 - 8]);
    assert_eq!(c.send_raw(&biggest).unwrap(), biggest);
    assert_echo(&srv, &pki, &pki.client);
    assert_eq!(srv.handler.handled.load(Ordering::SeqCst), 2);
}

#[test]
fn a_structure_that_is_not_a_request_message_is_rejected() {
    let pki = pki();
    let srv = TestServer::start(&pki, ServerOpts::default());
    let mut c = connect(&srv, &pki, &pki.client);
    let answer = c.send_raw(&message(0x42_007B, b"not a request")).unwrap();
    assert_eq!(&answer[..4], &[0x42, 0x00, 0x7B, 0x01]);
    let text = String::from_utf8_lossy(&answer[8..]).to_string();
    assert!(
        text.contains("0x42007B") && text.contains("RequestMessage"),
        "{text}"
    );
    assert_eq!(srv.handler.rejected.lock().unwrap().len(), 1);
    assert_eq!(srv.handler.handled.load(Ordering::SeqCst), 0);
    // The framing held: the same connection serves a real request next.
    let req = request(b"after the reject");
    assert_eq!(c.send_raw(&req).unwrap(), req);
}

#[test]
fn plain_http_fails_the_handshake_and_the_server_goes_on() {
    let pki = pki();
    let srv = TestServer::start(&pki, ServerOpts::default());
    let mut s = TcpStream::connect_timeout(&srv.addr, CLIENT_TIMEOUT).unwrap();
    s.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    // At most a TLS alert comes back, then the server closes.
    for _ in 0..16 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    assert!(got.len() <= 16, "{got:?}");
    assert!(got.is_empty() || got[0] == 0x15, "not a TLS alert: {got:?}");
    assert_echo(&srv, &pki, &pki.client);
}

#[test]
fn idle_and_handshake_timeouts_close_connections() {
    let pki = pki();
    let srv = TestServer::start(
        &pki,
        ServerOpts {
            limits: Limits {
                idle_timeout: Duration::from_secs(1),
                handshake_timeout: Duration::from_secs(1),
                ..test_limits()
            },
            ..ServerOpts::default()
        },
    );
    // Idle after a request.
    let mut c = connect(&srv, &pki, &pki.client);
    let req = request(b"one");
    assert_eq!(c.send_raw(&req).unwrap(), req);
    let t0 = Instant::now();
    assert_eq!(c.read_to_close(0).expect("closed by the server"), 0);
    let idle = t0.elapsed();
    assert!(
        idle >= Duration::from_millis(800) && idle < Duration::from_secs(5),
        "{idle:?}"
    );

    // A TCP connection that never starts the handshake.
    let mut s = TcpStream::connect_timeout(&srv.addr, CLIENT_TIMEOUT).unwrap();
    s.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    let t0 = Instant::now();
    let mut buf = [0u8; 16];
    let n = s.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0);
    let hs = t0.elapsed();
    assert!(
        hs >= Duration::from_millis(800) && hs < Duration::from_secs(5),
        "{hs:?}"
    );
    assert_echo(&srv, &pki, &pki.client);
}

#[test]
fn a_byte_trickle_is_closed_at_the_message_deadline() {
    // Each byte comes well within the idle timeout; the message as a whole does not come
    // within message_timeout. Per-read (or per-part) deadlines would keep it alive for 6 s
    // per part; one deadline for the message closes it 2 s after its first byte.
    let pki = pki();
    let srv = TestServer::start(
        &pki,
        ServerOpts {
            limits: Limits {
                idle_timeout: Duration::from_secs(6),
                message_timeout: Duration::from_secs(2),
                ..test_limits()
            },
            ..ServerOpts::default()
        },
    );
    let mut c = connect(&srv, &pki, &pki.client);
    let req = request(&[b'x'; 120]);
    let t0 = Instant::now();
    let mut sent = 0;
    // One byte every 250 ms, for at most 12 s; the server closes long before the end.
    for b in &req {
        if c.write_raw(&[*b]).is_err() || t0.elapsed() > Duration::from_secs(12) {
            break;
        }
        sent += 1;
        std::thread::sleep(Duration::from_millis(250));
    }
    let _ = c.read_to_close(0);
    let gone = t0.elapsed();
    println!(
        "a byte every 250 ms: {sent} of {} bytes sent, closed after {gone:?}",
        req.len()
    );
    assert!(sent < req.len(), "the whole trickled message was accepted");
    assert!(
        gone >= Duration::from_millis(1800) && gone < Duration::from_secs(5),
        "closed after {gone:?}, not at the 2 s message deadline"
    );
    assert_eq!(srv.handler.handled.load(Ordering::SeqCst), 0);
    assert_echo(&srv, &pki, &pki.client);
}

#[test]
fn the_connection_limit_is_enforced() {
    let pki = pki();
    let srv = TestServer::start(
        &pki,
        ServerOpts {
            limits: Limits {
                max_connections: 2,
                ..test_limits()
            },
            ..ServerOpts::default()
        },
    );
    let mut held = Vec::new();
    for i in 0..2u8 {
        let mut c = connect(&srv, &pki, &pki.client);
        let req = request(&[i]);
        assert_eq!(c.send_raw(&req).unwrap(), req);
        held.push(c);
    }
    // A third is accepted and closed at once.
    let third = KmipClient::connect_with(srv.addr, &options(&pki, Some(&pki.client), TlsVersions::Any));
    let err = third.expect_err("a third connection was served");
    assert!(tls_alert(&err).is_none(), "{err}");
    // Once one closes, a new connection gets in (the permit is released asynchronously).
    held.remove(0).close();
    let mut served = false;
    for _ in 0..100 {
        if let Ok(mut c) =
            KmipClient::connect_with(srv.addr, &options(&pki, Some(&pki.client), TlsVersions::Any))
        {
            let req = request(b"late");
            if c.send_raw(&req).is_ok_and(|a| a == req) {
                served = true;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(served, "no connection after one of the two closed");
    drop(held);
    let report = srv.stop();
    assert!(report.refused_over_limit >= 1, "{report:?}");
}

#[test]
fn graceful_shutdown_finishes_requests_in_flight() {
    let pki = pki();
    let srv = TestServer::start(&pki, ServerOpts::default());
    let (tx, started) = mpsc::channel();
    *srv.handler.slow_started.lock().unwrap() = Some(tx);
    let addr = srv.addr;
    let mut idle = connect(&srv, &pki, &pki.client);
    let mut busy = connect(&srv, &pki, &pki.client);
    let req = request(SLOW);
    let expected = req.clone();
    let in_flight = std::thread::spawn(move || busy.send_raw(&req));
    started
        .recv_timeout(CLIENT_TIMEOUT)
        .expect("the slow request reached the handler");
    let t0 = Instant::now();
    let report = srv.stop();
    let took = t0.elapsed();
    // The request in flight was answered in full.
    let answer = in_flight.join().unwrap().expect("answered during shutdown");
    assert_eq!(answer, expected);
    assert_eq!(report.aborted_at_shutdown, 0);
    assert_eq!(report.connections, 2);
    assert!(took < Duration::from_secs(5), "{took:?}");
    // The idle connection was closed, and nothing listens any more.
    assert!(idle.send_raw(&request(b"late")).is_err());
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err());
}
