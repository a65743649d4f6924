//! The `kmip-server` binary as a separate process, for tests that also load the PKCS#11 module.
//!
//! Why a process: the module and the server each carry their own copy of SQLite. Two SQLite
//! copies in one process break each other's POSIX file locks on the same database (closing a
//! descriptor in one drops the other's locks), so a test that loads the `.so` must talk to a
//! server in another process — which is also how they run in real deployments.

use kmip_server::client::KmipClient;
use kmip_server::message::request;
use kmip_server::ttlv::enums::{CryptographicAlgorithm, ObjectType, Operation, ResultReason, ResultStatus};
use kmip_server::ttlv::{binary, Tag, Ttlv};
use kmip_server::version::Version;
use std::io::{self, BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the server may take to print its `listening on` line.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The workspace's debug `kmip-server` (built by `cargo test --workspace`).
pub fn binary() -> PathBuf {
    workspace_binary("kmip-server")
}

/// A binary of the workspace's debug build (`kmip-server`, `softhsm-rs`).
pub fn workspace_binary(name: &str) -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace.join("target"), PathBuf::from);
    let bin = target.join("debug").join(name);
    assert!(
        bin.exists(),
        "{} is missing: build the workspace first",
        bin.display()
    );
    bin
}

/// A running `kmip-server`. Stopped (SIGTERM, then kill) when dropped.
#[derive(Debug)]
pub struct KmipProcess {
    child: Child,
    pub addr: SocketAddr,
    pub ca: Vec<u8>,
    pub cert: Vec<u8>,
    pub key: Vec<u8>,
}

impl KmipProcess {
    /// Starts the server from `config_toml` (written to `dir/kmip.toml`) on 127.0.0.1:0, with
    /// its development CA in `dir/certs`. Its stdout and stderr are kept in
    /// `dir/kmip-server.stdout` and `dir/kmip-server.stderr` (the secrets test reads them).
    pub fn start(dir: &Path, config_toml: &str) -> KmipProcess {
        let conf = dir.join("kmip.toml");
        std::fs::write(&conf, config_toml).expect("write kmip.toml");
        let stderr = std::fs::File::create(dir.join("kmip-server.stderr")).expect("stderr file");
        let mut echo = std::fs::File::create(dir.join("kmip-server.stdout")).expect("stdout file");
        let mut child = Command::new(binary())
            .arg("--config")
            .arg(&conf)
            .args(["--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("kmip-server starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = writeln!(echo, "{line}");
                // Kept reading after the start, so the server never writes into a closed pipe.
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(a) = line.strip_prefix("listening on ") {
                        break a.trim().parse().expect("an address");
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("kmip-server printed no `listening on` line");
                }
            }
        };
        let certs = dir.join("certs");
        let read = |f: &str| std::fs::read(certs.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        KmipProcess {
            addr,
            ca: read("ca.pem"),
            cert: read("client.pem"),
            key: read("client.key"),
            child,
        }
    }

    pub fn connect(&self) -> KmipClient {
        KmipClient::connect(self.addr, &self.ca, &self.cert, &self.key).expect("mutual TLS")
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory now and its peak so far, from `/proc/<pid>/status`.
    pub fn memory(&self) -> Memory {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let kib = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or_else(|| panic!("{key} missing from /proc/<pid>/status"))
        };
        Memory {
            rss_kib: kib("VmRSS:"),
            peak_kib: kib("VmHWM:"),
        }
    }

    /// Kills the server with SIGKILL (no shutdown of any kind) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server (SIGTERM, then kill) and waits for it.
    pub fn stop(self) {
        drop(self);
    }
}

/// A process's resident memory (`VmRSS`) and its high-water mark (`VmHWM`), in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    pub rss_kib: u64,
    pub peak_kib: u64,
}

impl Drop for KmipProcess {
    fn drop(&mut self) {
        // Already reaped (killed by the test, or exited): its pid may belong to another process.
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one request of `version` holding one operation; the answer's one batch item, or
/// `Err` when the connection failed or the answer was not a response with a batch item.
pub fn try_one_item(
    conn: &mut KmipClient,
    version: Version,
    op: Operation,
    payload: Vec<Ttlv>,
) -> io::Result<Ttlv> {
    let msg = request(version, vec![(op, payload)]);
    let answer = conn.send_raw(&binary::encode(&msg))?;
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let resp = binary::decode(&answer, &Default::default()).map_err(|_| bad("not a TTLV answer"))?;
    resp.find(Tag::BATCH_ITEM)
        .cloned()
        .ok_or_else(|| bad("no batch item"))
}

/// [`try_one_item`] for tests where a failed connection is a failed test.
pub fn one_item(conn: &mut KmipClient, version: Version, op: Operation, payload: Vec<Ttlv>) -> Ttlv {
    try_one_item(conn, version, op, payload).expect("an answer with a batch item")
}

/// One request of one batch item at version `v`: the Response Payload (an empty one if the
/// answer has none), or the Result Reason of a failed item. `Err` of the outer result: the
/// connection failed (no answer arrived).
pub fn call(
    conn: &mut KmipClient,
    v: Version,
    op: Operation,
    payload: Vec<Ttlv>,
) -> io::Result<Result<Ttlv, ResultReason>> {
    let item = try_one_item(conn, v, op, payload)?;
    if item.find(Tag::RESULT_STATUS).and_then(Ttlv::as_enum) == Some(ResultStatus::SUCCESS.0) {
        Ok(Ok(item.find(Tag::RESPONSE_PAYLOAD).cloned().unwrap_or_else(
            || Ttlv::structure(Tag::RESPONSE_PAYLOAD, vec![]),
        )))
    } else {
        Ok(Err(ResultReason(
            item.find(Tag::RESULT_REASON).and_then(Ttlv::as_enum).unwrap_or(0),
        )))
    }
}

/// The payload of a KMIP 2.x Create of an AES key of `bits` with usage `mask`, plus `extra`
/// attributes (a Name, Sensitive, …).
pub fn aes_create_payload(bits: i32, mask: i32, extra: Vec<Ttlv>) -> Vec<Ttlv> {
    let mut attrs = vec![
        Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::AES.0),
        Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, bits),
        Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, mask),
    ];
    attrs.extend(extra);
    vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
        Ttlv::structure(Tag::ATTRIBUTES, attrs),
    ]
}
