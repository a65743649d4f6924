//! Crash consistency: writers through both doors killed with SIGKILL at random moments.
//!
//! Each round starts a `kmip-server` process and [`P11_WRITERS`] `p11-durability write`
//! processes on one keystore; the PKCS#11 writers ([`P11_THREADS`] threads each) and
//! [`KMIP_WRITERS`] KMIP connections (in this process) create, modify and destroy objects, each
//! announcing an operation before it starts (`try`) and acknowledging it only once it
//! succeeded (`ack`). At a random moment the writers and the server are killed (SIGKILL, in a
//! random order). Then the store must open, hold every acknowledged write (and no acknowledged
//! destroy), every object in it must still unseal (data values read, sensitive keys encrypt
//! correctly), and `PRAGMA integrity_check` must pass. The store continues from round to round,
//! and starts afresh every [`ROUNDS_PER_STORE`] rounds.

use crate::common::*;
use conformance_tests::durability::{versioned, Dumped, Rng};
use conformance_tests::kmip_process::{call, KmipProcess};
use kmip_server::ttlv::enums::Operation;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

const P11_WRITERS: usize = 2;
const P11_THREADS: usize = 2;
const KMIP_WRITERS: usize = 3;
const ROUNDS_PER_STORE: usize = 10;
/// The kill comes this long (at random, in milliseconds) after every writer is running.
const KILL_AFTER_MS: std::ops::Range<u64> = 20..700;

/// One line of a writer's history (PKCS#11 helper lines, or what a KMIP thread saw).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    TryCreate {
        id: String,
        key: bool,
    },
    AckCreate(String),
    TrySet(String, u32),
    AckSet(String, u32),
    TryDestroy(String),
    AckDestroy(String),
    /// An operation failed with an error (not a kill): the test fails.
    Failed(String),
}

impl Event {
    /// A `p11-durability write` line (`None` for `ready` and the like).
    fn parse(line: &str) -> Option<Event> {
        let f: Vec<&str> = line.split(' ').collect();
        let ver = |v: &str| v.parse::<u32>().ok();
        Some(match f.as_slice() {
            ["try", "create", kind, id] => Event::TryCreate {
                id: id.to_string(),
                key: *kind == "key",
            },
            ["ack", "create", id] => Event::AckCreate(id.to_string()),
            ["try", "set", id, v] => Event::TrySet(id.to_string(), ver(v)?),
            ["ack", "set", id, v] => Event::AckSet(id.to_string(), ver(v)?),
            ["try", "destroy", id] => Event::TryDestroy(id.to_string()),
            ["ack", "destroy", id] => Event::AckDestroy(id.to_string()),
            ["err", ..] => Event::Failed(line.to_string()),
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Destroy {
    No,
    Tried,
    Acked,
}

/// What may be in the store for one identity.
#[derive(Debug)]
struct Expect {
    key: bool,
    /// The version of the last acknowledged create or modification.
    acked: Option<u32>,
    /// Versions written but not acknowledged (the write may or may not have committed).
    pending: BTreeSet<u32>,
    destroy: Destroy,
}

#[derive(Default)]
struct Model {
    objects: BTreeMap<String, Expect>,
    acked_writes: u64,
}

impl Model {
    fn apply(&mut self, e: &Event) -> Result<(), String> {
        let id = match e {
            Event::Failed(what) => return Err(format!("a writer's operation failed: {what}")),
            Event::TryCreate { id, key } => {
                let fresh = Expect {
                    key: *key,
                    acked: None,
                    pending: BTreeSet::from([0]),
                    destroy: Destroy::No,
                };
                if self.objects.insert(id.clone(), fresh).is_some() {
                    return Err(format!("identity {id} created twice"));
                }
                return Ok(());
            }
            Event::AckCreate(id)
            | Event::TrySet(id, _)
            | Event::AckSet(id, _)
            | Event::TryDestroy(id)
            | Event::AckDestroy(id) => id,
        };
        let o = self
            .objects
            .get_mut(id)
            .ok_or_else(|| format!("{e:?} before its create"))?;
        match e {
            Event::AckCreate(_) => {
                o.acked = Some(0);
                o.pending.remove(&0);
                self.acked_writes += 1;
            }
            Event::TrySet(_, v) => {
                o.pending.insert(*v);
            }
            Event::AckSet(_, v) => {
                o.acked = Some(*v);
                o.pending.retain(|p| p > v);
                self.acked_writes += 1;
            }
            Event::TryDestroy(_) => o.destroy = Destroy::Tried,
            Event::AckDestroy(_) => {
                o.destroy = Destroy::Acked;
                self.acked_writes += 1;
            }
            Event::TryCreate { .. } | Event::Failed(_) => {}
        }
        Ok(())
    }

    /// Compares the store (a dump) with what was acknowledged; then takes the store's state as
    /// the truth for the next round. Returns the acknowledged writes lost and every problem.
    fn check(&mut self, dump: &[Dumped]) -> (u64, Vec<String>) {
        let mut problems = Vec::new();
        let mut found: BTreeMap<String, u32> = BTreeMap::new();
        for d in dump {
            match identify(d) {
                // The remains of a key destroyed over KMIP: gone, as far as a writer can tell.
                Ok(None) => {}
                Ok(Some((id, ver))) => {
                    if found.insert(id.clone(), ver).is_some() {
                        problems.push(format!("{id} is in the store twice"));
                    }
                }
                Err(p) => problems.push(p),
            }
        }
        let mut lost = 0;
        for (id, o) in &self.objects {
            let now = found.get(id).copied();
            let what = if o.key { "key" } else { "data object" };
            let fine = match (o.destroy, o.acked, now) {
                (Destroy::Acked, _, Some(v)) => {
                    lost += 1;
                    Err(format!(
                        "acknowledged destroy of {what} {id} lost: still there at v{v}"
                    ))
                }
                (Destroy::Acked, _, None) => Ok(()),
                (_, Some(a), Some(v)) if v == a || o.pending.contains(&v) => Ok(()),
                (_, Some(a), Some(v)) => {
                    lost += 1;
                    Err(format!(
                        "{what} {id} is at v{v}; acknowledged v{a}, unacknowledged {:?}",
                        o.pending
                    ))
                }
                (Destroy::Tried, Some(_), None) => Ok(()),
                (Destroy::No, Some(a), None) => {
                    lost += 1;
                    Err(format!("acknowledged {what} {id} (v{a}) lost: not in the store"))
                }
                (_, None, None) => Ok(()),
                (_, None, Some(v)) if o.pending.contains(&v) => Ok(()),
                (_, None, Some(v)) => Err(format!("{what} {id} at v{v} was never written")),
            };
            if let Err(p) = fine {
                problems.push(p);
            }
        }
        for id in found.keys().filter(|id| !self.objects.contains_key(*id)) {
            problems.push(format!("{id} is in the store but no writer ever created it"));
        }
        self.objects.retain(|id, o| match found.get(id) {
            Some(v) => {
                *o = Expect {
                    key: o.key,
                    acked: Some(*v),
                    pending: BTreeSet::new(),
                    destroy: Destroy::No,
                };
                true
            }
            None => false,
        });
        (lost, problems)
    }
}

/// One KMIP writer connection until the server dies (or `stop`): Register, Modify Attribute
/// (Name), Destroy, each acknowledged once its successful response arrived.
fn kmip_writer(
    server: (std::net::SocketAddr, Vec<u8>, Vec<u8>, Vec<u8>),
    tag: String,
    mut rng: Rng,
    connected: mpsc::Sender<()>,
    stop: Arc<AtomicBool>,
) -> Vec<Event> {
    let (addr, ca, cert, key) = server;
    let mut conn = kmip_server::client::KmipClient::connect(addr, &ca, &cert, &key).expect("mutual TLS");
    let _ = connected.send(());
    let mut events = Vec::new();
    let mut live: Vec<(String, String, u32)> = Vec::new();
    let mut n = 0u64;
    let deadline = Instant::now() + Duration::from_secs(120);
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let r = rng.below(10);
        let (op, payload, ack, slot) = if live.len() < 2 || r < 5 {
            let id = format!("{tag}n{n}");
            n += 1;
            events.push(Event::TryCreate {
                id: id.clone(),
                key: true,
            });
            let p = register_aes(&id, &versioned(&id, 0));
            (Operation::REGISTER, p, Event::AckCreate(id), None)
        } else if r < 8 {
            let i = rng.below(live.len() as u64) as usize;
            let (id, uid, ver) = &live[i];
            events.push(Event::TrySet(id.clone(), ver + 1));
            let p = modify_name(uid, &versioned(id, ver + 1));
            (
                Operation::MODIFY_ATTRIBUTE,
                p,
                Event::AckSet(id.clone(), ver + 1),
                Some(i),
            )
        } else {
            let i = rng.below(live.len() as u64) as usize;
            let (id, object, _) = &live[i];
            events.push(Event::TryDestroy(id.clone()));
            (
                Operation::DESTROY,
                uid(object),
                Event::AckDestroy(id.clone()),
                Some(i),
            )
        };
        match call(&mut conn, V, op, payload) {
            Err(_) => break, // the server is gone: this operation stays unacknowledged
            Ok(Err(reason)) => {
                events.push(Event::Failed(format!("KMIP {op:?} ({ack:?}): {reason:?}")));
                break;
            }
            Ok(Ok(p)) => {
                match (&ack, slot) {
                    (Event::AckCreate(id), _) => {
                        let Some(u) = uid_of(&p) else {
                            events.push(Event::Failed(format!("Register of {id}: no Unique Identifier")));
                            break;
                        };
                        live.push((id.clone(), u, 0));
                    }
                    (Event::AckSet(_, v), Some(i)) => live[i].2 = *v,
                    (_, Some(i)) => {
                        live.swap_remove(i);
                    }
                    _ => {}
                }
                events.push(ack);
            }
        }
    }
    events
}

struct Round {
    acked: u64,
    lost: u64,
    objects: usize,
}

/// One round: writers, a kill at a random moment, then every check.
fn round(env: &Env, model: &mut Model, r: usize, rng: &mut Rng) -> Round {
    let acked_before = model.acked_writes;
    let mut server: KmipProcess = env.server();
    let mut writers = Vec::new();
    for p in 0..P11_WRITERS {
        let seed = rng.next_u64().to_string();
        let tag = format!("p{p}r{r}");
        let threads = P11_THREADS.to_string();
        writers.push(Helper::spawn(env.helper(&["write", &tag, &threads, &seed])));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, connected) = mpsc::channel();
    let kmip: Vec<_> = (0..KMIP_WRITERS)
        .map(|c| {
            let creds = (
                server.addr,
                server.ca.clone(),
                server.cert.clone(),
                server.key.clone(),
            );
            let (rng, tx, stop) = (Rng::new(rng.next_u64()), tx.clone(), stop.clone());
            std::thread::spawn(move || kmip_writer(creds, format!("k{c}r{r}"), rng, tx, stop))
        })
        .collect();
    for w in &mut writers {
        let before = w.wait_ready();
        assert!(before.is_empty(), "round {r}: lines before ready: {before:?}");
    }
    for _ in 0..KMIP_WRITERS {
        connected
            .recv_timeout(READY_TIMEOUT)
            .expect("a KMIP writer connects");
    }
    std::thread::sleep(Duration::from_millis(
        KILL_AFTER_MS.start + rng.below(KILL_AFTER_MS.end - KILL_AFTER_MS.start),
    ));
    // SIGKILL the server and every writer, in a random order.
    let mut victims: Vec<Option<Helper>> = writers.into_iter().map(Some).collect();
    let mut order: Vec<usize> = (0..=victims.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut lines = vec![Vec::new(); victims.len()];
    for i in order {
        match victims.get_mut(i).and_then(Option::take) {
            Some(h) => lines[i] = h.kill(),
            None => server.kill(),
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut histories: Vec<Vec<Event>> = lines
        .iter()
        .map(|ls| ls.iter().filter_map(|l| Event::parse(l)).collect())
        .collect();
    histories.extend(kmip.into_iter().map(|h| h.join().expect("a KMIP writer thread")));
    for e in histories.iter().flatten() {
        if let Err(p) = model.apply(e) {
            panic!("round {r}: {p}");
        }
    }
    let dump = env.dump();
    env.check_integrity();
    let (lost, problems) = model.check(&dump);
    assert!(
        problems.is_empty(),
        "round {r}: {} problem(s) after the kill ({lost} acknowledged writes lost):
{}",
        problems.len(),
        problems.join(
            "
"
        )
    );
    Round {
        acked: model.acked_writes - acked_before,
        lost,
        objects: dump.len(),
    }
}

#[test]
fn crash_consistency() {
    let _serial = crate::one_at_a_time();
    let rounds = std::env::var("SOFTHSM_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(if long() { 500 } else { 50 });
    let mut rng = Rng::new(seed("SOFTHSM_CRASH_SEED", "crash consistency"));
    let started = Instant::now();
    let (mut acked, mut lost, mut stores) = (0u64, 0u64, 0usize);
    let mut env = Env::new();
    let mut model = Model::default();
    for r in 0..rounds {
        if r > 0 && r % ROUNDS_PER_STORE == 0 {
            env = Env::new();
            model = Model::default();
            stores += 1;
        }
        let out = round(&env, &mut model, r, &mut rng);
        acked += out.acked;
        lost += out.lost;
        note(&format!(
            "round {r}: {} acknowledged writes, {} objects in the store, {} lost",
            out.acked, out.objects, out.lost
        ));
    }
    stores += 1;
    note(&format!(
        "crash consistency: {rounds} rounds on {stores} stores, {acked} acknowledged writes, {lost} lost ({:.0} s)",
        started.elapsed().as_secs_f64()
    ));
    assert_eq!(lost, 0);
}
