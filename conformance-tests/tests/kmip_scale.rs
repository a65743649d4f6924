//! Hostile input at scale against a real `kmip-server` process: a batch of 100,000 items,
//! nesting 10,000 deep, a request of 150,000 items, a Locate over a token of many objects,
//! connections that send nothing or never finish the TLS handshake, and 1,000 connections at
//! once. Each is bounded by a `[kmip]` limit and answered with its Result Reason (or closed),
//! a good client is served meanwhile, and the server's peak resident memory (`VmHWM` from
//! `/proc`) stays under a stated bound.
//!
//! `SOFTHSM_LONG=1` makes the Locate store a million objects (CI: 10,000;
//! `SOFTHSM_LOCATE_OBJECTS=n` sets any other count).

use conformance_tests::harness::note;
use conformance_tests::kmip_process::{aes_create_payload, KmipProcess};
use kmip_server::client::{client_config, ClientOptions, KmipClient};
use kmip_server::message::request;
use kmip_server::ttlv::binary::{self, Limits};
use kmip_server::ttlv::enums::{ObjectType, Operation, ResultReason};
use kmip_server::ttlv::{Tag, Ttlv};
use kmip_server::version::Version;
use softhsm::store::{Store, Write};
use std::io::{Read, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// Peak resident memory the server may reach in these tests. A fresh debug server sits near
/// 20 MiB; the bound leaves room for 1,000 TLS connections (a few tens of KiB each) and the
/// 16 MiB message buffer, and is far below what any of the inputs would cost unbounded (a
/// decoded 100,000-item batch, a million identifiers).
const PEAK_BOUND_KIB: u64 = 128 * 1024;

const V21: Version = Version::new(2, 1);

fn config(dir: &Path, kmip: &str) -> String {
    format!(
        "[store]\npath = \"{}\"\n[pin]\nkdf_iterations = 1000\n[kmip]\ndev_ca_dir = \"{}\"\n{kmip}\n",
        dir.join("store.db").display(),
        dir.join("certs").display()
    )
}

fn encode(v: Version, items: Vec<(Operation, Vec<Ttlv>)>) -> Vec<u8> {
    binary::encode(&request(v, items))
}

fn discover() -> Vec<u8> {
    encode(V21, vec![(Operation::DISCOVER_VERSIONS, vec![])])
}

/// The first batch item's Result Reason and Result Message (None: success).
fn failure_of(answer: &[u8]) -> Option<(u32, String)> {
    let resp = binary::decode(answer, &Limits::default()).expect("a response decodes");
    let item = resp.find(Tag::BATCH_ITEM).expect("a batch item");
    let reason = item.find(Tag::RESULT_REASON)?.as_enum()?;
    let msg = item
        .find(Tag::RESULT_MESSAGE)
        .and_then(Ttlv::as_text)
        .unwrap_or_default();
    Some((reason, msg.to_string()))
}

/// A good client is answered.
fn still_serves(srv: &KmipProcess) {
    let answer = srv
        .connect()
        .send_raw(&discover())
        .expect("a good client is answered");
    assert_eq!(failure_of(&answer), None);
}

fn assert_memory_bounded(srv: &KmipProcess, after: &str) {
    let m = srv.memory();
    note(&format!(
        "after {after}: server VmRSS {} KiB, VmHWM {} KiB (bound {PEAK_BOUND_KIB} KiB)",
        m.rss_kib, m.peak_kib
    ));
    assert!(
        m.peak_kib < PEAK_BOUND_KIB,
        "after {after}: peak {} KiB",
        m.peak_kib
    );
}

/// A request message whose one batch item's payload nests `depth` empty structures, built as
/// bytes (a tree that deep would make any recursive encoder the thing under test).
fn nested_request(depth: usize) -> Vec<u8> {
    let mut nest = Vec::with_capacity(depth * 8);
    for i in 0..depth {
        let len = ((depth - 1 - i) * 8) as u32;
        nest.extend_from_slice(&[0x42, 0x00, 0x79, 0x01]);
        nest.extend_from_slice(&len.to_be_bytes());
    }
    let op = binary::encode(&Ttlv::enumeration(Tag::OPERATION, Operation::LOCATE.0));
    let mut item = vec![0x42, 0x00, 0x0F, 0x01];
    item.extend_from_slice(&((op.len() + nest.len()) as u32).to_be_bytes());
    item.extend(op);
    item.extend(nest);
    let msg = binary::encode(&request(V21, vec![]));
    let header_part = &msg[8..];
    let mut out = vec![0x42, 0x00, 0x78, 0x01];
    out.extend_from_slice(&((header_part.len() + item.len()) as u32).to_be_bytes());
    out.extend_from_slice(header_part);
    out.extend(item);
    out
}

#[test]
fn oversized_requests_are_refused_with_server_limit_exceeded() {
    let dir = tempfile::tempdir().unwrap();
    let srv = KmipProcess::start(dir.path(), &config(dir.path(), ""));
    still_serves(&srv);
    let start = srv.memory();
    note(&format!(
        "fresh server: VmRSS {} KiB, VmHWM {} KiB",
        start.rss_kib, start.peak_kib
    ));

    // 100,000 Batch Items (3.2 MB, under max_message_size): counted from their headers and
    // refused before anything is decoded, on the same connection that stays usable.
    let batch = encode(V21, vec![(Operation::DISCOVER_VERSIONS, vec![]); 100_000]);
    let mut c = srv.connect();
    let t = Instant::now();
    let answer = c.send_raw(&batch).expect("answered, not closed");
    let (reason, msg) = failure_of(&answer).expect("refused");
    note(&format!(
        "100,000 batch items ({} bytes): reason 0x{reason:X} in {:?}: {msg}",
        batch.len(),
        t.elapsed()
    ));
    assert_eq!(reason, ResultReason::SERVER_LIMIT_EXCEEDED.0);
    assert!(msg.contains("kmip.max_batch_items"), "{msg}");
    // A KMIP 1.4 client gets the 1.x reason for the same refusal.
    let batch14 = encode(
        Version::new(1, 4),
        vec![(Operation::DISCOVER_VERSIONS, vec![]); 100_000],
    );
    let (reason, _) = failure_of(&c.send_raw(&batch14).unwrap()).expect("refused");
    assert_eq!(reason, ResultReason::GENERAL_FAILURE.0);
    assert_eq!(failure_of(&c.send_raw(&discover()).unwrap()), None);
    assert_memory_bounded(&srv, "a 100,000-item batch");

    // Nesting 10,000 deep: the decoder stops at kmip.max_nesting_depth, no stack overflow.
    let deep = nested_request(10_000);
    let (reason, msg) = failure_of(&c.send_raw(&deep).expect("answered")).expect("refused");
    note(&format!(
        "nesting 10,000 deep ({} bytes): reason 0x{reason:X}: {msg}",
        deep.len()
    ));
    assert_eq!(reason, ResultReason::SERVER_LIMIT_EXCEEDED.0);
    assert!(msg.contains("kmip.max_nesting_depth"), "{msg}");
    still_serves(&srv);

    // One Locate of 150,000 attributes: above kmip.max_message_items.
    let filters: Vec<Ttlv> = (0..150_000)
        .map(|i| Ttlv::text(Tag::UNIQUE_IDENTIFIER, format!("{i}")))
        .collect();
    let many = encode(V21, vec![(Operation::LOCATE, filters)]);
    let (reason, msg) = failure_of(&c.send_raw(&many).expect("answered")).expect("refused");
    note(&format!(
        "150,000 items in one request ({} bytes): reason 0x{reason:X}: {msg}",
        many.len()
    ));
    assert_eq!(reason, ResultReason::SERVER_LIMIT_EXCEEDED.0);
    assert!(msg.contains("kmip.max_message_items"), "{msg}");
    still_serves(&srv);
    assert_memory_bounded(&srv, "nesting and item limits");
}

/// Reads until the server closes, bounded in time; how long that took, or None.
fn closed_within(s: &mut TcpStream, within: Duration) -> Option<Duration> {
    let t = Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut buf = [0u8; 1024];
    while t.elapsed() < within {
        match s.read(&mut buf) {
            Ok(0) => return Some(t.elapsed()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Some(t.elapsed()),
        }
    }
    None
}

#[test]
fn silent_and_half_handshaken_connections_are_closed_while_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let srv = KmipProcess::start(dir.path(), &config(dir.path(), "handshake_timeout_secs = 2"));
    // 100 connections that send nothing, 100 that send half a TLS ClientHello.
    let mut silent: Vec<TcpStream> = (0..100).map(|_| TcpStream::connect(srv.addr).unwrap()).collect();
    let mut half: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut s = TcpStream::connect(srv.addr).unwrap();
            // A handshake record header announcing 512 bytes, and 5 of them.
            s.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03])
                .unwrap();
            s
        })
        .collect();
    // Meanwhile a good client is served.
    still_serves(&srv);
    let mut slowest = Duration::ZERO;
    for s in silent.iter_mut().chain(half.iter_mut()) {
        let t = closed_within(s, Duration::from_secs(15)).expect("closed by the server");
        slowest = slowest.max(t);
    }
    note(&format!("200 silent / half-handshaken connections closed; the last after {slowest:?} (handshake_timeout_secs = 2)"));
    still_serves(&srv);
    assert_memory_bounded(&srv, "200 silent connections");
}

/// Raises this test process's soft open-file limit (1,000 client sockets); the hard limit if
/// that is lower.
fn raise_own_fd_limit(need: u64) -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let now = getrlimit(Resource::Nofile);
    let hard = now.maximum.unwrap_or(u64::MAX);
    let want = need.min(hard);
    if now.current.unwrap_or(u64::MAX) < want {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(want),
                maximum: now.maximum,
            },
        );
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

#[test]
fn a_thousand_connections_at_once_and_the_next_is_refused() {
    const N: usize = 1_000;
    let limit = raise_own_fd_limit(N as u64 + 200);
    if limit < N as u64 + 100 {
        note(&format!(
            "SKIPPED: 1,000 connections at once: this process may open only {limit} files"
        ));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let srv = KmipProcess::start(dir.path(), &config(dir.path(), &format!("max_connections = {N}")));
    let opts = ClientOptions::new(&srv.ca, &srv.cert, &srv.key);
    let tls = client_config(&opts).unwrap();
    let t = Instant::now();
    let mut clients: Vec<KmipClient> = Vec::with_capacity(N);
    for i in 0..N {
        let mut c = KmipClient::connect_configured(srv.addr, tls.clone(), &opts)
            .unwrap_or_else(|e| panic!("connection {i}: {e}"));
        let answer = c
            .send_raw(&discover())
            .unwrap_or_else(|e| panic!("connection {i}: {e}"));
        assert_eq!(failure_of(&answer), None);
        clients.push(c);
    }
    note(&format!(
        "{N} TLS connections open and served in {:?}",
        t.elapsed()
    ));
    // The 1,001st is accepted and closed at once: its handshake fails, quickly.
    let t = Instant::now();
    let next = KmipClient::connect_configured(srv.addr, tls.clone(), &opts)
        .and_then(|mut c| c.send_raw(&discover()));
    let refused_in = t.elapsed();
    note(&format!(
        "connection {}: {:?} after {refused_in:?}",
        N + 1,
        next.as_ref().map(|_| "answered").map_err(|e| e.to_string())
    ));
    assert!(
        next.is_err(),
        "the connection over kmip.max_connections is refused"
    );
    assert!(
        refused_in < Duration::from_secs(5),
        "refused at once, not by a timeout"
    );
    // Every one of the 1,000 still works.
    for (i, c) in clients.iter_mut().enumerate() {
        let answer = c
            .send_raw(&discover())
            .unwrap_or_else(|e| panic!("connection {i} again: {e}"));
        assert_eq!(failure_of(&answer), None);
    }
    assert_memory_bounded(&srv, "1,000 connections");
    // One leaves; a new client takes its place.
    clients.pop().unwrap().close();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = KmipClient::connect_configured(srv.addr, tls.clone(), &opts)
            .and_then(|mut c| c.send_raw(&discover()));
        match r {
            Ok(a) => {
                assert_eq!(failure_of(&a), None);
                break;
            }
            Err(e) => {
                assert!(Instant::now() < deadline, "a freed slot is never reused: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// The Unique Identifiers and Located Items of a Locate answer.
fn located(answer: &[u8]) -> (usize, Option<i32>) {
    let resp = binary::decode(answer, &Limits::default()).expect("a response decodes");
    let payload = resp
        .find(Tag::BATCH_ITEM)
        .and_then(|i| i.find(Tag::RESPONSE_PAYLOAD))
        .expect("a Locate payload");
    let ids = payload
        .items()
        .iter()
        .filter(|t| t.tag == Tag::UNIQUE_IDENTIFIER)
        .count();
    (ids, payload.find(Tag::LOCATED_ITEMS).and_then(Ttlv::as_int))
}

/// Copies the token's one object `n - 1` times straight into the store (no sealed part: the
/// Locate reads only public attributes), in transactions of 10,000.
fn fill_store(store_path: &Path, n: usize) {
    let mut store = softhsm::store::sqlite::SqliteStore::open(store_path, Duration::from_secs(30)).unwrap();
    let token = store
        .tokens()
        .unwrap()
        .into_iter()
        .next()
        .expect("the kmip token");
    let found = store.find(token.id, &[], true).unwrap();
    assert_eq!(found.len(), 1, "one object to copy");
    let model = store.load(token.id, &found[0].0).unwrap().unwrap();
    let mut made = 1;
    while made < n {
        let chunk: Vec<Write> = (made..n.min(made + 10_000))
            .map(|i| {
                let uid = format!("bulk-{i:07}");
                let mut o = model.clone();
                o.uid = uid.clone();
                o.sealed = None;
                for (ty, v) in o.attrs.iter_mut() {
                    if *ty == cryptoki_sys::CKA_UNIQUE_ID {
                        *v = uid.as_bytes().to_vec();
                    }
                }
                Write::Insert(o)
            })
            .collect();
        let writes: Vec<(i64, &Write)> = chunk.iter().map(|w| (token.id, w)).collect();
        for r in store.apply(&writes).unwrap() {
            r.unwrap();
        }
        made += chunk.len();
    }
}

#[test]
fn locate_over_many_objects_is_capped_and_paged() {
    let n: usize = match std::env::var("SOFTHSM_LOCATE_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(n) => n,
        None if std::env::var_os("SOFTHSM_LONG").is_some() => 1_000_000,
        None => 10_000,
    };
    let dir = tempfile::tempdir().unwrap();
    let conf = config(dir.path(), "max_locate_items = 5000");
    let srv = KmipProcess::start(dir.path(), &conf);
    let create = encode(
        V21,
        vec![(Operation::CREATE, aes_create_payload(256, 0x4 | 0x8, vec![]))],
    );
    assert_eq!(failure_of(&srv.connect().send_raw(&create).unwrap()), None);
    srv.stop();
    let t = Instant::now();
    fill_store(&dir.path().join("store.db"), n);
    note(&format!("{n} objects in the store after {:?}", t.elapsed()));

    let srv = KmipProcess::start(dir.path(), &conf);
    let before = srv.memory();
    let mut c = srv.connect();
    // No Maximum Items: kmip.max_locate_items identifiers, every match counted.
    let t = Instant::now();
    let all = encode(
        V21,
        vec![(
            Operation::LOCATE,
            vec![Ttlv::structure(
                Tag::ATTRIBUTES,
                vec![Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0)],
            )],
        )],
    );
    let (ids, total) = located(&c.send_raw(&all).expect("answered"));
    let after = srv.memory();
    note(&format!(
        "Locate over {n} objects: {ids} identifiers, Located Items {total:?}, {:?}; server VmHWM {} -> {} KiB",
        t.elapsed(),
        before.peak_kib,
        after.peak_kib
    ));
    assert_eq!(ids, 5_000);
    assert_eq!(total, Some(n as i32));
    // Maximum Items above the cap is cut to it; below, it is honoured.
    let asks = |max: i32| {
        encode(
            V21,
            vec![(Operation::LOCATE, vec![Ttlv::int(Tag::MAXIMUM_ITEMS, max)])],
        )
    };
    assert_eq!(located(&c.send_raw(&asks(1_000_000)).unwrap()).0, 5_000);
    assert_eq!(located(&c.send_raw(&asks(7)).unwrap()).0, 7);
    // The pages are held one at a time and a search leaves no handle behind, so the peak grows
    // by a bound that does not depend on how many objects the token holds.
    let grew = after.peak_kib.saturating_sub(before.peak_kib);
    let allowed = 64 * 1024;
    assert!(
        grew < allowed,
        "the peak grew by {grew} KiB (allowed {allowed} KiB)"
    );
    if n <= 10_000 {
        assert_memory_bounded(&srv, "Locate over many objects");
    }
    still_serves(&srv);
}
