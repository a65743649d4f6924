//! A wrong PIN reveals nothing through timing that this test can measure.
//!
//! Four kinds of wrong user PIN are tried against one token, interleaved in a random order
//! each round and drawn afresh for every login: the right PIN's first 15 bytes with another
//! last byte, another (fixed, unrelated) 15-byte prefix with a random last byte, a random PIN
//! of another length, and a random PIN of the right length. Each login is timed. The pairs
//! that would reveal something about the right PIN — shared prefix against unrelated prefix,
//! other length against right length — are compared with a Mann-Whitney U test (rank-based,
//! so a shared machine's heavy tail of preempted samples does not drown it; a dudect-style
//! t-test on means did, here).
//!
//! What "measurable" means is calibrated from the noise of the same measurement: for each
//! pair the test finds the smallest constant delay that, added to one kind's real samples,
//! the statistic flags (|z| >= `Z_LEAK`), prints it as the resolution, and requires it to be
//! below a quarter of a login — so a wrong PIN that skipped or shortened the KDF (the leak
//! that matters) would be caught. The unit test below shows the statistic flags a 1 % shift
//! in synthetic heavy-tailed noise, in both directions, and not the noise alone. A pair is
//! reported as leaking only when it is flagged in two independent measurements with the same
//! sign, so one noisy burst does not fail the build.
//!
//! Over the in-memory store the measured path is the PIN check itself (the attempt counted,
//! the KDF, the AES-GCM open of the wrapped token key), without disk syncs; it is run with
//! PBKDF2 and with Argon2id. `SOFTHSM_LONG=1` takes four times as many samples.

use cryptoki_sys as ck;
use softhsm::config::{Config, Kdf};
use softhsm::error::Error;
use softhsm::hsm::Hsm;
use softhsm::store::sqlite::SqliteStore;
use std::io::Write as _;
use std::time::Instant;

/// A line on the real stderr, past the test harness' capture, so the figures show in CI logs.
fn note(msg: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{msg}");
}

/// |z| at or above this is a measured difference (a two-sided p below 6e-7 under no difference;
/// dudect treats 4.5 as "probably leaking").
const Z_LEAK: f64 = 5.0;
const RIGHT: &[u8] = b"correct-horse-42";

/// xorshift64*: reproducible noise for the unit test, a cheap shuffle for the interleaving.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The Mann-Whitney U statistic of `a` against `b` as a z score (positive: `a` tends to be
/// slower). Rank-based, so the heavy tail of a shared machine's timings (preemption, other
/// tests) does not swamp it as it swamps a t statistic on means.
fn mann_whitney_z(a: &[f64], b: &[f64]) -> f64 {
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|v| (*v, true))
        .chain(b.iter().map(|v| (*v, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let mut rank_sum_a = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j + 1 < all.len() && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        // Tied values share the average of their ranks (1-based).
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_a += rank * all[i..=j].iter().filter(|(_, in_a)| *in_a).count() as f64;
        i = j + 1;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let u = rank_sum_a - na * (na + 1.0) / 2.0;
    (u - na * nb / 2.0) / (na * nb * (na + nb + 1.0) / 12.0).sqrt()
}

/// The smallest constant delay that, added to every sample of `a`, makes the statistic flag
/// `a` against `b` (|z| >= `Z_LEAK`), in either direction: what "measurable" means for these
/// very samples.
fn resolution(a: &[f64], b: &[f64]) -> f64 {
    let flagged = |d: f64| {
        let shifted: Vec<f64> = a.iter().map(|v| v + d).collect();
        mann_whitney_z(&shifted, b).abs() >= Z_LEAK
    };
    let mut worst: f64 = 0.0;
    for sign in [1.0, -1.0] {
        let mut hi = 1.0;
        for _ in 0..64 {
            if flagged(sign * hi) {
                break;
            }
            hi *= 2.0;
        }
        let mut lo = 0.0;
        for _ in 0..40 {
            let mid = (lo + hi) / 2.0;
            if flagged(sign * mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        worst = worst.max(hi);
    }
    worst
}

fn median(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn the_statistic_flags_a_shift_and_not_noise() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Heavy-tailed noise like a shared machine's: a base, jitter, and rare large outliers.
    let mut sample = |shift: f64| {
        let outlier = if rng.unit() < 0.03 {
            500.0 * rng.unit()
        } else {
            0.0
        };
        100.0 + 10.0 * rng.unit() + outlier + shift
    };
    let a: Vec<f64> = (0..4000).map(|_| sample(0.0)).collect();
    let b: Vec<f64> = (0..4000).map(|_| sample(0.0)).collect();
    let z_null = mann_whitney_z(&a, &b);
    assert!(z_null.abs() < Z_LEAK, "noise alone flagged: z = {z_null}");
    // A difference of 1 % of the base is flagged, in both directions (an early exit makes
    // one kind cheaper), and the resolution found for these samples is below it.
    let slower: Vec<f64> = (0..4000).map(|_| sample(1.0)).collect();
    let z_slow = mann_whitney_z(&slower, &b);
    assert!(z_slow >= Z_LEAK, "a shift of 1.0 not flagged: z = {z_slow}");
    let early: Vec<f64> = (0..4000).map(|_| sample(-1.0)).collect();
    let z_early = mann_whitney_z(&early, &b);
    assert!(z_early <= -Z_LEAK, "an early exit not flagged: z = {z_early}");
    let r = resolution(&a, &b);
    assert!(r > 0.0 && r < 1.0, "resolution {r}");
    // Exactly-tied samples are no difference.
    assert_eq!(mann_whitney_z(&[5.0; 10], &[5.0; 10]), 0.0);
}

const KINDS: [&str; 4] = [
    "the right PIN's prefix",
    "another prefix",
    "other length",
    "random",
];
/// The comparisons that would reveal something about the right PIN: a guess sharing its first
/// 15 bytes against a guess sharing 15 bytes with nothing (same shape, same randomness), and a
/// random guess of another length against one of the right length.
const PAIRS: [(usize, usize); 2] = [(0, 1), (2, 3)];

/// A fresh wrong PIN of `kind`. Kinds come in matched pairs that differ only in their relation
/// to the right PIN, because a guess's own content moves its time a little on this machine: a
/// guess whose first 15 bytes are the same from one login to the next is some 0.5 µs faster
/// than a fully random one, whichever 15 bytes they are (measured while writing this test,
/// with the KDF's input constant-time by design; likely the CPU's memory-dependence and
/// store-forwarding predictors). That tells a guesser only about its own guesses.
fn wrong_pin(kind: usize, rng: &mut Rng) -> Vec<u8> {
    let mut random = |len: usize| -> Vec<u8> { (0..len).map(|_| b'!' + (rng.next() % 90) as u8).collect() };
    match kind {
        0 | 1 => {
            let mut p = if kind == 0 {
                RIGHT.to_vec()
            } else {
                b"Zq7!pWx2-kLm9vB?".to_vec()
            };
            // The last byte: random, and never the right PIN's.
            let last = p.last_mut().unwrap();
            *last = b'!' + ((u64::from(*last - b'!') + 1 + rng.next() % 89) % 90) as u8;
            p
        }
        2 => random(7),
        _ => random(RIGHT.len()),
    }
}

/// A token whose user PIN never locks, and an RW session on it.
fn token(kdf: Kdf) -> (Hsm, u64) {
    let mut c = Config::default();
    c.pin.kdf = Some(kdf);
    c.pin.kdf_iterations = Some(500);
    c.pin.argon2_memory_kib = 256;
    c.pin.argon2_passes = 1;
    c.pin.max_failures = u32::MAX;
    let h = Hsm::with_store(c, Box::new(SqliteStore::in_memory().unwrap()));
    h.init_token(0, b"so-pin", b"timing").unwrap();
    let s = h
        .open_session(0, ck::CKF_SERIAL_SESSION | ck::CKF_RW_SESSION)
        .unwrap();
    h.login(s, ck::CKU_SO, b"so-pin").unwrap();
    h.init_pin(s, RIGHT).unwrap();
    h.logout(s).unwrap();
    (h, s)
}

/// `rounds` rounds, each timing one login per kind in a random order: nanoseconds per kind.
fn measure(h: &Hsm, s: u64, rounds: usize, rng: &mut Rng) -> [Vec<f64>; 4] {
    let mut out: [Vec<f64>; 4] = Default::default();
    for _ in 0..rounds {
        let mut order = [0usize, 1, 2, 3];
        for i in (1..4).rev() {
            order.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
        for k in order {
            let pin = wrong_pin(k, rng);
            let t0 = Instant::now();
            let r = h.login(s, ck::CKU_USER, &pin);
            let dt = t0.elapsed().as_nanos() as f64;
            assert_eq!(r.unwrap_err(), Error::PinIncorrect);
            out[k].push(dt);
        }
    }
    out
}

/// The z statistic of each pair in [`PAIRS`].
fn pair_zs(m: &[Vec<f64>; 4]) -> Vec<((usize, usize), f64)> {
    PAIRS
        .into_iter()
        .map(|(a, b)| ((a, b), mann_whitney_z(&m[a], &m[b])))
        .collect()
}

fn check_kdf(kdf: Kdf) {
    let long = std::env::var_os("SOFTHSM_LONG").is_some_and(|v| !v.is_empty() && v != "0");
    let rounds = if long { 8000 } else { 2000 };
    let (h, s) = token(kdf);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    let mut rng = Rng(seed);
    // Warm-up (caches, allocator), not counted.
    measure(&h, s, rounds / 10, &mut rng);
    let first = measure(&h, s, rounds, &mut rng);
    let zs = pair_zs(&first);
    let med: Vec<f64> = first.iter().map(|v| median(v)).collect();
    note(&format!(
        "pin_timing {kdf:?}: {rounds} logins per kind; median µs: {}",
        KINDS
            .iter()
            .zip(&med)
            .map(|(k, m)| format!("{k} {:.1}", m / 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for ((a, b), z) in &zs {
        let r = resolution(&first[*a], &first[*b]);
        note(&format!(
            "pin_timing {kdf:?}: {} vs {}: z = {z:+.2}; a difference of {:.2} µs ({:.2} % of a login) would give |z| = {Z_LEAK}",
            KINDS[*a],
            KINDS[*b],
            r / 1000.0,
            100.0 * r / med[*a]
        ));
        // The test has the power to see the leak that matters: a wrong PIN answered without
        // the full KDF would differ by a large part of a login.
        assert!(
            r < 0.25 * med[*a],
            "{kdf:?}: too noisy to measure: only a difference above {:.1} µs would show",
            r / 1000.0
        );
    }
    note(&format!(
        "pin_timing {kdf:?}: another prefix vs random (the guess's own shape, not asserted): z = {:+.2}",
        mann_whitney_z(&first[1], &first[3])
    ));
    let flagged: Vec<_> = zs.iter().filter(|(_, z)| z.abs() >= Z_LEAK).collect();
    if flagged.is_empty() {
        return;
    }
    // Confirm on a fresh measurement: a real leak shows again, with the same sign.
    note(&format!(
        "pin_timing {kdf:?}: {} pair(s) at |z| >= {Z_LEAK}; measuring again",
        flagged.len()
    ));
    let again = pair_zs(&measure(&h, s, rounds, &mut rng));
    for ((a, b), z1) in flagged {
        let (_, z2) = again.iter().find(|(p, _)| p == &(*a, *b)).unwrap();
        note(&format!(
            "pin_timing {kdf:?}: {} vs {}: z = {z2:+.2} on the second measurement",
            KINDS[*a], KINDS[*b]
        ));
        assert!(
            z2.abs() < Z_LEAK || z1.signum() != z2.signum(),
            "{kdf:?}: {} vs {}: a wrong PIN's time depends on the PIN (z = {z1:+.2}, then {z2:+.2})",
            KINDS[*a],
            KINDS[*b]
        );
    }
}

#[test]
fn wrong_pins_take_the_same_time_with_pbkdf2() {
    check_kdf(Kdf::Pbkdf2Sha256);
}

#[test]
fn wrong_pins_take_the_same_time_with_argon2id() {
    check_kdf(Kdf::Argon2id);
}
