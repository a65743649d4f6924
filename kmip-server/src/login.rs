//! The server's own logins: each configured token's PIN read from its file or environment
//! variable, and a user session kept open on each token for the life of the process.
//!
//! A PIN file must be a regular file that neither group nor others can read (mode 0600 or
//! stricter); anything else is refused with the `chmod` that fixes it.
//!
//! Architecture invariant: PINs (and passwords) are held in `Zeroizing` buffers and never
//! appear in an error, a log line or `Debug` output; errors name where the secret came from.

use cryptoki_sys as ck;
use softhsm::config::KmipToken;
use softhsm::hsm::Hsm;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Longest secret file read: a PIN is at most 255 bytes (pin.max_len); a bigger file is not
/// a PIN file.
const MAX_SECRET_FILE: u64 = 4096;

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    File(PathBuf),
    Env(String),
}

impl std::fmt::Display for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::File(p) => write!(f, "the file {}", p.display()),
            SecretSource::Env(v) => write!(f, "the environment variable ${v}"),
        }
    }
}

/// Why a secret could not be read. Never carries the secret.
#[derive(Debug)]
pub enum SecretError {
    Io {
        path: PathBuf,
        err: std::io::Error,
    },
    /// Group or others may read the file.
    TooOpen {
        path: PathBuf,
        mode: u32,
    },
    NotAFile(PathBuf),
    TooLarge(PathBuf),
    Empty(SecretSource),
    EnvMissing(String),
    NotUtf8(SecretSource),
}

impl std::fmt::Display for SecretError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretError::Io { path, err } => write!(f, "cannot read {}: {err}", path.display()),
            SecretError::TooOpen { path, mode } => write!(
                f,
                "{} is readable by group or others (mode {mode:04o}); a PIN file must be private: \
                 run `chmod 600 {}`",
                path.display(),
                path.display()
            ),
            SecretError::NotAFile(p) => write!(f, "{} is not a regular file", p.display()),
            SecretError::TooLarge(p) => {
                write!(
                    f,
                    "{} is larger than {MAX_SECRET_FILE} bytes: not a PIN file",
                    p.display()
                )
            }
            SecretError::Empty(s) => write!(f, "{s} is empty"),
            SecretError::EnvMissing(v) => write!(f, "the environment variable ${v} is not set"),
            SecretError::NotUtf8(s) => write!(f, "{s} is not valid UTF-8"),
        }
    }
}

impl std::error::Error for SecretError {}

/// Reads a secret from a private file: one line; a final newline (LF or CRLF) is not part of it.
pub fn read_secret_file(path: &Path) -> Result<Zeroizing<String>, SecretError> {
    let io = |err| SecretError::Io {
        path: path.to_path_buf(),
        err,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let meta = f.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(SecretError::NotAFile(path.to_path_buf()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(SecretError::TooOpen {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    let mut raw = Zeroizing::new(Vec::new());
    f.take(MAX_SECRET_FILE + 1).read_to_end(&mut raw).map_err(io)?;
    if raw.len() as u64 > MAX_SECRET_FILE {
        return Err(SecretError::TooLarge(path.to_path_buf()));
    }
    let src = || SecretSource::File(path.to_path_buf());
    let text = std::str::from_utf8(&raw).map_err(|_| SecretError::NotUtf8(src()))?;
    let line = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text);
    if line.is_empty() {
        return Err(SecretError::Empty(src()));
    }
    Ok(Zeroizing::new(line.to_string()))
}

/// Reads a secret from wherever `source` says.
pub fn read_secret(source: &SecretSource) -> Result<Zeroizing<String>, SecretError> {
    match source {
        SecretSource::File(p) => read_secret_file(p),
        SecretSource::Env(var) => match std::env::var_os(var) {
            None => Err(SecretError::EnvMissing(var.clone())),
            Some(v) if v.is_empty() => Err(SecretError::Empty(source.clone())),
            Some(v) => v
                .into_string()
                .map(Zeroizing::new)
                .map_err(|_| SecretError::NotUtf8(source.clone())),
        },
    }
}

/// Writes a secret to a new file with mode 0600 (never replacing an existing file).
pub fn write_secret_file(path: &Path, secret: &str) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    let mut line = Zeroizing::new(String::with_capacity(secret.len() + 1));
    line.push_str(secret);
    line.push('\n');
    f.write_all(line.as_bytes())?;
    f.sync_all()
}

/// The PIN source of a configured token.
pub fn pin_source(t: &KmipToken) -> Option<SecretSource> {
    match (&t.pin_file, &t.pin_env) {
        (Some(p), _) => Some(SecretSource::File(p.clone())),
        (None, Some(v)) => Some(SecretSource::Env(v.clone())),
        (None, None) => None,
    }
}

/// A token the server is logged in to, through a session kept open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenLogin {
    pub label: String,
    pub slot: u64,
    /// A read/write session in which the user is logged in (the login covers every session
    /// of the slot in this process).
    pub session: u64,
}

/// Every token the server is logged in to.
#[derive(Debug, Clone, Default)]
pub struct Logins {
    pub tokens: Vec<TokenLogin>,
}

impl Logins {
    /// The login of the token labelled `label`.
    pub fn token(&self, label: &str) -> Option<&TokenLogin> {
        self.tokens.iter().find(|t| t.label == label)
    }
}

/// Why the server could not log in to a token. Never carries a PIN.
#[derive(Debug)]
pub enum LoginError {
    /// No PIN source configured (the configuration check prevents this).
    NoPinSource {
        label: String,
    },
    Secret {
        label: String,
        err: SecretError,
    },
    NoSuchToken {
        label: String,
    },
    Ambiguous {
        label: String,
        slots: Vec<u64>,
    },
    Core {
        label: String,
        source: Option<SecretSource>,
        err: softhsm::Error,
    },
}

impl std::fmt::Display for LoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoginError::NoPinSource { label } => {
                write!(f, "token {label:?}: no pin_file or pin_env configured")
            }
            LoginError::Secret { label, err } => write!(f, "cannot read the PIN of token {label:?}: {err}"),
            LoginError::NoSuchToken { label } => write!(
                f,
                "the keystore has no token labelled {label:?}; create it (`softhsm-rs token init --free \
                 --label {label}`) or fix [[kmip.tokens]]"
            ),
            LoginError::Ambiguous { label, slots } => write!(
                f,
                "{} tokens are labelled {label:?} (slots {slots:?}); give them distinct labels",
                slots.len()
            ),
            LoginError::Core { label, source, err } => {
                write!(f, "cannot log in to token {label:?}")?;
                if let Some(s) = source {
                    write!(f, " with the PIN from {s}")?;
                }
                write!(f, ": {err}")?;
                match err {
                    softhsm::Error::PinIncorrect => write!(
                        f,
                        "; the PIN is wrong (the failure was counted: too many lock the PIN). Put the \
                         token's user PIN there"
                    ),
                    softhsm::Error::PinLocked => write!(
                        f,
                        "; the user PIN is locked: the SO must reset it (C_InitPIN) before the server can log in"
                    ),
                    softhsm::Error::UserPinNotInitialized => {
                        write!(f, "; the token has no user PIN yet: the SO must set one (C_InitPIN)")
                    }
                    _ => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for LoginError {}

/// Logs in to every token of `tokens` as the user, keeping a session open on each.
pub fn log_in(hsm: &Hsm, tokens: &[KmipToken]) -> Result<Logins, LoginError> {
    let mut logins = Logins::default();
    for t in tokens {
        let label = t.label.clone();
        let source = pin_source(t).ok_or_else(|| LoginError::NoPinSource { label: label.clone() })?;
        let pin = read_secret(&source).map_err(|err| LoginError::Secret {
            label: label.clone(),
            err,
        })?;
        let login = log_in_with_pin(hsm, &label, pin.as_bytes()).map_err(|e| match e {
            LoginError::Core { label, err, .. } => LoginError::Core {
                label,
                source: Some(source.clone()),
                err,
            },
            other => other,
        })?;
        log::info!(
            "logged in to token {label:?} (slot {}) with the PIN from {source}",
            login.slot
        );
        logins.tokens.push(login);
    }
    Ok(logins)
}

/// Logs in as the user to the one token labelled `label`, keeping a session open so the
/// login lasts (it covers every session of the slot in this process). The PIN is not kept.
pub fn log_in_with_pin(hsm: &Hsm, label: &str, pin: &[u8]) -> Result<TokenLogin, LoginError> {
    let label = label.to_string();
    let core = |err| LoginError::Core {
        label: label.clone(),
        source: None,
        err,
    };
    let slots: Vec<u64> = hsm
        .tokens()
        .map_err(core)?
        .into_iter()
        .filter(|r| r.label == label)
        .map(|r| r.slot_id)
        .collect();
    let slot = match slots.as_slice() {
        [] => return Err(LoginError::NoSuchToken { label }),
        [s] => *s,
        _ => return Err(LoginError::Ambiguous { label, slots }),
    };
    let session = hsm
        .open_session(slot, ck::CKF_SERIAL_SESSION | ck::CKF_RW_SESSION)
        .map_err(core)?;
    match hsm.login(session, ck::CKU_USER, pin) {
        Ok(()) | Err(softhsm::Error::UserAlreadyLoggedIn) => {}
        Err(err) => {
            let _ = hsm.close_session(session);
            return Err(core(err));
        }
    }
    Ok(TokenLogin { label, slot, session })
}

/// Username → (password, the token the credential is restricted to).
pub type Credentials = std::collections::HashMap<String, (Zeroizing<String>, Option<String>)>;

/// The `[[kmip.credentials]]` of the configuration with their passwords read.
pub fn credentials(config: &softhsm::config::Config) -> Result<Credentials, SecretError> {
    let mut out = std::collections::HashMap::new();
    for c in &config.kmip.credentials {
        let source = match (&c.password_file, &c.password_env) {
            (Some(p), _) => SecretSource::File(p.clone()),
            (None, Some(v)) => SecretSource::Env(v.clone()),
            // The configuration check requires one of the two.
            (None, None) => continue,
        };
        out.insert(c.username.clone(), (read_secret(&source)?, c.token.clone()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_files_must_be_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pin");
        write_secret_file(&p, "s3cret-pin").unwrap();
        assert_eq!(read_secret_file(&p).unwrap().as_str(), "s3cret-pin");
        assert!(write_secret_file(&p, "other").is_err(), "never replaced");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
            let e = read_secret_file(&p).unwrap_err();
            let msg = e.to_string();
            assert!(matches!(e, SecretError::TooOpen { mode: 0o640, .. }), "{msg}");
            assert!(msg.contains("chmod 600") && !msg.contains("s3cret"), "{msg}");
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o604)).unwrap();
            assert!(read_secret_file(&p).is_err());
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o400)).unwrap();
            assert!(read_secret_file(&p).is_ok());
        }
        let crlf = dir.path().join("crlf");
        write_secret_file(&crlf, "abc\r").unwrap();
        assert_eq!(read_secret_file(&crlf).unwrap().as_str(), "abc");
        let empty = dir.path().join("empty");
        write_secret_file(&empty, "").unwrap();
        assert!(matches!(read_secret_file(&empty), Err(SecretError::Empty(_))));
        assert!(matches!(
            read_secret_file(dir.path()),
            Err(SecretError::NotAFile(_)) | Err(SecretError::TooOpen { .. }) | Err(SecretError::Io { .. })
        ));
        assert!(matches!(
            read_secret(&SecretSource::Env("KMIP_TEST_SURELY_UNSET_VAR".into())),
            Err(SecretError::EnvMissing(_))
        ));
    }

    #[test]
    fn logs_in_and_reports_bad_pins_without_showing_them() {
        let mut config = softhsm::config::Config::default();
        config.pin.kdf_iterations = Some(10);
        let hsm = Hsm::with_store(
            config,
            Box::new(softhsm::store::sqlite::SqliteStore::in_memory().unwrap()),
        );
        let first = softhsm::provision::create_first_token(&hsm, "kmip").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.pin");
        write_secret_file(&good, &first.user_pin).unwrap();
        let bad = dir.path().join("bad.pin");
        write_secret_file(&bad, "not-the-pin").unwrap();
        let tok = |label: &str, file: &Path| KmipToken {
            label: label.into(),
            pin_file: Some(file.to_path_buf()),
            pin_env: None,
        };
        let e = log_in(&hsm, &[tok("kmip", &bad)]).unwrap_err();
        assert!(
            e.to_string().contains("wrong") && !e.to_string().contains("not-the-pin"),
            "{e}"
        );
        assert!(matches!(
            log_in(&hsm, &[tok("missing", &good)]),
            Err(LoginError::NoSuchToken { .. })
        ));
        let l = log_in(&hsm, &[tok("kmip", &good)]).unwrap();
        assert_eq!(l.token("kmip").map(|t| t.slot), Some(0));
        let info = hsm.session_info(l.tokens[0].session).unwrap();
        assert_eq!(info.state, ck::CKS_RW_USER_FUNCTIONS);
    }
}
