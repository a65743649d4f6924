//! Several processes sharing one token: four `p11-worker` processes create,
//! find, read and destroy token objects concurrently and use each other's
//! keys, while (softhsm-rs only) this process runs the admin CLI
//! (`softhsm-rs show-slots`, `object list`) on the same keystore; afterwards
//! this process checks exactly which objects exist.

use crate::util::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WORKERS: usize = 4;
const ITERATIONS: usize = 200;
const TIMEOUT: Duration = Duration::from_secs(600);
/// Rounds of CLI commands run while the workers run.
const CLI_ROUNDS: usize = 3;

/// The admin CLI: `P11_CLI`, else `softhsm-rs` beside the module (the
/// workspace's `target/debug/softhsm-rs`, built by `cargo build -p softhsm-rs`).
fn cli_path() -> PathBuf {
    if let Some(p) = std::env::var_os("P11_CLI").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    module_path()
        .parent()
        .map(|d| d.join("softhsm-rs"))
        .unwrap_or_else(|| PathBuf::from("softhsm-rs"))
}

/// Runs the CLI with the suite's configuration; asserts exit status 0 and
/// that stdout contains every string of `want`.
fn run_cli(args: &[&str], pin: Option<&str>, want: &[&str]) {
    let conf = harness_dir().join("softhsm-rs.toml");
    let mut cmd = Command::new(cli_path());
    cmd.arg("--config").arg(&conf).args(args);
    cmd.env_remove("SOFTHSM_RS_PIN");
    if let Some(pin) = pin {
        cmd.env("SOFTHSM_RS_PIN", pin);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", cli_path().display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "softhsm-rs {} exited with {} while the workers run:\n{stdout}\n{stderr}",
        args.join(" "),
        out.status
    );
    for w in want {
        assert!(
            stdout.contains(w),
            "softhsm-rs {} does not list {w:?}:\n{stdout}",
            args.join(" ")
        );
    }
}

/// One round of admin commands on the token in `slot`.
fn cli_round(slot: Slot, label: &str, marker: &str, pin: &str) {
    let id = slot.id().to_string();
    run_cli(
        &["show-slots"],
        None,
        &[&format!("Slot {id}\n"), &format!("Token label:    {label}")],
    );
    run_cli(
        &["object", "list", "--slot", &id],
        Some(pin),
        &[
            &format!("in slot {id} (all objects)"),
            &format!("Label:          {marker}"),
        ],
    );
}

#[test]
fn concurrent_workers() {
    let label = format!("multiproc-{}", std::process::id());
    let (slot, _, user) = fresh_token(&label);
    // A private object for `object list` to find (listed only with the PIN).
    let marker = format!("{label}-marker");
    {
        let s = user_session(slot);
        s.create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Label(marker.as_bytes().to_vec()),
            Attribute::Value(b"marker".to_vec()),
        ])
        .expect("create the marker object");
        s.logout().expect("C_Logout");
    }
    let with_cli = !ours_only("the admin CLI softhsm-rs (SoftHSMv2 has softhsm2-util instead)");
    if with_cli {
        assert!(
            cli_path().is_file(),
            "admin CLI {} not found: build it with `cargo build -p softhsm-rs` or set P11_CLI",
            cli_path().display()
        );
    }
    let mut children = Vec::new();
    for w in 0..WORKERS {
        let child = Command::new(env!("CARGO_BIN_EXE_p11-worker"))
            .arg(ITERATIONS.to_string())
            .arg(format!("w{w}"))
            .env("P11_MODULE", module_path())
            .env("P11_TOKEN_LABEL", &label)
            .env("P11_USER_PIN", &user)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn p11-worker");
        children.push(child);
    }
    let start = Instant::now();
    // The CLI on the same keystore while the workers run (spread out so that
    // the workers are past their start-up and writing).
    let mut overlapping = 0;
    for _ in 0..CLI_ROUNDS {
        if !with_cli {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
        let running = children
            .iter_mut()
            .any(|c| c.try_wait().map(|st| st.is_none()).unwrap_or(false));
        cli_round(slot, &label, &marker, &user);
        overlapping += running as usize;
    }
    if with_cli {
        println!("multiprocess: {CLI_ROUNDS} CLI rounds, {overlapping} started while workers ran");
        assert!(overlapping > 0, "the workers ended before the first CLI round");
    }
    let mut outputs = Vec::new();
    for mut child in children {
        loop {
            if child.try_wait().expect("try_wait").is_some() {
                break;
            }
            if start.elapsed() > TIMEOUT {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        outputs.push(child.wait_with_output().expect("worker output"));
    }
    assert!(
        start.elapsed() <= TIMEOUT,
        "workers did not finish within {TIMEOUT:?}"
    );
    let mut expected_left = 0usize;
    for (w, out) in outputs.iter().enumerate() {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // SoftHSMv2's file store answers CKR_GENERAL_ERROR to a login that races another
        // process rewriting the token file (seen on loaded machines). softhsm-rs must not.
        if !out.status.success()
            && stderr.contains("GeneralError")
            && diverges("a worker's C_Login returns CKR_GENERAL_ERROR while other processes write the token")
        {
            return;
        }
        assert!(
            out.status.success(),
            "worker w{w} failed ({}):\n{stdout}\n{stderr}",
            out.status
        );
        let attempts = stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("worker w{w}: token found after ")))
            .and_then(|l| l.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        if attempts != 1
            && !(attempts > 1
                && diverges(
                    "a process started while others initialise tokens may not list an existing token",
                ))
        {
            panic!("worker w{w} needed {attempts} C_Initialize attempts to see the token:\n{stdout}");
        }
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("worker w{w}: created")))
            .unwrap_or_else(|| panic!("no summary from w{w}:\n{stdout}"));
        let nums: Vec<usize> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter(|t| !t.is_empty())
            .filter_map(|t| t.parse().ok())
            .collect();
        // [w, created, found, destroyed, errors]
        let (created, destroyed, errors) = (nums[1], nums[3], nums[4]);
        assert_eq!(errors, 0, "{line}");
        assert_eq!(created, 2 * ITERATIONS, "{line}");
        assert_eq!(destroyed, 2 * ITERATIONS.div_ceil(3), "{line}");
        expected_left += created - destroyed;
    }

    // What is left on the token, as seen by this process.
    let s = pkcs11().open_rw_session(slot).expect("C_OpenSession(RW)");
    if let Err(e) = s.login(UserType::User, Some(&AuthPin::from(USER_PIN))) {
        if diverges("C_Login after the workers returns CKR_GENERAL_ERROR while the token files settle") {
            return;
        }
        panic!("user C_Login: {e}");
    }
    let mut seen: BTreeMap<String, Vec<CK_OBJECT_CLASS>> = BTreeMap::new();
    for o in find(&s, &[]) {
        let label = String::from_utf8(get_bytes(&s, o, AttributeType::Label)).unwrap();
        let class = get_ulong(&s, o, AttributeType::Class);
        seen.entry(label).or_default().push(class);
    }
    let total: usize = seen.values().map(|v| v.len()).sum();
    assert_eq!(
        total,
        expected_left + 1,
        "objects left on the token (with the marker)"
    );
    assert_eq!(seen.get(&marker), Some(&vec![CKO_DATA]), "the marker object");
    for w in 0..WORKERS {
        for i in 0..ITERATIONS {
            let label = format!("w{w}-{i}");
            let mut classes = seen.get(&label).cloned().unwrap_or_default();
            classes.sort();
            if i % 3 == 0 {
                assert!(classes.is_empty(), "{label} should be destroyed: {classes:?}");
            } else {
                assert_eq!(
                    classes,
                    vec![CKO_DATA, CKO_SECRET_KEY],
                    "{label}: one data object and one key"
                );
            }
        }
    }
    // The values written by the workers are intact.
    let o = find(
        &s,
        &[
            Attribute::Label(b"w2-100".to_vec()),
            Attribute::Class(ObjectClass::DATA),
        ],
    );
    assert_eq!(o.len(), 1);
    assert_eq!(get_bytes(&s, o[0], AttributeType::Value), b"w2:100");
}
