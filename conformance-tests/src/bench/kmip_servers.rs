//! The two servers kmip-bench compares, each started as its own process on 127.0.0.1 and
//! stopped by its PID when dropped:
//!
//! - softhsm-rs' `kmip-server` (the release binary) on a fresh private HOME, so its first start
//!   makes a keystore, the token `kmip` and a development CA; its banner names the port and the
//!   certificate files. Its banner also holds the token's PINs: it is read here and never
//!   printed.
//! - PyKMIP's `pykmip-server` from the repository's .venv, configured with the same
//!   development CA and server certificate (TLS 1.2 authentication suite, client certificates
//!   required), its SQLite database in the same temporary directory.

use kmip_server::client::{
    client_config, without_resumption, ClientConfig, ClientOptions, KmipClient, TlsVersions,
};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a server may take to start (its first start makes keys and certificates).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a server may take to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// The mutual-TLS material both servers and the client use (the development CA's files).
#[derive(Clone)]
pub struct Pki {
    pub dir: PathBuf,
    pub ca: Vec<u8>,
    pub client_cert: Vec<u8>,
    pub client_key: Vec<u8>,
    /// The client's TLS configuration, made once and shared by every connection of the run
    /// (certificates parsed once), with session resumption off: each connection makes a full
    /// handshake.
    pub config: Arc<ClientConfig>,
    /// The same with resumption on (the churn row that measures abbreviated handshakes).
    pub resuming: Arc<ClientConfig>,
}

impl Pki {
    fn load(dir: &Path) -> Result<Pki, String> {
        let read =
            |f: &str| std::fs::read(dir.join(f)).map_err(|e| format!("{}: {e}", dir.join(f).display()));
        let (ca, client_cert, client_key) = (read("ca.pem")?, read("client.pem")?, read("client.key")?);
        let resuming = client_config(&Pki::options_for(&ca, &client_cert, &client_key))
            .map_err(|e| format!("client TLS configuration: {e}"))?;
        let config = without_resumption(&resuming);
        Ok(Pki {
            dir: dir.to_path_buf(),
            ca,
            client_cert,
            client_key,
            config,
            resuming,
        })
    }

    /// Client options: mutual TLS, TLS 1.2 only (the one version both servers speak, so the
    /// handshakes compared are alike).
    pub fn options(&self) -> ClientOptions<'_> {
        Pki::options_for(&self.ca, &self.client_cert, &self.client_key)
    }

    fn options_for<'a>(ca: &'a [u8], cert: &'a [u8], key: &'a [u8]) -> ClientOptions<'a> {
        ClientOptions {
            versions: TlsVersions::Tls12Only,
            timeout: Duration::from_secs(15),
            ..ClientOptions::new(ca, cert, key)
        }
    }
}

/// A server process this program started.
pub struct Server {
    pub name: &'static str,
    pub addr: SocketAddr,
    child: Child,
    /// Whether it leads its own process group (PyKMIP forks helper processes).
    group: bool,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("name", &self.name)
            .field("addr", &self.addr)
            .field("pid", &self.child.id())
            .finish()
    }
}

fn signal(pid: i64, sig: &str) {
    let _ = Command::new("kill")
        .args([sig, "--", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM to the server's PID, a bounded wait, then SIGKILL (to its process group when it
    /// has one, so helpers it forked go too). Returns whether it stopped on SIGTERM.
    pub fn stop(&mut self) -> bool {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return true;
        }
        let pid = i64::from(self.child.id());
        signal(pid, "-TERM");
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                if self.group {
                    // Helpers that outlived it (none, normally).
                    signal(-pid, "-KILL");
                }
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        signal(if self.group { -pid } else { pid }, "-KILL");
        let _ = self.child.wait();
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Lines of a child's stdout, as they arrive.
fn lines_of(child: &mut Child) -> Result<mpsc::Receiver<String>, String> {
    let out = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Ok(rx)
}

/// Starts softhsm-rs' `kmip-server` on a fresh HOME under `dir`; returns it and the
/// development PKI it made.
pub fn start_ours(binary: &Path, dir: &Path) -> Result<(Server, Pki), String> {
    let home = dir.join("ours-home");
    std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
    let stderr = std::fs::File::create(dir.join("ours.stderr")).map_err(|e| e.to_string())?;
    let mut child = Command::new(binary)
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("SOFTHSM_RS_CONF")
        .env_remove("SOFTHSM2_CONF")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let lines = lines_of(&mut child)?;
    let mut server = Server {
        name: "softhsm-rs",
        addr: "127.0.0.1:0".parse().expect("address"),
        child,
        group: false,
    };
    let deadline = Instant::now() + START_TIMEOUT;
    let mut ca_path = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .map_err(|_| format!("kmip-server printed no `listening on` line within {START_TIMEOUT:?}"))?;
        if let Some(p) = line.strip_prefix("CA certificate:") {
            ca_path = Some(PathBuf::from(p.trim()));
        }
        if let Some(a) = line.strip_prefix("listening on ") {
            server.addr = a.trim().parse().map_err(|e| format!("banner address: {e}"))?;
            break;
        }
    }
    let certs = ca_path
        .as_deref()
        .and_then(Path::parent)
        .ok_or("the banner names no CA certificate")?
        .to_path_buf();
    let pki = Pki::load(&certs)?;
    Ok((server, pki))
}

/// A port that was free a moment ago (PyKMIP's server takes a fixed port).
fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// Starts PyKMIP's server (conformance-tests/scripts/pykmip_server.py) with `python` (the
/// .venv's) on 127.0.0.1, using the development PKI of our server, and waits until a
/// mutual-TLS connection succeeds.
pub fn start_pykmip(python: &Path, pki: &Pki, dir: &Path) -> Result<Server, String> {
    let launcher = Some(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scripts")
            .join("pykmip_server.py"),
    )
    .filter(|p| p.is_file());
    let home = dir.join("pykmip");
    let policies = home.join("policies");
    std::fs::create_dir_all(&policies).map_err(|e| e.to_string())?;
    let port = free_port()?;
    let conf = home.join("server.conf");
    // Logging at WARNING: at its default (INFO) PyKMIP writes several log lines per request,
    // which would slow it down for no one's benefit here.
    let text = format!(
        "[server]\nhostname=127.0.0.1\nport={port}\ncertificate_path={}\nkey_path={}\n\
         ca_path={}\nauth_suite=TLS1.2\npolicy_path={}\nenable_tls_client_auth=True\n\
         logging_level=WARNING\ndatabase_path={}\n",
        pki.dir.join("server.pem").display(),
        pki.dir.join("server.key").display(),
        pki.dir.join("ca.pem").display(),
        policies.display(),
        home.join("pykmip.db").display(),
    );
    std::fs::write(&conf, text).map_err(|e| e.to_string())?;
    let log = home.join("server.log");
    let out = std::fs::File::create(home.join("stdout")).map_err(|e| e.to_string())?;
    let err = std::fs::File::create(home.join("stderr")).map_err(|e| e.to_string())?;
    // What the `pykmip-server` script runs, through the repository's compatibility shim.
    let script = launcher.ok_or("conformance-tests/scripts/pykmip_server.py not found")?;
    use std::os::unix::process::CommandExt;
    let child = Command::new(python)
        .arg(script)
        .arg("-f")
        .arg(&conf)
        .arg("-l")
        .arg(&log)
        .env("HOME", &home)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(&home)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    let mut server = Server {
        name: "PyKMIP",
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        child,
        group: true,
    };
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            let tail = std::fs::read_to_string(home.join("stderr")).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(15).collect();
            return Err(format!(
                "pykmip-server exited ({status}) before it listened; stderr (last lines, newest first):\n  {}",
                tail.join("\n  ")
            ));
        }
        if let Ok(c) = KmipClient::connect_with(server.addr, &pki.options()) {
            c.close();
            return Ok(server);
        }
        if Instant::now() > deadline {
            server.stop();
            return Err(format!(
                "pykmip-server did not accept a connection within {START_TIMEOUT:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
