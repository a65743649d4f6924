//! PIN brute force from several processes at once (softhsm-rs only: SoftHSMv2 never locks a
//! PIN). `GUESSERS` `p11-brute` processes, released together, guess the PIN of one token
//! through the module; the failed logins are counted once, in the store:
//!
//! - from a zero count, exactly `MAX_PIN_FAILURES` guesses get `CKR_PIN_INCORRECT` between
//!   all processes, every other one `CKR_PIN_LOCKED`, and then the right PIN is refused too;
//! - from a count one below the limit (`CKF_*_PIN_FINAL_TRY` shown), exactly one process gets
//!   the final try;
//! - the SO unlocks the user PIN with `C_InitPIN` and the user logs in with the new PIN;
//! - the SO PIN has its own counter and locks the same way (and nobody can unlock it).
//!
//! `SOFTHSM_LONG=1` runs more rounds. Every wait is bounded.

use crate::util::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Processes guessing at once.
const GUESSERS: usize = 8;
/// How long one race may take (module load, guesses, the lock) before the test fails.
const RACE_TIMEOUT: Duration = Duration::from_secs(300);

/// PIN flag bits as `pin_flag_bits` packs them (user's in bits 0..3, the SO's in 3..6).
const COUNT_LOW: u32 = 1;
const FINAL_TRY: u32 = 2;
const LOCKED: u32 = 4;

fn long() -> bool {
    std::env::var_os("SOFTHSM_LONG").is_some_and(|v| !v.is_empty() && v != "0")
}

/// What one guesser reported.
#[derive(Debug)]
struct Report {
    incorrect: usize,
    locked: usize,
    other: usize,
    right: String,
    flags: u32,
    states: Vec<u32>,
    line: String,
}

fn parse(line: &str) -> Report {
    let field = |name: &str| -> &str {
        let mut words = line.split_whitespace();
        words.find(|w| *w == name);
        words.next().unwrap_or_else(|| panic!("no {name} in {line:?}"))
    };
    let num = |name: &str| {
        field(name)
            .parse::<usize>()
            .unwrap_or_else(|_| panic!("{name} in {line:?}"))
    };
    let hex = |s: &str| u32::from_str_radix(s, 16).unwrap_or_else(|_| panic!("{s:?} in {line:?}"));
    let states = line
        .split_once(" states ")
        .map(|(_, s)| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.split(',').map(hex).collect())
        .unwrap_or_default();
    Report {
        incorrect: num("incorrect"),
        locked: num("locked"),
        other: num("other"),
        right: field("right").to_string(),
        flags: hex(field("flags")),
        states,
        line: line.to_string(),
    }
}

struct Guesser {
    child: Child,
    lines: mpsc::Receiver<String>,
}

fn next_line(g: &Guesser, deadline: Instant, what: &str) -> String {
    let left = deadline.saturating_duration_since(Instant::now());
    g.lines
        .recv_timeout(left)
        .unwrap_or_else(|_| panic!("a guesser printed no {what} line in time"))
}

/// Starts `GUESSERS` processes guessing `role`'s PIN on `label`, releases them together once
/// all are ready, and returns their reports.
fn race(label: &str, role: &str, right_pin: &str, max_tries: usize) -> Vec<Report> {
    let deadline = Instant::now() + RACE_TIMEOUT;
    let mut gs: Vec<Guesser> = (0..GUESSERS)
        .map(|i| {
            let mut child = Command::new(env!("CARGO_BIN_EXE_p11-brute"))
                .args([role, &format!("g{i}"), &max_tries.to_string()])
                .env("P11_MODULE", module_path())
                .env("P11_TOKEN_LABEL", label)
                .env("P11_RIGHT_PIN", right_pin)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("spawn p11-brute");
            let out = child.stdout.take().expect("stdout");
            let (tx, lines) = mpsc::channel();
            std::thread::spawn(move || {
                for l in BufReader::new(out).lines().map_while(Result::ok) {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
            });
            Guesser { child, lines }
        })
        .collect();
    for g in &gs {
        assert_eq!(next_line(g, deadline, "ready"), "ready");
    }
    for g in &mut gs {
        let stdin = g.child.stdin.as_mut().expect("stdin");
        stdin.write_all(b"go\n").expect("release a guesser");
        stdin.flush().expect("release a guesser");
    }
    let reports: Vec<Report> = gs
        .iter()
        .map(|g| parse(&next_line(g, deadline, "report")))
        .collect();
    for mut g in gs {
        while g.child.try_wait().expect("try_wait").is_none() {
            if Instant::now() > deadline {
                let _ = g.child.kill();
                let _ = g.child.wait();
                panic!("a guesser did not exit in time");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let st = g.child.wait().expect("wait");
        assert!(st.success(), "a guesser exited with {st}");
    }
    reports
}

fn flags_of(slot: Slot) -> u32 {
    pin_flag_bits(&pkcs11().get_token_info(slot).expect("C_GetTokenInfo"))
}

/// Checks one race: `tries_left` guesses were possible and exactly that many got
/// `CKR_PIN_INCORRECT`; every process then saw the PIN locked, the right PIN included.
/// `shift` selects the role's flag bits (0 user, 3 SO).
fn check_race(reports: &[Report], tries_left: usize, shift: u32, what: &str) {
    let incorrect: usize = reports.iter().map(|r| r.incorrect).sum();
    let locked: usize = reports.iter().map(|r| r.locked).sum();
    let lines: Vec<&str> = reports.iter().map(|r| r.line.as_str()).collect();
    note(&format!(
        "brute_force: {what}: {GUESSERS} processes, {} guesses, limit {MAX_PIN_FAILURES}, {tries_left} left: \
         {incorrect} CKR_PIN_INCORRECT, {locked} CKR_PIN_LOCKED",
        incorrect + locked
    ));
    assert_eq!(
        incorrect,
        tries_left,
        "{what}: guesses answered CKR_PIN_INCORRECT between all processes:\n{}",
        lines.join("\n")
    );
    for r in reports {
        assert_eq!(r.other, 0, "{what}: unexpected answers: {}", r.line);
        assert!(
            r.locked >= 3,
            "{what}: the guesser never saw the lock: {}",
            r.line
        );
        assert_eq!(
            r.right, "PinLocked",
            "{what}: the right PIN after the lock: {}",
            r.line
        );
        assert_eq!((r.flags >> shift) & 7, LOCKED, "{what}: final flags: {}", r.line);
        for s in &r.states {
            // After a counted failure the count is low, at the final try, or (once another
            // process took the last try) locked — never clear, never two at once.
            let s = (s >> shift) & 7;
            assert!(
                [COUNT_LOW, COUNT_LOW | FINAL_TRY, LOCKED].contains(&s),
                "{what}: impossible PIN flags {s:b} after a failure: {}",
                r.line
            );
        }
    }
}

/// Fails logins from this process until one try is left, checking the flags on the way.
fn count_down_to_final_try(s: &Session, slot: Slot, role: UserType, shift: u32) {
    for i in 1..MAX_PIN_FAILURES {
        assert_rv!(s.login(role, Some(&pin("wrong-from-parent"))), PinIncorrect);
        let f = (flags_of(slot) >> shift) & 7;
        let want = if i + 1 == MAX_PIN_FAILURES {
            COUNT_LOW | FINAL_TRY
        } else {
            COUNT_LOW
        };
        assert_eq!(f, want, "PIN flags after {i} failures of {MAX_PIN_FAILURES}");
    }
}

/// The SO resets the locked user PIN, and the user logs in with it.
fn so_unlocks(s: &Session, slot: Slot, so: &str, new_user_pin: &str) {
    s.login(UserType::So, Some(&pin(so)))
        .expect("SO login while the user PIN is locked");
    s.init_pin(&pin(new_user_pin)).expect("C_InitPIN");
    s.logout().expect("C_Logout");
    assert_eq!(flags_of(slot) & 7, 0, "user PIN flags after C_InitPIN");
    s.login(UserType::User, Some(&pin(new_user_pin)))
        .expect("the user logs in with the PIN the SO set");
    s.logout().expect("C_Logout");
}

#[test]
fn pin_brute_force_from_many_processes_is_counted_once() {
    let label = format!("brute-{}", std::process::id());
    let (slot, so, mut user) = fresh_token(&label);
    if ours_only("SoftHSMv2 never locks a PIN") {
        return;
    }
    let s = pkcs11().open_rw_session(slot).expect("C_OpenSession");
    let max = MAX_PIN_FAILURES;
    let rounds = if long() { 10 } else { 1 };
    for round in 0..rounds {
        // From a zero count: the limit is shared by all processes.
        let reports = race(&label, "user", &user, 4 * max);
        check_race(&reports, max, 0, &format!("user PIN from 0, round {round}"));
        assert_rv!(s.login(UserType::User, Some(&pin(&user))), PinLocked);
        user = format!("user-pin-{round}a");
        so_unlocks(&s, slot, &so, &user);

        // One try left: exactly one process gets it.
        count_down_to_final_try(&s, slot, UserType::User, 0);
        let reports = race(&label, "user", &user, 4 * max);
        check_race(
            &reports,
            1,
            0,
            &format!("user PIN at its final try, round {round}"),
        );
        user = format!("user-pin-{round}b");
        so_unlocks(&s, slot, &so, &user);
    }

    // The SO PIN's own counter.
    count_down_to_final_try(&s, slot, UserType::So, 3);
    s.login(UserType::So, Some(&pin(&so)))
        .expect("the right SO PIN resets its count");
    s.logout().unwrap();
    assert_eq!(flags_of(slot) >> 3, 0, "SO PIN flags after a good login");
    let reports = race(&label, "so", &so, 4 * max);
    check_race(&reports, max, 3, "SO PIN from 0");
    assert_rv!(s.login(UserType::So, Some(&pin(&so))), PinLocked);
    // The user PIN is not affected by the SO's lock.
    assert_eq!(flags_of(slot) & 7, 0);
    s.login(UserType::User, Some(&pin(&user)))
        .expect("user login with the SO PIN locked");
    s.logout().unwrap();
}
