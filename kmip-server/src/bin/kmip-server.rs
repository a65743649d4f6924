//! `kmip-server`: the KMIP face of the softhsm-rs keystore, over mutual TLS.
//!
//! With no arguments on a fresh machine it runs on the same embedded default as the PKCS#11
//! module and the CLI (the shared configuration file if there is one, else the per-user
//! keystore): it creates the token `kmip` with random PINs (shown once; the user PIN also goes
//! to `kmip-token.pin` beside the store, mode 0600, so restarts can log in), a development CA
//! in `certs/` beside the store, and listens on 127.0.0.1:5696.
//!
//! Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 1 when it cannot start (stderr says
//! why and what to do), 2 for a wrong command line.
//!
//! Architecture invariant: no PIN is ever logged; the PINs of a token created here are printed
//! once to stdout and never again.
#![forbid(unsafe_code)]

use clap::Parser;
use kmip_server::clients::ClientMap;
use kmip_server::devca;
use kmip_server::dispatch::Kmip;
use kmip_server::login::{self, Logins};
use kmip_server::server::{self, Handler, Limits, Settings};
use kmip_server::tls::{self, TlsFiles};
use softhsm::config::{Config, KMIP_FIRST_TOKEN_LABEL};
use softhsm::hsm::Hsm;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

// ------------------------------------------------------------------------------------------
// The request dispatcher is wired here, and only here.
// ------------------------------------------------------------------------------------------

/// The handler every connection's requests go to: the KMIP dispatcher over the keystore, with
/// the tokens the server logged in to and the header credentials the configuration requires.
fn make_handler(hsm: Arc<Hsm>, logins: Logins, config: &Config) -> Result<Arc<dyn Handler>, Failure> {
    let mut kmip = Kmip::new(hsm);
    for t in &logins.tokens {
        kmip.add_token(&t.label, t.slot);
    }
    let creds = login::credentials(config).map_err(|e| Failure::new(e.to_string()))?;
    kmip.require_credentials(creds);
    kmip.apply_limits(&config.kmip);
    Ok(Arc::new(kmip))
}

// ------------------------------------------------------------------------------------------

/// Descriptors the server needs besides one per connection: listeners, the keystore and its
/// WAL, the log, the runtime's own.
const FD_RESERVE: u64 = 64;

/// Raises the soft limit on open files to what `max_connections` needs (at most the hard
/// limit): many systems start processes at a soft limit of 1,024, below the default
/// `max_connections` plus the server's own descriptors. Above the hard limit it only warns:
/// accepts then fail with "too many open files" and are retried, connections open keep going.
fn raise_fd_limit(max_connections: usize) {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let need = (max_connections as u64).saturating_add(FD_RESERVE);
    let now = getrlimit(Resource::Nofile);
    let soft = now.current.unwrap_or(u64::MAX);
    if soft >= need {
        return;
    }
    let hard = now.maximum.unwrap_or(u64::MAX);
    let want = need.min(hard);
    match setrlimit(
        Resource::Nofile,
        rustix::process::Rlimit {
            current: Some(want),
            maximum: now.maximum,
        },
    ) {
        Ok(()) => log::info!("raised the open-file limit from {soft} to {want} for kmip.max_connections"),
        Err(e) => log::warn!("cannot raise the open-file limit from {soft} to {want}: {e}"),
    }
    if want < need {
        log::warn!(
            "the open-file hard limit ({hard}) is below the {need} descriptors kmip.max_connections = \
             {max_connections} needs; raise it (ulimit -Hn, LimitNOFILE= in systemd) or lower \
             kmip.max_connections"
        );
    }
}

const AFTER_HELP: &str = "\
First start (no arguments): uses the shared configuration if there is one (--config, else
$SOFTHSM_RS_CONF, else ~/.config/softhsm-rs/softhsm-rs.toml, else /etc/softhsm-rs/softhsm-rs.toml),
else built-in defaults with the keystore in ~/.local/share/softhsm-rs/store.db, the same one the
PKCS#11 module and the softhsm-rs CLI use. Without [[kmip.tokens]] in the configuration it creates
the token \"kmip\" if the keystore has none, prints its SO and user PINs ONCE, and keeps the user
PIN in kmip-token.pin beside the keystore (mode 0600). Without kmip.server_cert/server_key/client_ca
it creates a development CA with a server and a client certificate in certs/ beside the keystore.
Then it listens on 127.0.0.1:5696 and prints how to connect.

Examples:
  kmip-server
  kmip-server --listen 127.0.0.1:0                  (a free port; printed as `listening on ...`)
  kmip-server --config /etc/softhsm-rs/softhsm-rs.toml

Stop it with Ctrl-C or SIGTERM: it stops listening, lets requests in flight finish (at most
kmip.shutdown_timeout_secs) and exits with status 0.";

/// Serve the softhsm-rs keystore over KMIP (mutual TLS, port 5696).
#[derive(Parser)]
#[command(name = "kmip-server", version, after_help = AFTER_HELP)]
struct Cli {
    /// Configuration file (default: $SOFTHSM_RS_CONF, else the user's, else the system's, else
    /// built-in defaults)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on instead of kmip.listen; repeat for several; port 0 picks a free port
    #[arg(long, value_name = "ADDR")]
    listen: Vec<SocketAddr>,
}

/// Why the server could not start.
struct Failure {
    msg: String,
    hint: Option<String>,
}

impl Failure {
    fn new(msg: impl Into<String>) -> Failure {
        Failure {
            msg: msg.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
}

/// Writes to stdout; a closed stdout is not worth dying for.
fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let loaded = match &cli.config {
        Some(p) => Config::from_file(p),
        None => Config::load(),
    };
    let config = match loaded {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("hint: fix the file or point --config (or $SOFTHSM_RS_CONF) at a valid one");
            return ExitCode::from(1);
        }
    };
    let level = softhsm::config::log_level(&config.log.level).unwrap_or(log::LevelFilter::Info);
    softhsm::logging::init(Some(&config.log_path()), level, true);
    match run(cli, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.msg);
            if let Some(h) = f.hint {
                eprintln!("hint: {h}");
            }
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli, config: Config) -> Result<(), Failure> {
    config.kmip.check().map_err(|e| {
        let file = config
            .source
            .as_deref()
            .map_or_else(|| "the configuration".to_string(), |p| p.display().to_string());
        Failure::new(format!("invalid [kmip] section in {file}: {e}"))
            .hint("the README's configuration section describes every [kmip] key")
    })?;
    let store = config.store_path();
    let hsm = Hsm::open(config.clone()).map_err(|e| {
        Failure::new(format!("cannot open the keystore {}: {e}", store.display())).hint(format!(
            "check that the directory exists and is writable by you; the log {} says more",
            config.log_path().display()
        ))
    })?;
    let mut hsm = hsm;
    // The server is the key manager: it alone sets the KMIP lifecycle attributes.
    hsm.set_key_manager(true);
    let hsm = Arc::new(hsm);
    first_start(&hsm, &config)?;
    let logins = login::log_in(&hsm, &config.kmip_tokens()).map_err(|e| Failure::new(e.to_string()))?;

    let (files, dev) = tls_files(&config)?;
    let tls_config = tls::server_config_from_files(&files, config.kmip.require_client_eku).map_err(|e| {
        Failure::new(e.to_string()).hint(
            "kmip.server_cert must hold the server certificate chain (PEM), kmip.server_key its key, \
             kmip.client_ca the CA that issues client certificates",
        )
    })?;
    let clients = ClientMap::from_config(&config).map_err(Failure::new)?;
    raise_fd_limit(config.kmip.max_connections);
    let settings = Settings {
        limits: Limits::from_config(&config.kmip),
        clients: Arc::new(clients),
    };
    let addrs = if cli.listen.is_empty() {
        config.kmip.listen.clone()
    } else {
        cli.listen
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(format!("cannot start the async runtime: {e}")))?;
    let result = runtime.block_on(async {
        let mut listeners = Vec::new();
        for a in &addrs {
            let l = tokio::net::TcpListener::bind(a).await.map_err(|e| {
                Failure::new(format!("cannot listen on {a}: {e}")).hint(
                    "is another kmip-server running? Choose another address with --listen or kmip.listen",
                )
            })?;
            listeners.push(l);
        }
        let shutdown = shutdown_signal();
        let bound: Vec<SocketAddr> = listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
        how_to_connect(&config, &files, dev.as_ref(), bound.first().copied());
        for a in &bound {
            log::info!("listening on {a}");
            say(&format!("listening on {a}"));
        }
        let handler = make_handler(hsm.clone(), logins, &config)?;
        let report = server::run_all(listeners, tls_config, handler, settings, shutdown).await;
        say(&format!(
            "kmip-server stopped ({} connection(s) served{})",
            report.connections,
            match report.aborted_at_shutdown {
                0 => String::new(),
                n => format!(", {n} aborted at shutdown"),
            }
        ));
        Ok(())
    });
    runtime.shutdown_timeout(Duration::from_secs(2));
    result
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed here,
/// before the caller announces `listening on`: a signal sent right after that line (as a
/// supervisor or a test may) must stop the server cleanly, not kill it with the default action.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let watch = |kind: SignalKind, name: &'static str| match signal(kind) {
            Ok(s) => Some(s),
            Err(e) => {
                log::warn!("cannot watch for {name} ({e})");
                None
            }
        };
        let mut term = watch(SignalKind::terminate(), "SIGTERM");
        let mut int = watch(SignalKind::interrupt(), "SIGINT");
        async move {
            tokio::select! {
                _ = next_signal(&mut int) => log::info!("SIGINT received: shutting down"),
                _ = next_signal(&mut term) => log::info!("SIGTERM received: shutting down"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => log::info!("Ctrl-C received: shutting down"),
            Err(e) => {
                log::warn!("cannot watch for Ctrl-C ({e})");
                std::future::pending::<()>().await;
            }
        }
    }
}

/// The next delivery of a watched signal; never, for one that could not be watched.
#[cfg(unix)]
async fn next_signal(s: &mut Option<tokio::signal::unix::Signal>) {
    match s {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// On the built-in default (no `[[kmip.tokens]]`): makes the token `kmip` when the keystore
/// has none, prints its PINs once and keeps the user PIN in `kmip-token.pin`.
fn first_start(hsm: &Hsm, config: &Config) -> Result<(), Failure> {
    if !config.kmip_tokens_are_default() {
        return Ok(());
    }
    let pin_file = config.store_dir().join(softhsm::config::KMIP_PIN_FILE_NAME);
    let tokens = hsm
        .tokens()
        .map_err(|e| Failure::new(format!("cannot read the tokens of the keystore: {e}")))?;
    if tokens.iter().any(|t| t.label == KMIP_FIRST_TOKEN_LABEL) {
        return Ok(());
    }
    if pin_file.exists() {
        return Err(Failure::new(format!(
            "{} exists but the keystore {} has no token labelled {KMIP_FIRST_TOKEN_LABEL:?}",
            pin_file.display(),
            config.store_path().display()
        ))
        .hint(
            "point the configuration at the keystore that holds the token, or remove the stale PIN \
             file to have a new token made",
        ));
    }
    let first = softhsm::provision::create_first_token(hsm, KMIP_FIRST_TOKEN_LABEL)
        .map_err(|e| Failure::new(format!("cannot create the token {KMIP_FIRST_TOKEN_LABEL:?}: {e}")))?;
    log::info!(
        "first start: created the token {:?} in slot {} (serial {})",
        first.label,
        first.slot,
        first.serial
    );
    let mut text = Zeroizing::new(String::new());
    text.push_str(&format!(
        "Created the token {:?} in slot {} (serial {}) with random PINs:\n\n",
        first.label, first.slot, first.serial
    ));
    text.push_str("    SO PIN:    ");
    text.push_str(&first.so_pin);
    text.push_str("\n    User PIN:  ");
    text.push_str(&first.user_pin);
    text.push('\n');
    say(&text);
    let written = login::write_secret_file(&pin_file, &first.user_pin);
    match written {
        Ok(()) => say(&format!(
            "WARNING: these PINs are shown only this once. The SO PIN is stored nowhere: keep it now\n\
             (it resets a locked user PIN). The user PIN is also kept, mode 0600, in\n    {}\n\
             so the server can log in at each start. PKCS#11 applications see the same token.\n",
            pin_file.display()
        )),
        Err(e) => {
            return Err(Failure::new(format!(
                "the token was created but its user PIN could not be written to {}: {e}",
                pin_file.display()
            ))
            .hint(format!(
                "write the user PIN shown above into {} (one line, `chmod 600`) and start again",
                pin_file.display()
            )))
        }
    }
    Ok(())
}

/// The TLS files to use: the configured ones, or the development CA (made when missing).
fn tls_files(config: &Config) -> Result<(TlsFiles, Option<devca::DevCa>), Failure> {
    let k = &config.kmip;
    let crls: Vec<PathBuf> = k.crls.iter().map(|p| config.resolve(p)).collect();
    if let (Some(cert), Some(key), Some(ca)) = (&k.server_cert, &k.server_key, &k.client_ca) {
        let files = TlsFiles {
            server_cert: config.resolve(cert),
            server_key: config.resolve(key),
            client_ca: config.resolve(ca),
            crls,
        };
        return Ok((files, None));
    }
    let dir = config.kmip_dev_ca_dir();
    let dev = devca::ensure_dev_ca(&dir).map_err(|e| {
        Failure::new(format!(
            "cannot set up the development CA in {}: {e}",
            dir.display()
        ))
        .hint("or configure your own: kmip.server_cert, kmip.server_key and kmip.client_ca")
    })?;
    if !dev.created.is_empty() {
        log::info!(
            "development CA: created {} file(s) in {}",
            dev.created.len(),
            dir.display()
        );
        say(&format!(
            "Created a development CA, a server and a client certificate in\n    {}\n\
             For testing only: configure kmip.server_cert, kmip.server_key and kmip.client_ca for real use.\n",
            dir.display()
        ));
    }
    let files = TlsFiles {
        server_cert: dev.paths.server_cert.clone(),
        server_key: dev.paths.server_key.clone(),
        client_ca: dev.paths.ca_cert.clone(),
        crls,
    };
    Ok((files, Some(dev)))
}

fn shown(p: &Path) -> String {
    p.canonicalize()
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

/// Prints where things are and how to connect.
fn how_to_connect(config: &Config, files: &TlsFiles, dev: Option<&devca::DevCa>, addr: Option<SocketAddr>) {
    let (host, port) = match addr {
        Some(a) => (a.ip().to_string(), a.port()),
        None => ("127.0.0.1".to_string(), 5696),
    };
    let conf = config
        .source
        .as_deref()
        .map_or_else(|| "none: defaults".to_string(), shown);
    let store = shown(&config.store_path());
    let mut t = String::new();
    t.push_str(&format!("Keystore:            {store}\n"));
    t.push_str(&format!("Config file:         {conf}\n"));
    t.push_str(&format!("Log file:            {}\n", shown(&config.log_path())));
    // What a client needs: the CA that issued the server certificate, and its own pair.
    let (ca, cert, key) = match dev {
        Some(d) => {
            let (ca, c, k) = (
                shown(&d.paths.ca_cert),
                shown(&d.paths.client_cert),
                shown(&d.paths.client_key),
            );
            t.push_str(&format!("CA certificate:      {ca}\n"));
            t.push_str(&format!("Client certificate:  {c}\n"));
            t.push_str(&format!("Client key:          {k}\n"));
            (ca, c, k)
        }
        None => {
            t.push_str(&format!("Server certificate:  {}\n", shown(&files.server_cert)));
            t.push_str(&format!(
                "Client CA:           {} (client certificates must chain to it)\n",
                shown(&files.client_ca)
            ));
            (
                "<CA of the server certificate>".to_string(),
                "<client.pem>".to_string(),
                "<client.key>".to_string(),
            )
        }
    };
    t.push_str(&format!(
        "\nThe PKCS#11 module and the softhsm-rs CLI see the same tokens when they read the same\n\
         configuration; to name the keystore explicitly, the config line is:\n\
         \n    [store]\n    path = \"{store}\"\n"
    ));
    t.push_str(&format!(
        "\nCheck TLS:  openssl s_client -connect {host}:{port} -CAfile {ca} -cert {cert} -key {key}\n"
    ));
    t.push_str(&format!(
        "\nPyKMIP client (pykmip.conf):\n\
         \n    [client]\n    host={host}\n    port={port}\n    certfile={cert}\n    keyfile={key}\n    \
         ca_certs={ca}\n    cert_reqs=CERT_REQUIRED\n    do_handshake_on_connect=True\n    \
         suppress_ragged_eofs=True\n"
    ));
    say(&t);
}
