//! Runs the built `softhsm-rs` admin CLI against a keystore in a temporary directory.
//!
//! Every run gets `--config` pointing at a file in the temp dir, and HOME / XDG_* pointing into
//! it, so nothing touches the real user's keystore. Stdin is never a terminal here, so PINs come
//! from the environment and destructive commands need `--yes`.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const SO_PIN: &str = "so-secret-4711";
const USER_PIN: &str = "user-secret-0815";

struct Fixture {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let conf = dir.path().join("softhsm-rs.toml");
        let text = format!(
            "[store]\npath = \"{}\"\n[log]\nfile = \"{}\"\n[pin]\nkdf_iterations = 1000\n",
            dir.path().join("store.db").display(),
            dir.path().join("log").display()
        );
        std::fs::write(&conf, text).expect("write config");
        Fixture { dir, conf }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let home = self.dir.path().join("home");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_softhsm-rs"));
        cmd.arg("--config")
            .arg(&self.conf)
            .args(args)
            .env_remove("SOFTHSM_RS_CONF")
            .env_remove("SOFTHSM_RS_PIN")
            .env_remove("SOFTHSM_RS_SO_PIN")
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let Output {
            status,
            stdout,
            stderr,
        } = cmd.output().expect("run softhsm-rs");
        Run {
            code: status.code().expect("exit code"),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    fn init_token(&self, extra: &[&str], so_pin: &str) -> Run {
        let mut args = vec!["token", "init"];
        args.extend_from_slice(extra);
        self.run_env(
            &args,
            &[("SOFTHSM_RS_SO_PIN", so_pin), ("SOFTHSM_RS_PIN", USER_PIN)],
        )
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The value after `label` on the line that starts with it (after indentation).
fn field<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .map(str::trim)
}

#[test]
fn show_slots_on_an_empty_store_shows_one_free_slot() {
    let fx = Fixture::new();
    let r = fx.run(&["show-slots"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("Slot 0 (free)"), "{r:?}");
    assert_eq!(r.stdout.matches("Slot ").count(), 1, "{r:?}");
    assert!(
        !fx.dir.path().join("home").join("data").exists(),
        "the user store was touched"
    );
}

#[test]
fn token_init_with_env_pins_is_listed_with_a_new_free_slot() {
    let fx = Fixture::new();
    let r = fx.init_token(&["--label", "alpha"], SO_PIN);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("slot 0"), "{r:?}");
    assert!(
        !r.stdout.contains(SO_PIN) && !r.stderr.contains(USER_PIN),
        "{r:?}"
    );

    let slots = fx.run(&["show-slots"]);
    assert_eq!(slots.code, 0, "{slots:?}");
    assert_eq!(field(&slots.stdout, "Token label:"), Some("alpha"), "{slots:?}");
    assert!(slots.stdout.contains("user PIN initialised"), "{slots:?}");
    assert!(slots.stdout.contains("Slot 1 (free)"), "{slots:?}");
    let serial = field(&slots.stdout, "Serial number:")
        .expect("serial")
        .to_string();
    assert_eq!(serial.len(), 16, "{slots:?}");

    let list = fx.run(&["token", "list"]);
    assert_eq!(list.code, 0, "{list:?}");
    let row = list
        .stdout
        .lines()
        .find(|l| l.starts_with('0'))
        .expect("row for slot 0");
    assert!(row.contains("alpha") && row.contains(&serial), "{list:?}");

    // The user PIN set by `token init` works.
    let objs = fx.run_env(
        &["object", "list", "--slot", "0"],
        &[("SOFTHSM_RS_PIN", USER_PIN)],
    );
    assert_eq!(objs.code, 0, "{objs:?}");
    assert!(objs.stdout.contains("all objects"), "{objs:?}");
    assert!(!fx.log_text().contains(USER_PIN) && !fx.log_text().contains(SO_PIN));
}

#[test]
fn init_into_an_existing_slot_needs_force() {
    let fx = Fixture::new();
    assert_eq!(fx.init_token(&["--label", "first"], SO_PIN).code, 0);
    let r = fx.init_token(&["--label", "second", "--slot", "0"], SO_PIN);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--force"), "{r:?}");
    let list = fx.run(&["token", "list"]);
    assert!(
        list.stdout.contains("first") && !list.stdout.contains("second"),
        "{list:?}"
    );

    // With --force and the right SO PIN it is re-initialised in place.
    let r = fx.init_token(&["--label", "second", "--slot", "0", "--force"], SO_PIN);
    assert_eq!(r.code, 0, "{r:?}");
    let list = fx.run(&["token", "list"]);
    assert!(
        list.stdout.contains("second") && !list.stdout.contains("first"),
        "{list:?}"
    );
}

#[test]
fn reinit_with_a_wrong_so_pin_fails_with_a_pin_message() {
    let fx = Fixture::new();
    assert_eq!(fx.init_token(&["--label", "first"], SO_PIN).code, 0);
    let wrong = "not-the-so-pin";
    let r = fx.init_token(&["--label", "second", "--slot", "0", "--force"], wrong);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("PIN incorrect"), "{r:?}");
    assert!(r.stderr.contains("hint:"), "{r:?}");
    assert!(
        !r.stderr.contains(wrong) && !fx.log_text().contains(wrong),
        "{r:?}"
    );
    let slots = fx.run(&["show-slots"]);
    assert!(slots.stdout.contains("SO PIN count low"), "{slots:?}");
    assert_eq!(field(&slots.stdout, "Token label:"), Some("first"), "{slots:?}");
}

#[test]
fn token_init_without_a_pin_source_is_a_usage_error() {
    let fx = Fixture::new();
    let r = fx.run(&["token", "init", "--label", "x"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("SOFTHSM_RS_SO_PIN"), "{r:?}");
    assert!(fx.run(&["token", "list"]).stdout.contains("No tokens"));
    let short = fx.run_env(
        &["token", "init", "--label", "x"],
        &[("SOFTHSM_RS_SO_PIN", "123"), ("SOFTHSM_RS_PIN", USER_PIN)],
    );
    assert_eq!(short.code, 2, "{short:?}");
    assert!(short.stderr.contains("SO PIN must be"), "{short:?}");
}

#[test]
fn object_list_without_a_pin_is_empty() {
    let fx = Fixture::new();
    assert_eq!(fx.init_token(&["--label", "objs"], SO_PIN).code, 0);
    let r = fx.run(&["object", "list", "--slot", "0"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("No objects in slot 0"), "{r:?}");
    assert!(r.stdout.contains("public objects only"), "{r:?}");

    let wrong = fx.run(&["object", "list", "--slot", "0", "--pin", "wrong-pin"]);
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(wrong.stderr.contains("PIN incorrect"), "{wrong:?}");

    let free = fx.run(&["object", "list", "--slot", "1"]);
    assert_eq!(free.code, 1, "{free:?}");
    assert!(free.stderr.contains("show-slots"), "{free:?}");
}

#[test]
fn setup_prints_random_pins_once() {
    let fx = Fixture::new();
    let first = fx.run(&["setup"]);
    assert_eq!(first.code, 0, "{first:?}");
    let so = field(&first.stdout, "SO PIN:").expect("SO PIN line").to_string();
    let user = field(&first.stdout, "User PIN:")
        .expect("user PIN line")
        .to_string();
    assert_eq!(so.len(), 16, "{first:?}");
    assert_eq!(user.len(), 16, "{first:?}");
    assert_ne!(so, user);
    let module = field(&first.stdout, "PKCS#11 module:").expect("module line");
    assert!(module.contains("libsofthsm_pkcs11"), "{first:?}");
    assert!(first.stdout.contains("pkcs11-tool --module"), "{first:?}");
    assert!(first.stdout.contains("p11tool --provider"), "{first:?}");
    let conf = fx.conf.canonicalize().expect("config path");
    assert!(
        first
            .stdout
            .contains(&format!("Config file:     {}", conf.display())),
        "{first:?}"
    );

    let second = fx.run(&["setup"]);
    assert_eq!(second.code, 0, "{second:?}");
    assert!(second.stdout.contains("Already set up"), "{second:?}");
    assert!(second.stdout.contains("Token label:    softhsm-rs"), "{second:?}");
    for pin in [&so, &user] {
        assert!(!second.stdout.contains(pin.as_str()), "{second:?}");
        assert!(!second.stderr.contains(pin.as_str()), "{second:?}");
        assert!(!fx.log_text().contains(pin.as_str()));
    }
    assert!(field(&second.stdout, "SO PIN:").is_none(), "{second:?}");

    // The generated user PIN opens the token; a second fresh store gets different PINs.
    let objs = fx.run_env(&["object", "list", "--slot", "0"], &[("SOFTHSM_RS_PIN", &user)]);
    assert_eq!(objs.code, 0, "{objs:?}");
    let other = Fixture::new().run(&["setup"]);
    assert_ne!(field(&other.stdout, "SO PIN:"), Some(so.as_str()));
    assert_ne!(field(&other.stdout, "User PIN:"), Some(user.as_str()));
}

#[test]
fn token_delete_needs_yes_without_a_terminal() {
    let fx = Fixture::new();
    assert_eq!(fx.init_token(&["--label", "doomed"], SO_PIN).code, 0);
    let refused = fx.run(&["token", "delete", "--label", "doomed"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("--yes"), "{refused:?}");
    assert!(fx.run(&["token", "list"]).stdout.contains("doomed"));

    let missing = fx.run(&["token", "delete", "--label", "nope", "--yes"]);
    assert_eq!(missing.code, 1, "{missing:?}");

    let r = fx.run(&["token", "delete", "--label", "doomed", "--yes"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("Deleted"), "{r:?}");
    let list = fx.run(&["token", "list"]);
    assert!(
        list.stdout.contains("No tokens") && !list.stdout.contains("doomed"),
        "{list:?}"
    );
    assert!(fx.run(&["show-slots"]).stdout.contains("Slot 0 (free)"));
}

#[test]
fn check_reports_ok() {
    let fx = Fixture::new();
    let r = fx.run(&["check"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.trim_end().ends_with(": ok"), "{r:?}");
}

#[test]
fn a_missing_config_file_is_a_runtime_error() {
    let fx = Fixture::new();
    let r = Command::new(env!("CARGO_BIN_EXE_softhsm-rs"))
        .args(["--config"])
        .arg(fx.dir.path().join("absent.toml"))
        .arg("show-slots")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("absent.toml"));
}

#[test]
fn help_of_every_command_exits_0_with_examples() {
    let fx = Fixture::new();
    let commands: &[&[&str]] = &[
        &[],
        &["setup"],
        &["show-slots"],
        &["token"],
        &["token", "init"],
        &["token", "list"],
        &["token", "delete"],
        &["object"],
        &["object", "list"],
        &["check"],
    ];
    for c in commands {
        let mut args = c.to_vec();
        args.push("--help");
        let r = fx.run(&args);
        assert_eq!(r.code, 0, "{c:?}: {r:?}");
        assert!(r.stdout.contains("Usage:"), "{c:?}: {r:?}");
        assert!(r.stdout.contains("Example"), "{c:?}: {r:?}");
    }
    let bad = fx.run(&["token", "frobnicate"]);
    assert_eq!(bad.code, 2, "{bad:?}");
}
