//! The workload of `secrets_in_logs`: the admin CLI, the PKCS#11 module and a `kmip-server`
//! process on one keystore, each used with right and wrong PINs, with keys of every kind and
//! with operations that fail. Every secret it chooses or learns goes into `Run::secrets`,
//! every error string into `Run::errors`, and public values the store keeps readable by
//! design into `Run::public` (the store scan's positive control).

mod kmip;
mod p11;

use conformance_tests::kmip_process::workspace_binary;
use conformance_tests::secrets::Secrets;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Label of the token made and used through PKCS#11.
pub const P11_LABEL: &str = "secrets-p11";
/// Label of the token the CLI makes and the KMIP server uses.
pub const KMIP_LABEL: &str = "secrets-kmip";
const P11_SO_PIN: &str = "So-Pin.7c1e9a44";
const P11_USER_PIN: &str = "User-Pin.3f08d2b1";
/// The PKCS#11 token's user PIN after `C_SetPIN`.
pub const P11_USER_PIN_FINAL: &str = "New-User-Pin.a5c2e7";
const WRONG_PIN: &str = "Wrong-Pin.90ab12cd";
const KMIP_SO_PIN: &str = "Kmip-So-Pin.61f0b3";
/// The user PIN of the KMIP server's token (set by the CLI, read by the server from a file).
pub const KMIP_USER_PIN: &str = "Kmip-User-Pin.d94e07";

pub struct Run {
    pub dir: PathBuf,
    pub conf: PathBuf,
    pub secrets: Secrets,
    pub errors: Vec<String>,
    pub public: Vec<(String, Vec<u8>)>,
    cli_runs: usize,
}

impl Run {
    pub fn new(dir: &Path, conf: &Path) -> Run {
        let mut secrets = Secrets::default();
        for (n, p) in [
            ("SO", P11_SO_PIN),
            ("user", P11_USER_PIN),
            ("new user", P11_USER_PIN_FINAL),
            ("wrong", WRONG_PIN),
            ("KMIP SO", KMIP_SO_PIN),
            ("KMIP user", KMIP_USER_PIN),
        ] {
            secrets.add(format!("PIN {n}"), p.as_bytes());
        }
        Run {
            dir: dir.to_path_buf(),
            conf: conf.to_path_buf(),
            secrets,
            errors: Vec::new(),
            public: Vec::new(),
            cli_runs: 0,
        }
    }

    /// Keeps the text of a failure (both its `Display` and `Debug` forms) for the scan.
    pub fn error<T: std::fmt::Debug, E: std::fmt::Display + std::fmt::Debug>(
        &mut self,
        r: Result<T, E>,
    ) -> E {
        let e = r.expect_err("this operation must fail");
        self.errors.push(format!("{e} / {e:?}"));
        e
    }

    /// Runs the admin CLI with `env`; its stdout and stderr are kept as files in the run's
    /// directory (scanned later). Returns whether it succeeded.
    fn softhsm_rs(&mut self, args: &[&str], env: &[(&str, &str)]) -> bool {
        self.cli_runs += 1;
        let n = self.cli_runs;
        let out = std::fs::File::create(self.dir.join(format!("cli-{n}.stdout"))).unwrap();
        let err = std::fs::File::create(self.dir.join(format!("cli-{n}.stderr"))).unwrap();
        let mut cmd = Command::new(workspace_binary("softhsm-rs"));
        cmd.arg("--config")
            .arg(&self.conf)
            .args(args)
            .env_remove("SOFTHSM_RS_PIN")
            .env_remove("SOFTHSM_RS_SO_PIN")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.status().expect("softhsm-rs runs").success()
    }

    /// The admin CLI: makes the KMIP server's token (PINs from the environment), lists its
    /// objects with the right and with a wrong PIN, and fails to re-initialise it with a wrong
    /// SO PIN.
    pub fn cli(&mut self) {
        assert!(self.softhsm_rs(
            &["token", "init", "--free", "--label", KMIP_LABEL],
            &[
                ("SOFTHSM_RS_SO_PIN", KMIP_SO_PIN),
                ("SOFTHSM_RS_PIN", KMIP_USER_PIN)
            ],
        ));
        assert!(self.softhsm_rs(&["token", "list"], &[]));
        assert!(self.softhsm_rs(
            &["object", "list", "--slot", "0"],
            &[("SOFTHSM_RS_PIN", KMIP_USER_PIN)]
        ));
        assert!(!self.softhsm_rs(
            &["object", "list", "--slot", "0"],
            &[("SOFTHSM_RS_PIN", WRONG_PIN)]
        ));
        assert!(!self.softhsm_rs(
            &["token", "init", "--slot", "0", "--force", "--label", KMIP_LABEL],
            &[
                ("SOFTHSM_RS_SO_PIN", WRONG_PIN),
                ("SOFTHSM_RS_PIN", KMIP_USER_PIN)
            ],
        ));
        // A PIN too short for the configured minimum: refused with a message.
        assert!(!self.softhsm_rs(
            &["token", "init", "--free", "--label", "short-pin"],
            &[("SOFTHSM_RS_SO_PIN", "ab"), ("SOFTHSM_RS_PIN", KMIP_USER_PIN)],
        ));
    }
}
