//! One guesser of `brute_force`: PIN brute force from several processes at once.
//!
//! Usage: `p11-brute <user|so> <tag> <max-tries>` with `P11_MODULE`, the harness environment,
//! `P11_TOKEN_LABEL` (the token) and `P11_RIGHT_PIN` (the PIN being guessed, tried once the
//! PIN is locked) set by the parent. Loads the module, opens an RW session on the token,
//! prints `ready` and waits for a line on stdin, so that every guesser starts at the same
//! moment. Then logs in with wrong PINs (each one different) until it gets `CKR_PIN_LOCKED`
//! or has made `max-tries` attempts, and after the lock tries two more wrong PINs and the
//! right one. Prints one line:
//!
//! `brute <tag>: incorrect N locked N other N right <rv> flags <hex> states <hex,...>`
//!
//! where `other` counts any other answer (a success included), `right` is the answer to the
//! right PIN, `flags` the token flags at the end and `states` the distinct PIN flag
//! combinations seen after each `CKR_PIN_INCORRECT`.

use conformance_tests::harness;
use cryptoki::error::{Error, RvError};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use std::collections::BTreeSet;
use std::io::BufRead;

const USAGE: &str = "usage: p11-brute <user|so> <tag> <max-tries>";

fn answer<T>(r: cryptoki::error::Result<T>) -> String {
    match r {
        Ok(_) => "CKR_OK".into(),
        Err(Error::Pkcs11(rv, _)) => format!("{rv:?}"),
        Err(e) => format!("{e}"),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let role = match args.next().as_deref() {
        Some("user") => UserType::User,
        Some("so") => UserType::So,
        _ => panic!("{USAGE}"),
    };
    let tag = args.next().expect(USAGE);
    let max_tries: usize = args.next().and_then(|a| a.parse().ok()).expect(USAGE);
    let label = std::env::var("P11_TOKEN_LABEL").expect("P11_TOKEN_LABEL");
    let right = std::env::var("P11_RIGHT_PIN").expect("P11_RIGHT_PIN");

    let (p11, slot) = harness::load_module_for_token(&label);
    let slot = slot.unwrap_or_else(|| panic!("no token labelled {label}"));
    let s = p11.open_rw_session(slot).expect("C_OpenSession");
    let pin_flags = || harness::pin_flag_bits(&p11.get_token_info(slot).expect("C_GetTokenInfo"));

    println!("ready");
    let mut go = String::new();
    std::io::stdin().lock().read_line(&mut go).expect("stdin");

    let (mut incorrect, mut locked, mut other) = (0usize, 0usize, 0usize);
    let mut states = BTreeSet::new();
    for i in 0..max_tries {
        let guess = AuthPin::from(format!("{tag}-guess-{i:04}"));
        match s.login(role, Some(&guess)) {
            Err(Error::Pkcs11(RvError::PinIncorrect, _)) => {
                incorrect += 1;
                states.insert(pin_flags());
            }
            Err(Error::Pkcs11(RvError::PinLocked, _)) => {
                locked += 1;
                break;
            }
            r => {
                eprintln!("brute {tag}: guess {i} answered {}", answer(r));
                other += 1;
                let _ = s.logout();
            }
        }
    }
    if locked > 0 {
        for i in 0..2 {
            match s.login(role, Some(&AuthPin::from(format!("{tag}-after-{i}")))) {
                Err(Error::Pkcs11(RvError::PinLocked, _)) => locked += 1,
                r => {
                    eprintln!("brute {tag}: a guess after the lock answered {}", answer(r));
                    other += 1;
                }
            }
        }
    }
    let right = answer(s.login(role, Some(&AuthPin::from(right))));
    let flags = pin_flags();
    let states: Vec<String> = states.iter().map(|f| format!("{f:x}")).collect();
    println!(
        "brute {tag}: incorrect {incorrect} locked {locked} other {other} right {right} flags {flags:x} states {}",
        states.join(",")
    );
    drop(s);
    let _ = p11.finalize();
}
