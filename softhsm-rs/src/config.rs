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

    fn resolve(&self, p: &Path) -> PathBuf {
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

    /// The log file this configuration names.
    pub fn log_path(&self) -> PathBuf {
        match &self.log.file {
            Some(p) => self.resolve(p),
            None => self
                .store_path()
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(default_data_dir)
                .join("softhsm-rs.log"),
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
}
