//! The one configuration file shared by the PKCS#11 module, the KMIP server and the CLI.
//!
//! Lookup order: the file named by `SOFTHSM_RS_CONF`; else, for drop-in use where SoftHSMv2 was
//! configured, the SoftHSMv2 file named by `SOFTHSM2_CONF` (its `directories.tokendir` holds our
//! store, `softhsm-rs.db`, and its `log.level` is honoured); else
//! `$XDG_CONFIG_HOME/softhsm-rs/softhsm-rs.toml` (or `~/.config/...`); else
//! `/etc/softhsm-rs/softhsm-rs.toml`. With no file at all every setting has a default, and the
//! store is a per-user file, so all programs of a user already share one keystore.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Environment variable naming the configuration file.
pub const CONF_ENV: &str = "SOFTHSM_RS_CONF";
/// SoftHSMv2's configuration variable, honoured when `SOFTHSM_RS_CONF` is not set.
pub const SOFTHSM2_CONF_ENV: &str = "SOFTHSM2_CONF";
/// The store's file name inside a SoftHSMv2 token directory.
pub const SOFTHSM2_STORE_NAME: &str = "softhsm-rs.db";

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub store: StoreConfig,
    pub log: LogConfig,
    pub pin: PinConfig,
    pub compat: CompatConfig,
    /// The KMIP server (`kmip-server`); the module and the CLI only carry it.
    pub kmip: KmipConfig,
    /// Where the file was read from, if anywhere (relative paths are resolved against it).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// The SQLite keystore file. Default: `$XDG_DATA_HOME/softhsm-rs/store.db`.
    pub path: Option<PathBuf>,
    /// How long a writer waits for another process's transaction before giving up.
    pub busy_timeout_ms: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: None,
            busy_timeout_ms: 30_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Log file. Default: `softhsm-rs.log` beside the default store. The PKCS#11 module never
    /// writes to its host's stdout or stderr.
    pub file: Option<PathBuf>,
    /// `off`, `error`, `warn`, `info` (default: logins, token changes and the reason for every
    /// refused request), `debug` (also every failing call) or `trace`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            file: None,
            level: "info".into(),
        }
    }
}

/// The key-derivation function that turns a PIN into the key wrapping the token key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Kdf {
    /// Argon2id (RFC 9106), memory-hard: the default.
    #[serde(rename = "argon2id")]
    Argon2id,
    /// PBKDF2-HMAC-SHA256 with `kdf_iterations` rounds.
    #[serde(rename = "pbkdf2-sha256")]
    Pbkdf2Sha256,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PinConfig {
    pub min_len: usize,
    pub max_len: usize,
    /// Failed logins (counted in the store, across processes) before a PIN is locked.
    pub max_failures: u32,
    /// KDF for PINs set from now on (the parameters are stored with each wrapped key). Default:
    /// Argon2id, or PBKDF2 when only `kdf_iterations` is given.
    pub kdf: Option<Kdf>,
    /// PBKDF2 iterations (default 600,000).
    pub kdf_iterations: Option<u32>,
    /// Argon2id memory in KiB (default 19,456: the OWASP minimum).
    pub argon2_memory_kib: u32,
    /// Argon2id passes (default 2).
    pub argon2_passes: u32,
}

impl Default for PinConfig {
    fn default() -> Self {
        PinConfig {
            min_len: 4,
            max_len: 255,
            max_failures: 10,
            kdf: None,
            kdf_iterations: None,
            argon2_memory_kib: 19_456,
            argon2_passes: 2,
        }
    }
}

impl PinConfig {
    /// The KDF and parameters new wrapped keys use.
    pub fn kdf_params(&self) -> crate::token::KdfParams {
        let kdf = self.kdf.unwrap_or(if self.kdf_iterations.is_some() {
            Kdf::Pbkdf2Sha256
        } else {
            Kdf::Argon2id
        });
        match kdf {
            Kdf::Pbkdf2Sha256 => crate::token::KdfParams::Pbkdf2 {
                iterations: self.kdf_iterations.unwrap_or(600_000),
            },
            Kdf::Argon2id => crate::token::KdfParams::Argon2id {
                memory_kib: self.argon2_memory_kib,
                passes: self.argon2_passes,
            },
        }
    }
}

/// How `CKM_AES_KEY_WRAP_PAD` is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum WrapPadMode {
    /// The standard's reading: RFC 3394 over PKCS#7-padded data.
    #[default]
    Pkcs7,
    /// SoftHSMv2's reading: RFC 5649, so blobs wrapped by SoftHSMv2 still unwrap.
    Rfc5649,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CompatConfig {
    pub aes_key_wrap_pad: WrapPadMode,
}

/// Label of the token the KMIP server creates on a fresh keystore and uses when no
/// `[[kmip.tokens]]` are configured.
pub const KMIP_FIRST_TOKEN_LABEL: &str = "kmip";
/// File beside the store holding the user PIN of [`KMIP_FIRST_TOKEN_LABEL`] (mode 0600).
pub const KMIP_PIN_FILE_NAME: &str = "kmip-token.pin";
/// Directory beside the store where the development CA is made when no certificates are
/// configured.
pub const KMIP_DEV_CA_DIR_NAME: &str = "certs";
/// The IANA port of KMIP over TLS.
pub const KMIP_DEFAULT_LISTEN: &str = "127.0.0.1:5696";
/// Upper bound accepted for `kmip.max_message_size`: each connection may hold one message
/// of that size in memory, so a typo must not allow gigabytes per connection.
pub const KMIP_MAX_MESSAGE_SIZE_LIMIT: u32 = 256 << 20;
/// Upper bound accepted for `kmip.max_nesting_depth`: the decoder recurses once per level, so
/// the bound keeps a hostile message's nesting far from the stack's end.
pub const KMIP_MAX_NESTING_DEPTH_LIMIT: usize = 256;

/// `[kmip]`: the KMIP server's listener, TLS material, limits, and who maps to which token.
///
/// With no `server_cert` / `server_key` / `client_ca`, the server makes (once) and uses a
/// development CA in `dev_ca_dir`. With no `[[kmip.tokens]]`, it logs in to the token
/// labelled `kmip` with the PIN in `kmip-token.pin` beside the store (both made on first start).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KmipConfig {
    /// Addresses to listen on (IP:port). Default: `127.0.0.1:5696`.
    pub listen: Vec<std::net::SocketAddr>,
    /// Server certificate chain (PEM, leaf first).
    pub server_cert: Option<PathBuf>,
    /// Server private key (PEM: PKCS#8, SEC1 or PKCS#1).
    pub server_key: Option<PathBuf>,
    /// CA certificate(s) (PEM) that client certificates must chain to.
    pub client_ca: Option<PathBuf>,
    /// Certificate revocation lists (PEM) checked for every client certificate.
    pub crls: Vec<PathBuf>,
    /// Where the development CA lives when the three paths above are not set. Default:
    /// `certs/` beside the store.
    pub dev_ca_dir: Option<PathBuf>,
    /// Require the clientAuth extended key usage in client certificates (default true). When
    /// false, a certificate without it (or with other usages only) is accepted if it chains
    /// to `client_ca`.
    pub require_client_eku: bool,
    /// Connections served at once; more are accepted and closed at once (default 1024).
    pub max_connections: usize,
    /// A connection with no request for this long is closed (default 120).
    pub idle_timeout_secs: u64,
    /// The TLS handshake must finish within this (default 10).
    pub handshake_timeout_secs: u64,
    /// On SIGTERM/SIGINT, requests in flight get this long to finish (default 30).
    pub shutdown_timeout_secs: u64,
    /// Largest request accepted, in bytes, header included (default 16 MiB). Checked against
    /// the length in the 8-byte TTLV header before anything is allocated.
    pub max_message_size: u32,
    /// Once the first byte of a request has arrived, the whole request must arrive within this
    /// (default 30): a client trickling a byte at a time cannot hold a connection for longer.
    pub message_timeout_secs: u64,
    /// Most TTLV items in one request (default 100,000); above it the request is answered with
    /// Server Limit Exceeded before its tree is built.
    pub max_message_items: usize,
    /// Deepest nesting of structures in a request (default 64, at most 256); deeper requests
    /// are answered with Server Limit Exceeded without recursing further.
    pub max_nesting_depth: usize,
    /// Most Batch Items in one request (default 1,000); above it the request is answered with
    /// Server Limit Exceeded, counted from the items' headers before anything is decoded.
    pub max_batch_items: usize,
    /// Most Unique Identifiers one Locate returns (default 10,000), whatever Maximum Items
    /// asks; Located Items still counts every match.
    pub max_locate_items: usize,
    /// Token of any verified client not listed in `clients`. Default: `kmip` when `clients`
    /// is empty, else none (unlisted clients are refused).
    pub default_token: Option<String>,
    /// Client certificate identity → token label.
    pub clients: Vec<KmipClientRule>,
    /// Tokens the server logs in to, and where each PIN comes from.
    pub tokens: Vec<KmipToken>,
    /// KMIP Username/Password credentials; when any is given, requests must carry one of them
    /// (checked by the request dispatcher).
    pub credentials: Vec<KmipCredential>,
}

impl Default for KmipConfig {
    fn default() -> Self {
        KmipConfig {
            listen: vec![KMIP_DEFAULT_LISTEN.parse().expect("constant address")],
            server_cert: None,
            server_key: None,
            client_ca: None,
            crls: Vec::new(),
            dev_ca_dir: None,
            require_client_eku: true,
            max_connections: 1024,
            idle_timeout_secs: 120,
            handshake_timeout_secs: 10,
            shutdown_timeout_secs: 30,
            max_message_size: 16 << 20,
            message_timeout_secs: 30,
            max_message_items: 100_000,
            max_nesting_depth: 64,
            max_batch_items: 1_000,
            max_locate_items: 10_000,
            default_token: None,
            clients: Vec::new(),
            tokens: Vec::new(),
            credentials: Vec::new(),
        }
    }
}

/// `[[kmip.clients]]`: clients whose certificate has this subject (RFC 4514, as
/// `openssl x509 -noout -subject -nameopt RFC2253` prints it) or this common name use `token`.
/// A subject rule wins over a common-name rule.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KmipClientRule {
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub common_name: Option<String>,
    pub token: String,
}

/// `[[kmip.tokens]]`: a token the server logs in to as the user, with its PIN from exactly one
/// of `pin_file` (mode 0600 or stricter) or `pin_env` (an environment variable's name).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KmipToken {
    pub label: String,
    #[serde(default)]
    pub pin_file: Option<PathBuf>,
    #[serde(default)]
    pub pin_env: Option<String>,
}

/// `[[kmip.credentials]]`: a KMIP Username and Password credential; the password comes from
/// exactly one of `password_file` (mode 0600 or stricter) or `password_env`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KmipCredential {
    pub username: String,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    #[serde(default)]
    pub password_env: Option<String>,
    /// Restricts the credential to clients mapped to this token (default: any).
    #[serde(default)]
    pub token: Option<String>,
}

impl KmipConfig {
    /// Checks the values and the references between them. The KMIP server calls this when it
    /// starts; the module and the CLI only need the section to be well-formed, so a KMIP
    /// mistake never stops a PKCS#11 application.
    pub fn check(&self) -> Result<(), String> {
        if self.listen.is_empty() {
            return Err("kmip.listen needs at least one address".into());
        }
        let tls = [&self.server_cert, &self.server_key, &self.client_ca];
        let given = tls.iter().filter(|p| p.is_some()).count();
        if given != 0 && given != 3 {
            return Err(
                "kmip.server_cert, kmip.server_key and kmip.client_ca go together: give all three, or \
                 none to use the development CA"
                    .into(),
            );
        }
        if self.max_connections == 0 {
            return Err("kmip.max_connections must be at least 1".into());
        }
        if self.idle_timeout_secs == 0 || self.handshake_timeout_secs == 0 || self.message_timeout_secs == 0 {
            return Err(
                "kmip.idle_timeout_secs, kmip.handshake_timeout_secs and kmip.message_timeout_secs must \
                 be at least 1"
                    .into(),
            );
        }
        for (key, v) in [
            ("max_message_items", self.max_message_items),
            ("max_batch_items", self.max_batch_items),
            ("max_locate_items", self.max_locate_items),
        ] {
            if v == 0 {
                return Err(format!("kmip.{key} must be at least 1"));
            }
        }
        if !(2..=KMIP_MAX_NESTING_DEPTH_LIMIT).contains(&self.max_nesting_depth) {
            return Err(format!(
                "kmip.max_nesting_depth must be 2..={KMIP_MAX_NESTING_DEPTH_LIMIT}"
            ));
        }
        if !(1024..=KMIP_MAX_MESSAGE_SIZE_LIMIT).contains(&self.max_message_size) {
            return Err(format!(
                "kmip.max_message_size must be 1024..={KMIP_MAX_MESSAGE_SIZE_LIMIT} bytes"
            ));
        }
        let labels: Vec<&str> = if self.tokens.is_empty() {
            vec![KMIP_FIRST_TOKEN_LABEL]
        } else {
            self.tokens.iter().map(|t| t.label.as_str()).collect()
        };
        for (i, t) in self.tokens.iter().enumerate() {
            if t.label.trim().is_empty() || t.label.len() > 32 {
                return Err(format!("kmip.tokens: label {:?} must be 1 to 32 bytes", t.label));
            }
            if labels[..i].contains(&t.label.as_str()) {
                return Err(format!("kmip.tokens: token {:?} is listed twice", t.label));
            }
            if t.pin_file.is_some() == t.pin_env.is_some() {
                return Err(format!(
                    "kmip.tokens: token {:?} needs exactly one of pin_file or pin_env",
                    t.label
                ));
            }
        }
        let known = |what: &str, label: &str| {
            if labels.contains(&label) {
                Ok(())
            } else {
                Err(format!(
                    "{what} names the token {label:?}, which is not among the tokens the server logs in \
                     to ({}); add a [[kmip.tokens]] entry for it",
                    labels.join(", ")
                ))
            }
        };
        if let Some(d) = &self.default_token {
            known("kmip.default_token", d)?;
        }
        for c in &self.clients {
            match (&c.subject, &c.common_name) {
                (Some(s), None) if !s.trim().is_empty() => {}
                (None, Some(n)) if !n.trim().is_empty() => {}
                _ => {
                    return Err(format!(
                        "kmip.clients: the rule for token {:?} needs exactly one non-empty subject or \
                         common_name",
                        c.token
                    ))
                }
            }
            known("kmip.clients", &c.token)?;
        }
        for c in &self.credentials {
            if c.username.is_empty() {
                return Err("kmip.credentials: username must not be empty".into());
            }
            if c.password_file.is_some() == c.password_env.is_some() {
                return Err(format!(
                    "kmip.credentials: user {:?} needs exactly one of password_file or password_env",
                    c.username
                ));
            }
            if let Some(t) = &c.token {
                known("kmip.credentials", t)?;
            }
        }
        Ok(())
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug)]
pub enum ConfigError {
    Unreadable(PathBuf, std::io::Error),
    Invalid(PathBuf, String),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Unreadable(p, e) => write!(f, "cannot read {}: {e}", p.display()),
            ConfigError::Invalid(p, e) => write!(f, "invalid configuration {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for ConfigError {}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

fn xdg(var: &str, fallback: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(fallback)))
}

/// The per-user data directory: `$XDG_DATA_HOME/softhsm-rs` (or `~/.local/share/softhsm-rs`).
pub fn default_data_dir() -> PathBuf {
    xdg("XDG_DATA_HOME", ".local/share")
        .unwrap_or_else(std::env::temp_dir)
        .join("softhsm-rs")
}

/// The files searched, in order, when `SOFTHSM_RS_CONF` is not set.
pub fn default_locations() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(dir) = xdg("XDG_CONFIG_HOME", ".config") {
        v.push(dir.join("softhsm-rs").join("softhsm-rs.toml"));
    }
    v.push(PathBuf::from("/etc/softhsm-rs/softhsm-rs.toml"));
    v
}

impl Config {
    /// Finds and reads the configuration (see the module docs for the order).
    pub fn load() -> Result<Config, ConfigError> {
        if let Some(p) = std::env::var_os(CONF_ENV).filter(|p| !p.is_empty()) {
            return Config::from_file(Path::new(&p));
        }
        if let Some(p) = std::env::var_os(SOFTHSM2_CONF_ENV).filter(|p| !p.is_empty()) {
            return Config::from_softhsm2_file(Path::new(&p));
        }
        for p in default_locations() {
            if p.is_file() {
                return Config::from_file(&p);
            }
        }
        Ok(Config::default())
    }

    /// Reads one configuration file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable(path.to_path_buf(), e))?;
        let mut c = Config::parse(&text).map_err(|e| ConfigError::Invalid(path.to_path_buf(), e))?;
        c.source = Some(path.to_path_buf());
        Ok(c)
    }

    /// Reads a SoftHSMv2 configuration file (`key = value` lines, `#` comments): the store goes
    /// into its `directories.tokendir`, and `log.level` maps onto ours. Other keys are ignored.
    pub fn from_softhsm2_file(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable(path.to_path_buf(), e))?;
        let mut c = Config::from_softhsm2(&text).map_err(|e| ConfigError::Invalid(path.to_path_buf(), e))?;
        c.source = Some(path.to_path_buf());
        Ok(c)
    }

    /// Parses SoftHSMv2 configuration text (see [`Config::from_softhsm2_file`]).
    pub fn from_softhsm2(text: &str) -> Result<Config, String> {
        let mut c = Config::default();
        let mut tokendir = None;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            match k.trim() {
                "directories.tokendir" => tokendir = Some(PathBuf::from(v.trim())),
                "log.level" => {
                    c.log.level = match v.trim().to_ascii_uppercase().as_str() {
                        "ERROR" => "error",
                        "WARNING" => "warn",
                        "INFO" => "info",
                        "DEBUG" => "debug",
                        _ => "warn",
                    }
                    .into()
                }
                _ => {}
            }
        }
        let dir = tokendir.ok_or("directories.tokendir is not set")?;
        c.store.path = Some(dir.join(SOFTHSM2_STORE_NAME));
        Ok(c)
    }

    /// Parses configuration text and checks its values.
    pub fn parse(text: &str) -> Result<Config, String> {
        let c: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        if c.pin.min_len == 0 || c.pin.min_len > c.pin.max_len {
            return Err("pin.min_len must be between 1 and pin.max_len".into());
        }
        if c.pin.max_failures == 0 {
            return Err("pin.max_failures must be at least 1".into());
        }
        if c.pin.kdf_iterations == Some(0) {
            return Err("pin.kdf_iterations must be at least 1".into());
        }
        if !(8..=crate::token::MAX_ARGON2_MEMORY_KIB).contains(&c.pin.argon2_memory_kib)
            || !(1..=crate::token::MAX_ARGON2_PASSES).contains(&c.pin.argon2_passes)
        {
            return Err(format!(
                "pin.argon2_memory_kib must be 8..={} and pin.argon2_passes 1..={}",
                crate::token::MAX_ARGON2_MEMORY_KIB,
                crate::token::MAX_ARGON2_PASSES
            ));
        }
        if log_level(&c.log.level).is_none() {
            return Err(format!(
                "log.level {:?} is not one of off, error, warn, info, debug, trace",
                c.log.level
            ));
        }
        Ok(c)
    }

    /// A path from the file, made absolute against the file's directory when relative.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        match (&self.source, p.is_relative()) {
            (Some(src), true) => src.parent().unwrap_or(Path::new(".")).join(p),
            _ => p.to_path_buf(),
        }
    }

    /// The keystore file this configuration names.
    pub fn store_path(&self) -> PathBuf {
        match &self.store.path {
            Some(p) => self.resolve(p),
            None => default_data_dir().join("store.db"),
        }
    }

    /// The directory holding the store (where first-start files go).
    pub fn store_dir(&self) -> PathBuf {
        self.store_path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(default_data_dir)
    }

    /// Where the KMIP server's development CA lives (`kmip.dev_ca_dir`, else `certs/` beside
    /// the store).
    pub fn kmip_dev_ca_dir(&self) -> PathBuf {
        match &self.kmip.dev_ca_dir {
            Some(p) => self.resolve(p),
            None => self.store_dir().join(KMIP_DEV_CA_DIR_NAME),
        }
    }

    /// The tokens the KMIP server logs in to, paths resolved: `[[kmip.tokens]]`, else the
    /// token `kmip` with its PIN in `kmip-token.pin` beside the store.
    pub fn kmip_tokens(&self) -> Vec<KmipToken> {
        if self.kmip.tokens.is_empty() {
            return vec![KmipToken {
                label: KMIP_FIRST_TOKEN_LABEL.into(),
                pin_file: Some(self.store_dir().join(KMIP_PIN_FILE_NAME)),
                pin_env: None,
            }];
        }
        self.kmip
            .tokens
            .iter()
            .map(|t| KmipToken {
                pin_file: t.pin_file.as_deref().map(|p| self.resolve(p)),
                ..t.clone()
            })
            .collect()
    }

    /// Whether the KMIP tokens are the built-in default (no `[[kmip.tokens]]`).
    pub fn kmip_tokens_are_default(&self) -> bool {
        self.kmip.tokens.is_empty()
    }

    /// The token of verified clients no rule names: `kmip.default_token`, else `kmip` when
    /// there are no `[[kmip.clients]]` rules at all.
    pub fn kmip_default_token(&self) -> Option<&str> {
        match (&self.kmip.default_token, self.kmip.clients.is_empty()) {
            (Some(t), _) => Some(t),
            (None, true) => Some(KMIP_FIRST_TOKEN_LABEL),
            (None, false) => None,
        }
    }

    /// The KMIP credentials with their password files resolved.
    pub fn kmip_credentials(&self) -> Vec<KmipCredential> {
        self.kmip
            .credentials
            .iter()
            .map(|c| KmipCredential {
                password_file: c.password_file.as_deref().map(|p| self.resolve(p)),
                ..c.clone()
            })
            .collect()
    }

    /// The log file this configuration names.
    pub fn log_path(&self) -> PathBuf {
        match &self.log.file {
            Some(p) => self.resolve(p),
            None => self.store_dir().join("softhsm-rs.log"),
        }
    }
}

/// Parses a log level name.
pub fn log_level(s: &str) -> Option<log::LevelFilter> {
    Some(match s.to_ascii_lowercase().as_str() {
        "off" => log::LevelFilter::Off,
        "error" => log::LevelFilter::Error,
        "warn" | "warning" => log::LevelFilter::Warn,
        "info" => log::LevelFilter::Info,
        "debug" => log::LevelFilter::Debug,
        "trace" => log::LevelFilter::Trace,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.pin.max_failures, 10);
        assert_eq!(c.compat.aes_key_wrap_pad, WrapPadMode::Pkcs7);
        assert!(c.store_path().ends_with("softhsm-rs/store.db"));
    }

    #[test]
    fn values_are_read_and_checked() {
        let c = Config::parse(
            "[store]\npath = \"/x/s.db\"\n[pin]\nmax_failures = 3\n[compat]\naes_key_wrap_pad = \"rfc5649\"\n",
        )
        .unwrap();
        assert_eq!(c.store_path(), PathBuf::from("/x/s.db"));
        assert_eq!(c.log_path(), PathBuf::from("/x/softhsm-rs.log"));
        assert_eq!(c.pin.max_failures, 3);
        assert_eq!(
            Config::parse("[pin]\nkdf_iterations = 5\n")
                .unwrap()
                .pin
                .kdf_params(),
            crate::token::KdfParams::Pbkdf2 { iterations: 5 }
        );
        assert_eq!(
            Config::parse("").unwrap().pin.kdf_params(),
            crate::token::KdfParams::Argon2id {
                memory_kib: 19_456,
                passes: 2
            }
        );
        assert!(Config::parse("[pin]\nargon2_memory_kib = 1\n").is_err());
        assert_eq!(c.compat.aes_key_wrap_pad, WrapPadMode::Rfc5649);
        assert!(Config::parse("[pin]\nmax_failures = 0\n").is_err());
        assert!(Config::parse("[log]\nlevel = \"loud\"\n").is_err());
        assert!(Config::parse("[nope]\n").is_err());
    }

    #[test]
    fn softhsm2_configuration_places_the_store_in_its_token_directory() {
        let c = Config::from_softhsm2(
            "# SoftHSMv2\ndirectories.tokendir = /tmp/ci-tokens/\nobjectstore.backend = file\nlog.level = DEBUG\n",
        )
        .unwrap();
        assert_eq!(c.store_path(), PathBuf::from("/tmp/ci-tokens/softhsm-rs.db"));
        assert_eq!(c.log.level, "debug");
        assert!(Config::from_softhsm2("log.level = INFO\n").is_err());
    }

    #[test]
    fn relative_paths_follow_the_file() {
        let mut c = Config::parse("[store]\npath = \"s.db\"\n").unwrap();
        c.source = Some(PathBuf::from("/etc/softhsm-rs/softhsm-rs.toml"));
        assert_eq!(c.store_path(), PathBuf::from("/etc/softhsm-rs/s.db"));
    }

    #[test]
    fn kmip_defaults() {
        let c = Config::parse("").unwrap();
        c.kmip.check().unwrap();
        let k = &c.kmip;
        assert_eq!(k.listen, vec!["127.0.0.1:5696".parse().unwrap()]);
        assert!(k.require_client_eku);
        assert_eq!(
            (k.max_connections, k.idle_timeout_secs, k.handshake_timeout_secs),
            (1024, 120, 10)
        );
        assert_eq!(k.max_message_size, 16 * 1024 * 1024);
        assert_eq!(
            (
                k.message_timeout_secs,
                k.max_message_items,
                k.max_nesting_depth,
                k.max_batch_items,
                k.max_locate_items
            ),
            (30, 100_000, 64, 1_000, 10_000)
        );
        let deep = Config::parse("[kmip]\nmax_nesting_depth = 10000\n").unwrap();
        assert!(deep.kmip.check().unwrap_err().contains("kmip.max_nesting_depth"));
        let none = Config::parse("[kmip]\nmax_batch_items = 0\n").unwrap();
        assert!(none.kmip.check().unwrap_err().contains("kmip.max_batch_items"));
        assert_eq!(c.kmip_default_token(), Some("kmip"));
        let toks = c.kmip_tokens();
        assert_eq!(toks.len(), 1);
        assert_eq!(toks[0].label, "kmip");
        assert_eq!(
            toks[0].pin_file.as_deref(),
            Some(c.store_dir().join("kmip-token.pin").as_path())
        );
        assert_eq!(c.kmip_dev_ca_dir(), c.store_dir().join("certs"));
    }

    #[test]
    fn kmip_section_is_read_and_checked() {
        let text = r#"
[store]
path = "s.db"
[kmip]
listen = ["127.0.0.1:15696", "[::1]:15696"]
server_cert = "tls/server.pem"
server_key = "tls/server.key"
client_ca = "tls/ca.pem"
crls = ["tls/ca.crl"]
require_client_eku = false
max_connections = 2
idle_timeout_secs = 5
handshake_timeout_secs = 3
max_message_size = 65536
default_token = "apps"
[[kmip.clients]]
subject = "CN=db1,O=example"
token = "db"
[[kmip.clients]]
common_name = "backup"
token = "apps"
[[kmip.tokens]]
label = "db"
pin_file = "db.pin"
[[kmip.tokens]]
label = "apps"
pin_env = "APPS_PIN"
[[kmip.credentials]]
username = "alice"
password_env = "ALICE_PASSWORD"
"#;
        let mut c = Config::parse(text).unwrap();
        c.kmip.check().unwrap();
        c.source = Some(PathBuf::from("/etc/softhsm-rs/softhsm-rs.toml"));
        assert_eq!(c.kmip.listen.len(), 2);
        assert!(!c.kmip.require_client_eku);
        assert_eq!(c.kmip_default_token(), Some("apps"));
        assert_eq!(c.kmip.clients[1].common_name.as_deref(), Some("backup"));
        let toks = c.kmip_tokens();
        assert_eq!(toks[0].pin_file, Some(PathBuf::from("/etc/softhsm-rs/db.pin")));
        assert_eq!(toks[1].pin_env.as_deref(), Some("APPS_PIN"));
        assert_eq!(
            c.resolve(c.kmip.server_cert.as_deref().unwrap()),
            PathBuf::from("/etc/softhsm-rs/tls/server.pem")
        );
        assert_eq!(c.kmip_credentials()[0].username, "alice");

        // A section the server would refuse is still read by the module and the CLI.
        let lax = Config::parse("[kmip]\ndefault_token = \"nope\"\n").unwrap();
        assert!(lax.kmip.check().is_err());

        // Explicit client rules without a default: unlisted clients get no token.
        let c = Config::parse("[[kmip.clients]]\ncommon_name = \"x\"\ntoken = \"kmip\"\n").unwrap();
        assert_eq!(c.kmip_default_token(), None);

        for bad in [
            "[kmip]\nlisten = []\n",
            "[kmip]\nlisten = [\"localhost\"]\n",
            "[kmip]\nserver_cert = \"a\"\n",
            "[kmip]\nmax_connections = 0\n",
            "[kmip]\nidle_timeout_secs = 0\n",
            "[kmip]\nmax_message_size = 4294967295\n",
            "[kmip]\nmax_message_size = 8\n",
            "[kmip]\nsurprise = 1\n",
            "[kmip]\ndefault_token = \"nope\"\n",
            "[[kmip.clients]]\ntoken = \"kmip\"\n",
            "[[kmip.clients]]\nsubject = \"CN=a\"\ncommon_name = \"a\"\ntoken = \"kmip\"\n",
            "[[kmip.clients]]\ncommon_name = \"a\"\ntoken = \"other\"\n",
            "[[kmip.tokens]]\nlabel = \"t\"\n",
            "[[kmip.tokens]]\nlabel = \"t\"\npin_file = \"f\"\npin_env = \"E\"\n",
            "[[kmip.tokens]]\nlabel = \"t\"\npin_env = \"E\"\n[[kmip.tokens]]\nlabel = \"t\"\npin_env = \"F\"\n",
            "[[kmip.credentials]]\nusername = \"u\"\n",
        ] {
            let checked = Config::parse(bad).and_then(|c| c.kmip.check());
            assert!(checked.is_err(), "accepted: {bad}");
        }
    }

    #[test]
    fn the_readme_example_is_a_valid_configuration() {
        let readme = include_str!("../../README.md");
        let section = &readme[readme.find("## Configuration").expect("section")..];
        let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
        let block = &section[start..start + section[start..].find("```").expect("block end")];
        let c = Config::parse(block).unwrap_or_else(|e| panic!("README example: {e}"));
        c.kmip.check().unwrap_or_else(|e| panic!("README example: {e}"));
        assert_eq!(c.kmip.tokens.len(), 2);
        assert_eq!(c.kmip_default_token(), Some("apps"));
    }
}
