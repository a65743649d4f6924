//! One keystore in a temporary directory, the `kmip-server` process over it, the
//! `p11-durability` helper processes on the same file, and the KMIP requests the tests send.
//!
//! This process never loads the PKCS#11 module (see `kmip_process` for why): it reaches the
//! store through helper processes and the server, and through the core library only while no
//! other process is running (the integrity check after a round).

use conformance_tests::durability::{data_value, ecb_of_zero_block, key_bytes, split_version, Dumped};
use conformance_tests::harness::module_path;
pub use conformance_tests::harness::note;
use conformance_tests::kmip_process::KmipProcess;
use kmip_server::ttlv::enums::{CryptographicAlgorithm, ObjectType};
use kmip_server::ttlv::{Tag, Ttlv, Value};
use kmip_server::version::Version;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The KMIP version every request of these tests speaks.
pub const V: Version = Version::new(2, 0);
/// The token the server makes on its first start (and the helpers use).
pub const TOKEN: &str = "kmip";
/// How long a helper may take to log in and print `ready`.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// `SOFTHSM_LONG=1`: the long variant.
pub fn long() -> bool {
    std::env::var_os("SOFTHSM_LONG").is_some_and(|v| !v.is_empty() && v != "0")
}

/// A seed from `var` (to replay a run) or the clock, printed either way.
pub fn seed(var: &str, what: &str) -> u64 {
    let seed = std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(conformance_tests::durability::clock_seed);
    note(&format!("{what}: seed {seed} (replay with {var}={seed})"));
    seed
}

/// A keystore directory: `store.db`, the configuration the module and the core read
/// (`softhsm-rs.toml`; the server gets the same text in `kmip.toml`, which `KmipProcess`
/// rewrites at every start), the server's development CA (`certs/`) and the first token's PIN
/// file.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let mut dir = tempfile::Builder::new()
            .prefix("softhsm-durability-")
            .tempdir()
            .expect("a temporary directory");
        if std::env::var_os("P11_KEEP_TMP").is_some() {
            note(&format!("keystore directory kept: {}", dir.path().display()));
            dir.disable_cleanup(true);
        }
        let env = Env { dir };
        std::fs::write(env.config(), env.config_text()).expect("write the configuration");
        env
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.path().join("softhsm-rs.toml")
    }

    fn config_text(&self) -> String {
        let d = self.path().display();
        format!(
            "[store]\npath = \"{d}/store.db\"\n\n[log]\nfile = \"{d}/softhsm-rs.log\"\nlevel = \"warn\"\n\n\
             [pin]\nkdf_iterations = 1000\n\n[kmip]\ndev_ca_dir = \"{d}/certs\"\n"
        )
    }

    /// Starts `kmip-server` on this keystore (its first start makes the token and PIN file).
    pub fn server(&self) -> KmipProcess {
        KmipProcess::start(self.path(), &self.config_text())
    }

    /// The last lines of the log every process of this keystore writes (for failure messages).
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.path().join("softhsm-rs.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        format!("last lines of softhsm-rs.log:\n{tail}")
    }

    /// The `p11-durability` helper with this keystore's configuration.
    pub fn helper(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_p11-durability"));
        c.args(args)
            .env("P11_MODULE", module_path())
            .env("SOFTHSM_RS_CONF", self.config())
            .env_remove("SOFTHSM2_CONF")
            .env("P11_TOKEN_LABEL", TOKEN)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Ok(pin) = std::fs::read_to_string(self.path().join(softhsm::config::KMIP_PIN_FILE_NAME)) {
            c.env("P11_USER_PIN", pin.trim());
        }
        c
    }

    /// Every object of the token, as seen through the module by a `dump` helper.
    pub fn dump(&self) -> Vec<Dumped> {
        let out = self.helper(&["dump"]).output().expect("run p11-durability dump");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "dump failed ({}): the store does not open or an object cannot be read:\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let objs: Vec<Dumped> = stdout.lines().filter_map(Dumped::parse).collect();
        let want = format!("dump: {} objects", objs.len());
        assert!(stdout.lines().any(|l| l == want), "dump incomplete:\n{stdout}");
        objs
    }

    /// `PRAGMA integrity_check` through the core (only while no other process runs).
    pub fn check_integrity(&self) {
        let config = softhsm::config::Config::from_file(&self.config()).expect("the configuration");
        let hsm = softhsm::hsm::Hsm::open(config).expect("the store opens");
        hsm.check_integrity().expect("the store's integrity check passes");
    }
}

/// A helper process whose stdout lines arrive on a channel (whole lines only: the part of a
/// line a killed process had not finished is dropped).
pub struct Helper {
    pub child: Child,
    pub lines: mpsc::Receiver<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Helper {
    pub fn spawn(mut cmd: Command) -> Helper {
        let mut child = cmd.spawn().expect("spawn p11-durability");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut line = String::new();
            while matches!(r.read_line(&mut line), Ok(n) if n > 0) {
                if !line.ends_with('\n') || tx.send(line.trim_end().to_string()).is_err() {
                    break;
                }
                line.clear();
            }
        });
        let stderr = Some(std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        }));
        Helper { child, lines, stderr }
    }

    /// Waits for the `ready` line; the lines before it are returned.
    pub fn wait_ready(&mut self) -> Vec<String> {
        let mut before = Vec::new();
        loop {
            match self.lines.recv_timeout(READY_TIMEOUT) {
                Ok(l) if l == "ready" => return before,
                Ok(l) => before.push(l),
                Err(_) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!("helper not ready: {before:?}\n{}", self.stderr_text());
                }
            }
        }
    }

    /// SIGKILL, then every whole line it had written.
    pub fn kill(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.lines.iter().collect()
    }

    /// Waits for the exit; its status, every line and stderr.
    pub fn finish(mut self) -> (std::process::ExitStatus, Vec<String>, String) {
        let status = self.child.wait().expect("wait for the helper");
        let lines = self.lines.iter().collect();
        (status, lines, self.stderr_text())
    }

    fn stderr_text(&mut self) -> String {
        self.stderr.take().and_then(|h| h.join().ok()).unwrap_or_default()
    }
}

/// The first item tagged `tag` anywhere under `t`.
pub fn deep(t: &Ttlv, tag: Tag) -> Option<&Ttlv> {
    if t.tag == tag {
        return Some(t);
    }
    t.items().iter().find_map(|c| deep(c, tag))
}

pub fn name_attr(name: &str) -> Ttlv {
    Ttlv::new(
        Tag::NAME,
        Value::Structure(vec![
            Ttlv::text(Tag::NAME_VALUE, name),
            Ttlv::enumeration(Tag::NAME_TYPE, 1),
        ]),
    )
}

pub fn uid(uid: &str) -> Vec<Ttlv> {
    vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid)]
}

/// Register: the AES-128 key of identity `id` (its [`key_bytes`]) named `name`, not sensitive,
/// Pre-Active (so that Destroy needs no Revoke first).
pub fn register_aes(id: &str, name: &str) -> Vec<Ttlv> {
    let alg = || Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::AES.0);
    vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
        Ttlv::structure(
            Tag::ATTRIBUTES,
            vec![
                alg(),
                Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, 128),
                Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 0x4 | 0x8),
                // Readable through PKCS#11 (a Pre-Active key cannot encrypt there): its value
                // read back is what shows that it still unseals.
                Ttlv::boolean(Tag::SENSITIVE, false),
                name_attr(name),
            ],
        ),
        Ttlv::structure(
            Tag::SYMMETRIC_KEY,
            vec![Ttlv::structure(
                Tag::KEY_BLOCK,
                vec![
                    Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, 1),
                    Ttlv::structure(
                        Tag::KEY_VALUE,
                        vec![Ttlv::bytes(Tag::KEY_MATERIAL, key_bytes(id).to_vec())],
                    ),
                    alg(),
                    Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, 128),
                ],
            )],
        ),
    ]
}

/// Modify Attribute: the (first) Name becomes `name`.
pub fn modify_name(object: &str, name: &str) -> Vec<Ttlv> {
    let mut p = uid(object);
    p.push(Ttlv::structure(Tag::NEW_ATTRIBUTE, vec![name_attr(name)]));
    p
}

/// Locate by Name.
pub fn locate_name(name: &str) -> Vec<Ttlv> {
    vec![Ttlv::structure(Tag::ATTRIBUTES, vec![name_attr(name)])]
}

/// The Unique Identifier of a response payload.
pub fn uid_of(p: &Ttlv) -> Option<String> {
    p.find(Tag::UNIQUE_IDENTIFIER)
        .and_then(Ttlv::as_text)
        .map(str::to_string)
}

/// Identity and version of a dumped object (`None` for the remains of a key destroyed over
/// KMIP, whose key material must be gone), after checking that its value is the one its
/// identity calls for: a data object's value read; a key's material unsealed — an encryption
/// with it gives the right block, or (a key that is not sensitive) its value reads.
pub fn identify(d: &Dumped) -> Result<Option<(String, u32)>, String> {
    match d {
        Dumped::Data { uid, label, value } => match split_version(label) {
            Some((id, v)) if *value == data_value(&id) => Ok(Some((id, v))),
            _ => Err(format!(
                "data object {uid} ({label}) has the value {:?}",
                String::from_utf8_lossy(value)
            )),
        },
        Dumped::Key {
            uid,
            label,
            value,
            ecb,
            destroyed,
        } => {
            let (id, v) = split_version(label).ok_or_else(|| format!("key {uid} has the label {label:?}"))?;
            let want = key_bytes(&id);
            let encrypts = ecb.as_ref().is_ok_and(|c| *c == ecb_of_zero_block(&want));
            let reads = value.as_deref() == Some(&want[..]);
            match destroyed {
                true if value.is_none() && ecb.is_err() => Ok(None),
                true => Err(format!(
                    "key {uid} ({label}) was destroyed but its material is still there"
                )),
                false if encrypts || reads => Ok(Some((id, v))),
                false => Err(format!(
                    "key {uid} ({label}) does not unseal to its value: value {value:?}, encryption {ecb:?}"
                )),
            }
        }
    }
}
