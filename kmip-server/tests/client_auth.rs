//! Client authentication through the `kmip-server` program and its configuration file (not a
//! test wiring of the listener): `client_ca`, `crls`, `require_client_eku`, `[[kmip.clients]]`
//! and two `[[kmip.tokens]]` with their PIN files, on a keystore made with the core.
//!
//! - Expired, not-yet-valid, revoked (by the configured CRL file), serverAuth-only and
//!   unknown-CA client certificates are refused in the handshake (TLS 1.3 and 1.2), each with a
//!   server log line naming why; a certificate the CA vouches for but no rule maps to a token
//!   is closed after the handshake with a log line saying what to configure.
//! - A client mapped to token `a` cannot reach token `b`'s objects and the other way round:
//!   Get, Get Attributes, Get Attribute List, Activate, Encrypt and Destroy by the other
//!   token's Unique Identifier answer Item Not Found, Locate never lists them, and the owner
//!   still has its object afterwards.
//!
//! Every wait is bounded.

use kmip_server::client::{tls_alert, ClientOptions, KmipClient, TlsVersions};
use kmip_server::devca::{Ca, Eku, Leaf, LeafSpec, ORGANIZATION};
use kmip_server::message::request;
use kmip_server::ttlv::binary;
use kmip_server::ttlv::enums::{
    BlockCipherMode, CryptographicAlgorithm, ObjectType, Operation, ResultReason, ResultStatus,
};
use kmip_server::ttlv::{Tag, Ttlv};
use kmip_server::version::Version;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

const START_TIMEOUT: Duration = Duration::from_secs(60);
const LOG_TIMEOUT: Duration = Duration::from_secs(10);
const DAY: Duration = Duration::from_secs(86_400);

fn write_secret(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Tokens `a` (slot 0) and `b` (slot 1) in a keystore at `dir/store.db`, their user PINs in
/// `a.pin` and `b.pin`.
fn keystore(dir: &Path) {
    let mut c = softhsm::config::Config::default();
    c.store.path = Some(dir.join("store.db"));
    c.pin.kdf_iterations = Some(1000);
    let hsm = softhsm::hsm::Hsm::open(c).expect("keystore");
    for (slot, label) in [(0, "a"), (1, "b")] {
        let pin = format!("{label}-user-pin");
        softhsm::provision::create_token(&hsm, slot, label, "so-pin-1234", &pin).expect("token");
        write_secret(&dir.join(format!("{label}.pin")), &format!("{pin}\n"));
    }
}

const CONFIG: &str = r#"
[store]
path = "store.db"
[log]
file = "server.log"
level = "info"
[pin]
kdf_iterations = 1000
[kmip]
server_cert = "server.pem"
server_key = "server.key"
client_ca = "ca.pem"
crls = ["ca.crl"]
require_client_eku = true
[[kmip.clients]]
common_name = "app-a"
token = "a"
[[kmip.clients]]
common_name = "app-b"
token = "b"
[[kmip.tokens]]
label = "a"
pin_file = "a.pin"
[[kmip.tokens]]
label = "b"
pin_file = "b.pin"
"#;

/// The server process, started from `dir/kmip.toml`; killed (by PID) when dropped.
struct Server {
    child: Child,
    addr: std::net::SocketAddr,
    log: PathBuf,
}

impl Server {
    fn start(dir: &Path) -> Server {
        std::fs::write(dir.join("kmip.toml"), CONFIG).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kmip-server"))
            .arg("--config")
            .arg(dir.join("kmip.toml"))
            .args(["--listen", "127.0.0.1:0"])
            .env_remove("SOFTHSM_RS_CONF")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kmip-server starts");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = rx.recv_timeout(left) else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("kmip-server printed no `listening on` line");
            };
            if let Some(a) = line.strip_prefix("listening on ") {
                break a.trim().parse().unwrap();
            }
        };
        Server {
            child,
            addr,
            log: dir.join("server.log"),
        }
    }

    /// Waits (bounded) for a server log line, after `from` bytes, containing every one of
    /// `words`; returns it.
    fn log_line(&self, from: usize, words: &[&str]) -> String {
        let deadline = Instant::now() + LOG_TIMEOUT;
        loop {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            let found = text
                .get(from..)
                .unwrap_or_default()
                .lines()
                .find(|l| words.iter().all(|w| l.contains(w)));
            if let Some(l) = found {
                return l.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no server log line with {words:?}; the log after the attempt:\n{}",
                text.get(from..).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log_len(&self) -> usize {
        std::fs::metadata(&self.log).map_or(0, |m| m.len() as usize)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Pki {
    ca: Ca,
    a: Leaf,
    b: Leaf,
}

fn pki(dir: &Path) -> (Pki, Vec<(&'static str, Leaf, &'static str)>) {
    let ca = Ca::generate("client auth test CA", Some(ORGANIZATION)).unwrap();
    let server = ca.issue(&LeafSpec::local_server()).unwrap();
    std::fs::write(dir.join("ca.pem"), ca.cert_pem()).unwrap();
    std::fs::write(dir.join("server.pem"), &server.cert_pem).unwrap();
    write_secret(&dir.join("server.key"), &server.key_pem);
    let now = SystemTime::now();
    let app_a = || LeafSpec::client("app-a");
    let revoked = ca.issue(&app_a()).unwrap();
    std::fs::write(dir.join("ca.crl"), ca.crl(&[&revoked.serial]).unwrap()).unwrap();
    let forger = Ca::generate("client auth test CA", Some(ORGANIZATION)).unwrap();
    let other_ca = Ca::generate("some other CA", None).unwrap();
    // Each refused certificate names app-a, which is mapped: only the certificate's own
    // defect can be why it is refused. The word is what the server's log line must say.
    let bad = vec![
        ("expired", ca.issue(&app_a().expired()).unwrap(), "has expired"),
        (
            "not yet valid",
            ca.issue(&LeafSpec {
                not_before: now + DAY,
                not_after: now + 30 * DAY,
                ..app_a()
            })
            .unwrap(),
            "not valid yet",
        ),
        (
            "revoked by the CRL file",
            revoked,
            "revoked by a CRL in kmip.crls",
        ),
        (
            "serverAuth EKU only",
            ca.issue(&LeafSpec {
                eku: Eku::ServerAuth,
                ..app_a()
            })
            .unwrap(),
            "clientAuth extended key usage",
        ),
        (
            "from an unknown CA",
            other_ca.issue(&app_a()).unwrap(),
            "not issued by a CA in kmip.client_ca",
        ),
        (
            "from a CA forging the trusted CA's name",
            forger.issue(&app_a()).unwrap(),
            "not issued by a CA in kmip.client_ca",
        ),
    ];
    let a = ca.issue(&app_a()).unwrap();
    let b = ca.issue(&LeafSpec::client("app-b")).unwrap();
    (Pki { ca, a, b }, bad)
}

fn options<'a>(pki: &'a Pki, leaf: &'a Leaf, versions: TlsVersions) -> ClientOptions<'a> {
    let mut o = ClientOptions::new(
        pki.ca.cert_pem().as_bytes(),
        leaf.cert_pem.as_bytes(),
        leaf.key_pem.as_bytes(),
    );
    o.versions = versions;
    o.timeout = Duration::from_secs(10);
    o
}

/// The alert the server refuses `leaf` with (in the handshake for TLS 1.2; as the first read
/// after it for TLS 1.3, where the client finishes first).
fn refused(srv: &Server, pki: &Pki, leaf: &Leaf, versions: TlsVersions) -> String {
    match KmipClient::connect_with(srv.addr, &options(pki, leaf, versions)) {
        Err(e) => format!(
            "{:?}",
            tls_alert(&e).unwrap_or_else(|| panic!("refused without an alert: {e}"))
        ),
        Ok(mut c) => {
            let e = c.read_message().expect_err("the server accepted the client");
            format!(
                "{:?}",
                tls_alert(&e).unwrap_or_else(|| panic!("no alert, but: {e}"))
            )
        }
    }
}

#[test]
fn bad_client_certificates_are_refused_in_the_handshake_with_a_log_line() {
    let dir = tempfile::tempdir().unwrap();
    keystore(dir.path());
    let (pki, bad) = pki(dir.path());
    let srv = Server::start(dir.path());
    for (what, leaf, word) in &bad {
        for v in [TlsVersions::Any, TlsVersions::Tls12Only] {
            let from = srv.log_len();
            let alert = refused(&srv, &pki, leaf, v);
            let line = srv.log_line(from, &["WARN", "TLS handshake failed", "refused:", word]);
            println!("client_auth: {what} ({v:?}): alert {alert}; log: {line}");
        }
    }
    // Trusted, valid, but mapped to no token: closed after the handshake, and the log says
    // what to configure.
    let stranger = pki.ca.issue(&LeafSpec::client("stranger")).unwrap();
    let from = srv.log_len();
    let mut c = KmipClient::connect_with(srv.addr, &options(&pki, &stranger, TlsVersions::Any))
        .expect("the handshake itself succeeds");
    assert_eq!(c.read_to_close(0).expect("closed by the server"), 0);
    let line = srv.log_line(from, &["maps to no token", "CN=stranger", "[[kmip.clients]]"]);
    println!("client_auth: unmapped client: closed; log: {line}");
    // The server still serves a good client.
    let uid = create_aes(&mut connect(&srv, &pki, &pki.a), "still-serving");
    assert!(!uid.is_empty());
}

fn connect(srv: &Server, pki: &Pki, leaf: &Leaf) -> KmipClient {
    KmipClient::connect_with(srv.addr, &options(pki, leaf, TlsVersions::Any)).expect("mutual TLS")
}

/// Sends one operation and returns its batch item.
fn call(c: &mut KmipClient, v: Version, op: Operation, payload: Vec<Ttlv>) -> Ttlv {
    let bytes = c
        .send_raw(&binary::encode(&request(v, vec![(op, payload)])))
        .expect("answered");
    let resp = binary::decode(&bytes, &Default::default()).expect("a response");
    let mut items: Vec<Ttlv> = resp.find_all(Tag::BATCH_ITEM).cloned().collect();
    assert_eq!(items.len(), 1);
    items.remove(0)
}

fn status(item: &Ttlv) -> (u32, Option<u32>) {
    (
        item.find(Tag::RESULT_STATUS).and_then(Ttlv::as_enum).unwrap(),
        item.find(Tag::RESULT_REASON).and_then(Ttlv::as_enum),
    )
}

fn succeeded(item: &Ttlv) -> Ttlv {
    assert_eq!(status(item).0, ResultStatus::SUCCESS.0, "{item:?}");
    item.find(Tag::RESPONSE_PAYLOAD).cloned().unwrap()
}

fn uid(u: &str) -> Ttlv {
    Ttlv::text(Tag::UNIQUE_IDENTIFIER, u)
}

/// Creates an AES-256 key (KMIP 2.1), activates it, and returns its Unique Identifier.
fn create_aes(c: &mut KmipClient, name: &str) -> String {
    let v = Version::new(2, 1);
    let attrs = Ttlv::structure(
        Tag::ATTRIBUTES,
        vec![
            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::AES.0),
            Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, 256),
            Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 0x4 | 0x8),
            Ttlv::structure(
                Tag::NAME,
                vec![
                    Ttlv::text(Tag::NAME_VALUE, name),
                    Ttlv::enumeration(Tag::NAME_TYPE, 1),
                ],
            ),
        ],
    );
    let p = succeeded(&call(
        c,
        v,
        Operation::CREATE,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
            attrs,
        ],
    ));
    let u = p
        .find(Tag::UNIQUE_IDENTIFIER)
        .and_then(Ttlv::as_text)
        .unwrap()
        .to_string();
    succeeded(&call(c, v, Operation::ACTIVATE, vec![uid(&u)]));
    u
}

fn encrypt(u: &str) -> Vec<Ttlv> {
    vec![
        uid(u),
        Ttlv::structure(
            Tag::CRYPTOGRAPHIC_PARAMETERS,
            vec![
                Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, BlockCipherMode::CBC.0),
                Ttlv::enumeration(Tag::PADDING_METHOD, 3),
            ],
        ),
        Ttlv::bytes(Tag::DATA, b"cross-token probe".to_vec()),
        Ttlv::bytes(Tag::IV_COUNTER_NONCE, vec![7; 16]),
    ]
}

/// The request payload of a cross-token probe of `op` on `u`.
fn item_payload(op: Operation, u: &str) -> Vec<Ttlv> {
    if op == Operation::ENCRYPT {
        encrypt(u)
    } else {
        vec![uid(u)]
    }
}

fn replace_uid(payload: &[Ttlv], from: &str, to: &str) -> Vec<Ttlv> {
    payload
        .iter()
        .map(|t| {
            if t.tag == Tag::UNIQUE_IDENTIFIER && t.as_text() == Some(from) {
                uid(to)
            } else {
                t.clone()
            }
        })
        .collect()
}

fn message(item: &Ttlv) -> String {
    item.find(Tag::RESULT_MESSAGE)
        .and_then(Ttlv::as_text)
        .unwrap_or_default()
        .to_string()
}

/// Every Unique Identifier a Locate without criteria returns.
fn locate_all(c: &mut KmipClient, v: Version) -> Vec<String> {
    let p = succeeded(&call(c, v, Operation::LOCATE, vec![]));
    p.find_all(Tag::UNIQUE_IDENTIFIER)
        .filter_map(Ttlv::as_text)
        .map(str::to_string)
        .collect()
}

#[test]
fn a_client_reaches_only_its_own_tokens_objects() {
    let dir = tempfile::tempdir().unwrap();
    keystore(dir.path());
    let (pki, _) = pki(dir.path());
    let srv = Server::start(dir.path());
    let mut a = connect(&srv, &pki, &pki.a);
    let mut b = connect(&srv, &pki, &pki.b);
    let key_a = create_aes(&mut a, "owned-by-a");
    let key_b = create_aes(&mut b, "owned-by-b");
    let mut probes = 0;
    for v in [Version::new(1, 4), Version::new(2, 1)] {
        for (own, other, intruder, victim) in [(&key_a, &key_b, &mut a, "b"), (&key_b, &key_a, &mut b, "a")] {
            // The owner's view first: its key works, so a refusal below is about the token.
            succeeded(&call(intruder, v, Operation::ENCRYPT, encrypt(own)));
            let seen = locate_all(intruder, v);
            assert!(seen.contains(own), "{v}: Locate misses the client's own key");
            assert!(!seen.contains(other), "{v}: Locate lists token {victim}'s key");
            // Each answer is exactly the one for an identifier that exists nowhere (message
            // included, up to the identifier), so nothing tells the intruder the key exists.
            let nowhere = "0123456789abcdef0123456789abcdef";
            for (op, probe) in [
                (Operation::GET, vec![uid(other)]),
                (Operation::GET_ATTRIBUTES, vec![uid(other)]),
                (Operation::GET_ATTRIBUTE_LIST, vec![uid(other)]),
                (Operation::ACTIVATE, vec![uid(other)]),
                (Operation::ENCRYPT, encrypt(other)),
                (Operation::DESTROY, vec![uid(other)]),
            ] {
                let item = call(intruder, v, op, probe);
                let baseline = call(
                    intruder,
                    v,
                    op,
                    replace_uid(&item_payload(op, other), other, nowhere),
                );
                let (st, reason) = status(&item);
                assert_eq!(
                    st,
                    ResultStatus::OPERATION_FAILED.0,
                    "{v}: {op:?} on token {victim}'s key: {item:?}"
                );
                assert!(
                    [ResultReason::ITEM_NOT_FOUND.0, ResultReason::OBJECT_NOT_FOUND.0]
                        .contains(&reason.unwrap_or(0)),
                    "{v}: {op:?} on token {victim}'s key: {item:?}"
                );
                assert_eq!(
                    status(&item),
                    status(&baseline),
                    "{v}: {op:?}: unlike a missing object"
                );
                assert_eq!(
                    message(&item).replace(other.as_str(), nowhere),
                    message(&baseline),
                    "{v}: {op:?}: unlike a missing object"
                );
                probes += 1;
            }
            // Locate by the other key's name finds nothing either.
            let by_name = if v.major >= 2 {
                vec![Ttlv::structure(
                    Tag::ATTRIBUTES,
                    vec![Ttlv::structure(
                        Tag::NAME,
                        vec![
                            Ttlv::text(Tag::NAME_VALUE, format!("owned-by-{victim}")),
                            Ttlv::enumeration(Tag::NAME_TYPE, 1),
                        ],
                    )],
                )]
            } else {
                vec![Ttlv::structure(
                    Tag::ATTRIBUTE,
                    vec![
                        Ttlv::text(Tag::ATTRIBUTE_NAME, "Name"),
                        Ttlv::structure(
                            Tag::ATTRIBUTE_VALUE,
                            vec![
                                Ttlv::text(Tag::NAME_VALUE, format!("owned-by-{victim}")),
                                Ttlv::enumeration(Tag::NAME_TYPE, 1),
                            ],
                        ),
                    ],
                )]
            };
            let p = succeeded(&call(intruder, v, Operation::LOCATE, by_name));
            assert!(
                p.find(Tag::UNIQUE_IDENTIFIER).is_none(),
                "{v}: Locate by name: {p:?}"
            );
        }
    }
    // Nothing the intruders tried touched the owners' keys.
    for (c, k) in [(&mut a, &key_a), (&mut b, &key_b)] {
        succeeded(&call(c, Version::new(2, 1), Operation::GET, vec![uid(k)]));
        succeeded(&call(c, Version::new(2, 1), Operation::ENCRYPT, encrypt(k)));
    }
    println!("client_auth: {probes} cross-token requests, every one Item Not Found; Locate never listed the other token's key");
}
