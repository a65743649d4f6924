//! kmip-bench's workloads: KMIP 1.2 requests built once with the server's own TTLV codec, sent
//! by K client threads (one connection each) for a fixed time, every answer checked for
//! Result Status Success. The same requests go to both servers; only the Unique Identifiers
//! differ.

use super::kmip_servers::Pki;
use kmip_server::client::KmipClient;
use kmip_server::message;
use kmip_server::ttlv::binary;
use kmip_server::ttlv::enums::{
    BlockCipherMode, CryptographicAlgorithm, ObjectType, Operation, PaddingMethod, ResultStatus,
};
use kmip_server::ttlv::{Tag, Ttlv, Value};
use kmip_server::version::Version;
use std::net::SocketAddr;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// The protocol version of every request (PyKMIP's default, and a version both servers speak).
const MAJOR: i32 = 1;
const MINOR: i32 = 2;
/// A thread stops after this many failed requests (a broken server should not spin).
const MAX_ERRORS: u64 = 50;
/// Size of the Encrypt input.
pub const ENCRYPT_BYTES: usize = 1024;

/// What one row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Create of an AES-256 key (one durable write); the keys are left in the store.
    Create,
    /// Create an AES-256 key (left Pre-Active, so Destroy needs no Revoke), Get it, Destroy it.
    Cycle,
    /// Get of one existing AES-256 key.
    Get,
    /// AES-256-CBC (PKCS#5 padding, IV in the request) Encrypt of 1 KiB under an Active key.
    Encrypt,
    /// A new mutual-TLS connection with a full handshake (no session resumption), one Get,
    /// close.
    Churn,
    /// The same, resuming the client's earlier TLS session (abbreviated handshake), as a
    /// long-running client does.
    ChurnResumed,
}

impl Workload {
    /// Whether each op makes its own connection.
    pub fn reconnects(self) -> bool {
        matches!(self, Workload::Churn | Workload::ChurnResumed)
    }

    pub const ALL: [Workload; 6] = [
        Workload::Create,
        Workload::Cycle,
        Workload::Get,
        Workload::Encrypt,
        Workload::Churn,
        Workload::ChurnResumed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Create => "Create AES-256 key (durable)",
            Workload::Cycle => "Create+Get+Destroy AES-256 (one op = 3 requests)",
            Workload::Get => "Get AES-256 key",
            Workload::Encrypt => "Encrypt 1 KiB AES-256-CBC",
            Workload::Churn => "new TLS connection + Get (one op)",
            Workload::ChurnResumed => "resumed TLS connection + Get (one op)",
        }
    }
}

fn request(op: Operation, payload: Vec<Ttlv>) -> Vec<u8> {
    binary::encode(&message::request(Version::new(MAJOR, MINOR), vec![(op, payload)]))
}

fn attr(name: &str, value: Value) -> Ttlv {
    Ttlv::structure(
        Tag::ATTRIBUTE,
        vec![
            Ttlv::text(Tag::ATTRIBUTE_NAME, name),
            Ttlv::new(Tag::ATTRIBUTE_VALUE, value),
        ],
    )
}

/// Create of an AES-256 key for Encrypt and Decrypt (KMIP 1.2 Template-Attribute).
pub fn create_request() -> Vec<u8> {
    request(
        Operation::CREATE,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
            Ttlv::structure(
                Tag::TEMPLATE_ATTRIBUTE,
                vec![
                    attr(
                        "Cryptographic Algorithm",
                        Value::Enumeration(CryptographicAlgorithm::AES.0),
                    ),
                    attr("Cryptographic Length", Value::Integer(256)),
                    attr("Cryptographic Usage Mask", Value::Integer(0x4 | 0x8)),
                ],
            ),
        ],
    )
}

fn by_uid(op: Operation, uid: &str) -> Vec<u8> {
    request(op, vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid)])
}

fn encrypt_request(uid: &str) -> Vec<u8> {
    let data: Vec<u8> = (0..ENCRYPT_BYTES).map(|i| (i % 251) as u8).collect();
    request(
        Operation::ENCRYPT,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid),
            Ttlv::structure(
                Tag::CRYPTOGRAPHIC_PARAMETERS,
                vec![
                    Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, BlockCipherMode::CBC.0),
                    Ttlv::enumeration(Tag::PADDING_METHOD, PaddingMethod::PKCS5.0),
                    Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::AES.0),
                ],
            ),
            Ttlv::bytes(Tag::DATA, data),
            Ttlv::bytes(Tag::IV_COUNTER_NONCE, vec![0x5a; 16]),
        ],
    )
}

/// Sends one request and returns the response payload of its one batch item, or why it failed.
pub fn call(c: &mut KmipClient, req: &[u8]) -> Result<Ttlv, String> {
    let bytes = c.send_raw(req).map_err(|e| format!("I/O: {e}"))?;
    let msg = binary::decode(&bytes, &Default::default()).map_err(|e| format!("response: {e}"))?;
    let item = msg.find(Tag::BATCH_ITEM).ok_or("response without a batch item")?;
    let status = item.find(Tag::RESULT_STATUS).and_then(Ttlv::as_enum);
    if status != Some(ResultStatus::SUCCESS.0) {
        let reason = item.find(Tag::RESULT_REASON).and_then(Ttlv::as_enum);
        let text = item
            .find(Tag::RESULT_MESSAGE)
            .and_then(Ttlv::as_text)
            .unwrap_or("");
        return Err(format!("failed: reason {reason:?}: {text}"));
    }
    Ok(item
        .find(Tag::RESPONSE_PAYLOAD)
        .cloned()
        .unwrap_or_else(|| Ttlv::structure(Tag::RESPONSE_PAYLOAD, Vec::new())))
}

fn uid_of(payload: &Ttlv) -> Result<String, String> {
    payload
        .find(Tag::UNIQUE_IDENTIFIER)
        .and_then(Ttlv::as_text)
        .map(str::to_string)
        .ok_or_else(|| "no Unique Identifier in the response".to_string())
}

/// Keys each server holds before the rows run: one to Get, one Active key to encrypt with.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub get_uid: String,
    pub encrypt_uid: String,
}

impl Fixture {
    pub fn make(addr: SocketAddr, pki: &Pki) -> Result<Fixture, String> {
        let mut c = connect(addr, pki)?;
        let get_uid = uid_of(&call(&mut c, &create_request())?)?;
        let encrypt_uid = uid_of(&call(&mut c, &create_request())?)?;
        call(&mut c, &by_uid(Operation::ACTIVATE, &encrypt_uid))?;
        // The Encrypt answer must hold 1 KiB padded to 1040 bytes.
        let out = call(&mut c, &encrypt_request(&encrypt_uid))?;
        let n = out
            .find(Tag::DATA)
            .and_then(Ttlv::as_bytes)
            .map_or(0, <[u8]>::len);
        if n != ENCRYPT_BYTES + 16 {
            return Err(format!("Encrypt returned {n} bytes, not {}", ENCRYPT_BYTES + 16));
        }
        c.close();
        Ok(Fixture { get_uid, encrypt_uid })
    }
}

/// What K threads did in one row.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub ops: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Per-op latencies in microseconds, sorted.
    pub latencies_us: Vec<u32>,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`-th percentile latency in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> Option<f64> {
        let n = self.latencies_us.len();
        if n == 0 {
            return None;
        }
        let i = ((n as f64 * p / 100.0).ceil() as usize).clamp(1, n) - 1;
        Some(f64::from(self.latencies_us[i]) / 1000.0)
    }
}

/// A connection with a full handshake.
fn connect(addr: SocketAddr, pki: &Pki) -> Result<KmipClient, String> {
    KmipClient::connect_configured(addr, pki.config.clone(), &pki.options())
        .map_err(|e| format!("connect: {e}"))
}

/// A connection that resumes the client's TLS session when the server offers it.
fn connect_resuming(addr: SocketAddr, pki: &Pki) -> Result<KmipClient, String> {
    KmipClient::connect_configured(addr, pki.resuming.clone(), &pki.options())
        .map_err(|e| format!("connect: {e}"))
}

/// Create, Get and Destroy of a fresh key on one connection.
fn cycle(conn: &mut KmipClient, reqs: &Requests) -> Result<(), String> {
    let uid = uid_of(&call(conn, &reqs.create)?)?;
    call(conn, &by_uid(Operation::GET, &uid))?;
    call(conn, &by_uid(Operation::DESTROY, &uid))?;
    Ok(())
}

/// One op of workload `w`: on the thread's connection `c` (made again after an I/O failure),
/// or for the churn rows on a connection of its own.
fn one_op(
    w: Workload,
    addr: SocketAddr,
    pki: &Pki,
    c: &mut Option<KmipClient>,
    reqs: &Requests,
) -> Result<(), String> {
    if w.reconnects() {
        let mut fresh = if w == Workload::ChurnResumed {
            connect_resuming(addr, pki)?
        } else {
            connect(addr, pki)?
        };
        call(&mut fresh, &reqs.get)?;
        fresh.close();
        return Ok(());
    }
    if c.is_none() {
        *c = Some(connect(addr, pki)?);
    }
    let conn = c.as_mut().expect("connected above");
    let r = match w {
        Workload::Create => call(conn, &reqs.create).map(|_| ()),
        Workload::Cycle => cycle(conn, reqs),
        Workload::Get => call(conn, &reqs.get).map(|_| ()),
        Workload::Encrypt => call(conn, &reqs.encrypt).map(|_| ()),
        Workload::Churn | Workload::ChurnResumed => unreachable!("returned above"),
    };
    if r.as_ref()
        .is_err_and(|e| e.starts_with("I/O") || e.starts_with("response"))
    {
        *c = None;
    }
    r
}

/// The requests of a row, encoded once.
struct Requests {
    create: Vec<u8>,
    get: Vec<u8>,
    encrypt: Vec<u8>,
}

/// Runs workload `w` with `k` connections for `secs` against the server at `addr`.
pub fn run(w: Workload, addr: SocketAddr, pki: &Pki, fx: &Fixture, k: usize, secs: f64) -> Outcome {
    let reqs = Arc::new(Requests {
        create: create_request(),
        get: by_uid(Operation::GET, &fx.get_uid),
        encrypt: encrypt_request(&fx.encrypt_uid),
    });
    let barrier = Arc::new(Barrier::new(k + 1));
    let run_for = Duration::from_secs_f64(secs);
    let mut handles = Vec::with_capacity(k);
    for _ in 0..k {
        let (barrier, reqs, pki) = (barrier.clone(), reqs.clone(), pki.clone());
        handles.push(std::thread::spawn(move || {
            let mut conn = if w.reconnects() {
                None
            } else {
                connect(addr, &pki).ok()
            };
            let mut out = Outcome::default();
            barrier.wait();
            let start = Instant::now();
            let deadline = start + run_for;
            while Instant::now() < deadline && out.errors < MAX_ERRORS {
                let t0 = Instant::now();
                match one_op(w, addr, &pki, &mut conn, &reqs) {
                    Ok(()) => {
                        out.ops += 1;
                        let us = t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                        out.latencies_us.push(us);
                    }
                    Err(e) => {
                        out.errors += 1;
                        out.first_error.get_or_insert(e);
                    }
                }
            }
            out.elapsed = start.elapsed();
            if let Some(c) = conn {
                c.close();
            }
            out
        }));
    }
    barrier.wait();
    let mut all = Outcome::default();
    for h in handles {
        let o = h.join().unwrap_or_else(|_| Outcome {
            errors: 1,
            first_error: Some("a client thread panicked".into()),
            ..Outcome::default()
        });
        all.ops += o.ops;
        all.errors += o.errors;
        if all.first_error.is_none() {
            all.first_error = o.first_error;
        }
        all.latencies_us.extend(o.latencies_us);
        all.elapsed = all.elapsed.max(o.elapsed);
    }
    all.latencies_us.sort_unstable();
    all
}
