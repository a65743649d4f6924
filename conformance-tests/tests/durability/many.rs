//! Many processes at once on one token: [`P11_PROCESSES`] `p11-durability mixed` processes
//! and [`KMIP_CONNECTIONS`] KMIP connections (through one `kmip-server` process) read and
//! write for a fixed time; no operation may fail except where the standard says it does (an
//! object another worker destroyed meanwhile), and afterwards the token holds exactly what the
//! workers say they left, every object readable through both doors. Also: many processes
//! opening a keystore that does not exist yet, at once.

use crate::common::*;
use conformance_tests::durability::{data_value, key_bytes, split_version, versioned, Dumped, Rng};
use conformance_tests::kmip_process::call;
use kmip_server::client::KmipClient;
use kmip_server::ttlv::enums::{Operation, ResultReason};
use kmip_server::ttlv::{Tag, Ttlv};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const P11_PROCESSES: usize = 8;
const KMIP_CONNECTIONS: usize = 8;
/// Objects a KMIP connection keeps at most; past it, it destroys before it registers.
const KMIP_LIVE: usize = 40;

#[derive(Default)]
struct Tally {
    counts: BTreeMap<String, u64>,
    created: u64,
    destroyed: u64,
    errors: Vec<String>,
}

impl Tally {
    fn count(&mut self, kind: &str) {
        *self.counts.entry(kind.to_string()).or_default() += 1;
    }

    fn add(&mut self, other: &BTreeMap<String, u64>) {
        for (k, v) in other {
            *self.counts.entry(k.clone()).or_default() += v;
        }
    }

    fn ops(&self) -> u64 {
        self.counts.values().sum()
    }

    fn kinds(&self) -> String {
        let v: Vec<String> = self.counts.iter().map(|(k, n)| format!("{k}={n}")).collect();
        v.join(", ")
    }
}

/// One request that must succeed (else the error is returned as text).
fn ok(conn: &mut KmipClient, op: Operation, payload: Vec<Ttlv>) -> Result<Ttlv, String> {
    match call(conn, V, op, payload) {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(reason)) => Err(format!("{op:?}: {reason:?}")),
        Err(e) => Err(format!("{op:?}: connection failed: {e}")),
    }
}

/// One step of a KMIP connection's mix (`live`: identity, Unique Identifier, version).
fn kmip_step(
    conn: &mut KmipClient,
    tag: &str,
    rng: &mut Rng,
    live: &mut Vec<(String, String, u32)>,
    n: &mut u64,
    t: &mut Tally,
) -> Result<(), String> {
    match rng.below(12) {
        0..=2 if live.len() < KMIP_LIVE => {
            let id = format!("{tag}-{n}");
            *n += 1;
            let p = ok(conn, Operation::REGISTER, register_aes(&id, &versioned(&id, 0)))?;
            let u = uid_of(&p).ok_or("Register: no Unique Identifier")?;
            live.push((id, u, 0));
            t.count("register");
            t.created += 1;
        }
        3 | 4 if !live.is_empty() => {
            let i = rng.below(live.len() as u64) as usize;
            let (id, u, ver) = &mut live[i];
            ok(
                conn,
                Operation::MODIFY_ATTRIBUTE,
                modify_name(u, &versioned(id, *ver + 1)),
            )?;
            *ver += 1;
            t.count("modify");
        }
        5 | 6 if !live.is_empty() => {
            let (id, u, _) = &live[rng.below(live.len() as u64) as usize];
            let p = ok(conn, Operation::GET, uid(u))?;
            let material = deep(&p, Tag::KEY_MATERIAL).and_then(Ttlv::as_bytes);
            if material != Some(&key_bytes(id)[..]) {
                return Err(format!("Get {id}: key material {material:?}"));
            }
            t.count("get own");
        }
        7..=9 => {
            // A module process's data object, which its owner may destroy at any moment: Item
            // Not Found (Object Not Found in 2.x) for a Get after the Locate is the standard's
            // answer then. (Their
            // even-numbered objects are data objects, the odd ones keys.)
            let id = format!("m{}-{}", rng.below(P11_PROCESSES as u64), 2 * rng.below(*n + 1));
            let p = ok(conn, Operation::LOCATE, locate_name(&versioned(&id, 0)))?;
            t.count("locate other");
            if let Some(u) = uid_of(&p) {
                match call(conn, V, Operation::GET, uid(&u)) {
                    Ok(Ok(g)) => {
                        let v = deep(&g, Tag::OPAQUE_DATA_VALUE).and_then(Ttlv::as_bytes);
                        if v != Some(&data_value(&id)[..]) {
                            return Err(format!("Get {id} (made through PKCS#11): {v:?}"));
                        }
                        t.count("get other");
                    }
                    Ok(Err(ResultReason::ITEM_NOT_FOUND | ResultReason::OBJECT_NOT_FOUND)) => {
                        t.count("gone meanwhile")
                    }
                    Ok(Err(r)) => return Err(format!("Get {id}: {r:?}")),
                    Err(e) => return Err(format!("Get {id}: connection failed: {e}")),
                }
            }
        }
        _ if !live.is_empty() => {
            let (_, u, _) = live.swap_remove(rng.below(live.len() as u64) as usize);
            ok(conn, Operation::DESTROY, uid(&u))?;
            t.count("destroy");
            t.destroyed += 1;
        }
        _ => {}
    }
    Ok(())
}

fn kmip_mixed(mut conn: KmipClient, tag: String, mut rng: Rng, deadline: Instant) -> Tally {
    let (mut live, mut n, mut t) = (Vec::new(), 0u64, Tally::default());
    while Instant::now() < deadline && t.errors.len() < 5 {
        if let Err(e) = kmip_step(&mut conn, &tag, &mut rng, &mut live, &mut n, &mut t) {
            t.errors.push(format!("KMIP {tag}: {e}"));
        }
    }
    t
}

/// `mixed m3: created C destroyed D ops N errors E (kind=n, …)`
fn parse_summary(line: &str) -> Option<(u64, u64, BTreeMap<String, u64>)> {
    let (head, kinds) = line.split_once(" (")?;
    let f: Vec<&str> = head.split(' ').collect();
    let created = f.get(3)?.parse().ok()?;
    let destroyed = f.get(5)?.parse().ok()?;
    let mut counts = BTreeMap::new();
    for kv in kinds.trim_end_matches(')').split(", ").filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=')?;
        counts.insert(k.to_string(), v.parse().ok()?);
    }
    Some((created, destroyed, counts))
}

#[test]
fn many_processes_at_once() {
    let _serial = crate::one_at_a_time();
    let seconds: u64 = if long() { 120 } else { 10 };
    let mut rng = Rng::new(seed("SOFTHSM_MANY_SEED", "many processes"));
    let env = Env::new();
    let server = env.server();
    let workers: Vec<Helper> = (0..P11_PROCESSES)
        .map(|w| {
            let mut cmd = env.helper(&[
                "mixed",
                &format!("m{w}"),
                &seconds.to_string(),
                &rng.next_u64().to_string(),
            ]);
            cmd.env("P11_WORKERS", P11_PROCESSES.to_string());
            Helper::spawn(cmd)
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let kmip: Vec<_> = (0..KMIP_CONNECTIONS)
        .map(|c| {
            let (conn, rng) = (server.connect(), Rng::new(rng.next_u64()));
            std::thread::spawn(move || kmip_mixed(conn, format!("c{c}"), rng, deadline))
        })
        .collect();

    let (mut p11, mut kmip_tally) = (Tally::default(), Tally::default());
    for (w, h) in workers.into_iter().enumerate() {
        let (status, lines, stderr) = h.finish();
        let summary = lines.iter().find(|l| l.starts_with(&format!("mixed m{w}:")));
        assert!(
            status.success(),
            "module process m{w} failed ({status}):\n{}\n{stderr}",
            lines.join("\n")
        );
        let (c, d, counts) = summary
            .and_then(|l| parse_summary(l))
            .unwrap_or_else(|| panic!("no summary from m{w}: {lines:?}"));
        p11.created += c;
        p11.destroyed += d;
        p11.add(&counts);
    }
    for h in kmip {
        let t = h.join().expect("a KMIP thread");
        assert!(
            t.errors.is_empty(),
            "KMIP operations failed:\n{}",
            t.errors.join("\n")
        );
        kmip_tally.created += t.created;
        kmip_tally.destroyed += t.destroyed;
        kmip_tally.add(&t.counts);
    }
    let expected = p11.created - p11.destroyed + kmip_tally.created - kmip_tally.destroyed;

    // Through the module: exactly the objects the workers left (and the remains of the keys
    // destroyed over KMIP, which keeps a Destroyed object's metadata), each one reading right.
    let dump = env.dump();
    let mut live = 0u64;
    for d in &dump {
        match identify(d) {
            Ok(Some(_)) => live += 1,
            Ok(None) => {}
            Err(p) => panic!("an object does not read right: {p}"),
        }
    }
    assert_eq!(live, expected, "live objects on the token, through the module");
    assert_eq!(
        dump.len() as u64 - live,
        kmip_tally.destroyed,
        "remains of keys destroyed over KMIP"
    );

    // Through KMIP: the same objects, each one's attributes and (where not sensitive) value.
    let mut conn = server.connect();
    let located = ok(&mut conn, Operation::LOCATE, vec![]).expect("Locate every object");
    let uids: Vec<String> = located
        .find_all(Tag::UNIQUE_IDENTIFIER)
        .filter_map(|u| u.as_text().map(str::to_string))
        .collect();
    assert!(
        uids.len() as u64 == expected || uids.len() == dump.len(),
        "Locate found {} objects; {expected} live, {} in all",
        uids.len(),
        dump.len()
    );
    let by_uid: BTreeMap<&str, &Dumped> = dump
        .iter()
        .map(|d| match d {
            Dumped::Data { uid, .. } | Dumped::Key { uid, .. } => (uid.as_str(), d),
        })
        .collect();
    for u in &uids {
        let d = by_uid
            .get(u.as_str())
            .unwrap_or_else(|| panic!("{u} is seen through KMIP only"));
        ok(&mut conn, Operation::GET_ATTRIBUTES, uid(u)).unwrap_or_else(|e| panic!("{u}: {e}"));
        let (want, tag) = match d {
            Dumped::Key { destroyed: true, .. } => continue,
            Dumped::Data { label, .. } => {
                let (id, _) = split_version(label).expect("checked above");
                (data_value(&id), Tag::OPAQUE_DATA_VALUE)
            }
            // A module process's key is sensitive: KMIP may not return its value.
            Dumped::Key { value: None, .. } => continue,
            Dumped::Key { label, .. } => {
                let (id, _) = split_version(label).expect("checked above");
                (key_bytes(&id).to_vec(), Tag::KEY_MATERIAL)
            }
        };
        let got = ok(&mut conn, Operation::GET, uid(u)).unwrap_or_else(|e| panic!("{u}: {e}"));
        assert_eq!(
            deep(&got, tag).and_then(Ttlv::as_bytes),
            Some(&want[..]),
            "Get {u}"
        );
    }
    drop(conn);
    drop(server);
    env.check_integrity();
    note(&format!(
        "many processes: {P11_PROCESSES} module processes and {KMIP_CONNECTIONS} KMIP connections for {seconds} s: \
         {} operations through the module ({}), {} through KMIP ({}); {expected} objects left, \
         all readable through both doors; 0 failed",
        p11.ops(),
        p11.kinds(),
        kmip_tally.ops(),
        kmip_tally.kinds()
    ));
}

/// Many processes open a keystore that does not exist yet at the same moment (schema set-up,
/// WAL switch, the server's first start making its token): every one succeeds.
#[test]
fn a_new_keystore_opened_by_many_processes_at_once() {
    let _serial = crate::one_at_a_time();
    let (tries, processes) = if long() { (50, 16) } else { (5, 8) };
    let mut opened = 0;
    for _ in 0..tries {
        let env = Env::new();
        let helpers: Vec<Helper> = (0..processes)
            .map(|_| Helper::spawn(env.helper(&["open"])))
            .collect();
        let server = env.server();
        for h in helpers {
            let (status, lines, stderr) = h.finish();
            assert!(
                status.success() && lines.iter().any(|l| l.starts_with("open: ")),
                "a process opening a new keystore failed ({status}):\n{}\n{stderr}\n{}",
                lines.join("\n"),
                env.log_tail()
            );
            opened += 1;
        }
        drop(server);
        env.check_integrity();
    }
    note(&format!("new keystore: {tries} times {processes} processes and the server opened it at once; {opened} opens, 0 failed"));
}
