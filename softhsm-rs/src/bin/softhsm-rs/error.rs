//! The CLI's failures, their exit codes and the hints printed with them.

use softhsm::config::Config;
use softhsm::Error;
use std::process::ExitCode;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// The command line or its input was wrong (exit status 2).
    Usage(String),
    /// The core refused or failed while doing `what` (exit status 1).
    Core { what: String, err: Error },
    /// Any other failure (exit status 1).
    Failed { msg: String, hint: Option<String> },
}

impl CliError {
    /// A core error met while doing `what`.
    pub fn core(what: impl Into<String>, err: Error) -> Self {
        CliError::Core {
            what: what.into(),
            err,
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            CliError::Core { .. } | CliError::Failed { .. } => ExitCode::from(1),
        }
    }

    /// Prints the error and, where one helps, a hint naming what to do, on stderr.
    pub fn report(&self, config: Option<&Config>) {
        match self {
            CliError::Usage(msg) => {
                eprintln!("error: {msg}");
                eprintln!("Run with --help for the options and examples.");
            }
            CliError::Core { what, err } => {
                eprintln!("error: {what}: {} [{err}]", in_words(*err));
                if let Some(h) = hint(*err, config) {
                    eprintln!("hint: {h}");
                }
            }
            CliError::Failed { msg, hint } => {
                eprintln!("error: {msg}");
                if let Some(h) = hint {
                    eprintln!("hint: {h}");
                }
            }
        }
    }
}

/// `PinIncorrect` → `PIN incorrect`: the variant name as words.
fn in_words(err: Error) -> String {
    let name = format!("{err:?}");
    let name: String = name.chars().take_while(char::is_ascii_alphanumeric).collect();
    let mut words = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            words.push(' ');
        }
        words.push(c.to_ascii_lowercase());
    }
    let words = words
        .replace("pin", "PIN")
        .replace("so ", "SO ")
        .replace("id ", "ID ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// What an operator can do about `err`.
fn hint(err: Error, config: Option<&Config>) -> Option<String> {
    let (store, log, max_failures, min, max) = match config {
        Some(c) => (
            c.store_path().display().to_string(),
            c.log_path().display().to_string(),
            c.pin.max_failures,
            c.pin.min_len,
            c.pin.max_len,
        ),
        None => return None,
    };
    Some(match err {
        Error::PinIncorrect => format!(
            "the PIN given is wrong. Every failed attempt is counted in the keystore; after \
             {max_failures} (pin.max_failures) the PIN is locked. `softhsm-rs show-slots` shows \
             when the count is low."
        ),
        Error::PinLocked => "the PIN is locked after too many failed logins. A locked user PIN is reset \
             by the SO with C_InitPIN (e.g. `pkcs11-tool --module <module> --login --login-type so \
             --init-pin`); a locked SO PIN cannot be recovered: delete the token \
             (`softhsm-rs token delete`) and create it again."
            .to_string(),
        Error::DeviceError => format!(
            "the keystore {store} could not be used. Check that it and its directory exist and are \
             readable and writable by you, run `softhsm-rs check`, and read the log {log} for the cause."
        ),
        Error::PinLenRange => {
            format!("PINs must be {min} to {max} characters long (pin.min_len / pin.max_len in the config).")
        }
        Error::UserPinNotInitialized => "the token has no user PIN. Re-create it with \
             `softhsm-rs token init --slot N --force --label L` (this deletes its objects)."
            .to_string(),
        Error::SlotIdInvalid | Error::TokenNotRecognized | Error::TokenNotPresent => {
            "no token in that slot. `softhsm-rs show-slots` lists the slots and their tokens.".to_string()
        }
        Error::SessionExists | Error::CantLock => {
            "another part of this process holds the token; try again.".to_string()
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names_read_as_words() {
        assert_eq!(in_words(Error::PinIncorrect), "PIN incorrect");
        assert_eq!(in_words(Error::SlotIdInvalid), "Slot ID invalid");
        assert_eq!(in_words(Error::BufferTooSmall { needed: 3 }), "Buffer too small");
        assert_eq!(in_words(Error::DeviceError), "Device error");
    }

    #[test]
    fn exit_codes() {
        assert_eq!(CliError::Usage("x".into()).exit_code(), ExitCode::from(2));
        assert_eq!(
            CliError::core("x", Error::PinIncorrect).exit_code(),
            ExitCode::from(1)
        );
    }

    #[test]
    fn pin_errors_have_hints() {
        let c = Config::default();
        for e in [Error::PinIncorrect, Error::PinLocked, Error::DeviceError] {
            assert!(hint(e, Some(&c)).is_some_and(|h| !h.is_empty()), "{e:?}");
        }
        assert!(hint(Error::PinIncorrect, None).is_none());
    }
}
