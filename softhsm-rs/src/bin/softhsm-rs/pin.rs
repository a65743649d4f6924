//! Where PINs come from: a flag, an environment variable, or a prompt without echo; and the
//! random PINs `setup` generates (made by `softhsm::provision`, shared with the KMIP server).
//!
//! PINs live in `Zeroizing` buffers and are never formatted into messages or log lines.

use crate::error::CliError;
use softhsm::config::Config;
use std::io::IsTerminal;
use zeroize::Zeroizing;

/// Environment variable holding the SO PIN.
pub const SO_PIN_ENV: &str = "SOFTHSM_RS_SO_PIN";
/// Environment variable holding the user PIN.
pub const USER_PIN_ENV: &str = "SOFTHSM_RS_PIN";

/// A PIN to obtain, and how to ask for it.
pub struct PinSource<'a> {
    /// The value given on the command line, if any.
    pub flag: Option<String>,
    /// The flag's name, for messages (`--so-pin`).
    pub flag_name: &'a str,
    /// The environment variable consulted when the flag is absent.
    pub env: &'a str,
    /// What the PIN is, for prompts and messages ("SO PIN").
    pub what: &'a str,
    /// Whether a prompted PIN is new and must be typed twice.
    pub confirm: bool,
}

/// Whether the user can be asked questions.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

/// Takes the PIN from the flag, else the environment, else a prompt on a terminal. With none of
/// these it is a usage error (status 2).
pub fn obtain(src: PinSource<'_>) -> Result<Zeroizing<String>, CliError> {
    if let Some(p) = src.flag {
        return Ok(Zeroizing::new(p));
    }
    if let Some(p) = std::env::var_os(src.env).filter(|v| !v.is_empty()) {
        return p
            .into_string()
            .map(Zeroizing::new)
            .map_err(|_| CliError::Usage(format!("${} is not valid UTF-8", src.env)));
    }
    if !interactive() {
        return Err(CliError::Usage(format!(
            "no {} given: pass {}, set ${}, or run in a terminal to be asked for it",
            src.what, src.flag_name, src.env
        )));
    }
    let first = prompt(&format!("Enter the {}: ", src.what))?;
    if src.confirm {
        let again = prompt(&format!("Repeat the {}: ", src.what))?;
        if *first != *again {
            return Err(CliError::Usage(format!(
                "the two {}s differ; nothing was changed",
                src.what
            )));
        }
    }
    Ok(first)
}

fn prompt(text: &str) -> Result<Zeroizing<String>, CliError> {
    rpassword::prompt_password(text)
        .map(Zeroizing::new)
        .map_err(|e| CliError::Failed {
            msg: format!("cannot read the PIN from the terminal: {e}"),
            hint: Some(format!(
                "give it in ${SO_PIN_ENV} / ${USER_PIN_ENV} or with the --so-pin / --pin options instead"
            )),
        })
}

/// Refuses a PIN outside the configured length range before anything is changed.
pub fn check_len(config: &Config, pin: &str, what: &str) -> Result<(), CliError> {
    let (min, max) = (config.pin.min_len, config.pin.max_len);
    let n = pin.len();
    if n < min || n > max {
        return Err(CliError::Usage(format!(
            "the {what} must be {min} to {max} bytes long (pin.min_len / pin.max_len in the config); \
             the one given has {n}"
        )));
    }
    Ok(())
}

/// A fresh random PIN of `len` characters (see [`softhsm::provision::generate_pin`]).
pub fn generate(len: usize) -> Result<Zeroizing<String>, CliError> {
    softhsm::provision::generate_pin(len).map_err(|e| CliError::Failed {
        msg: format!("the random number generator failed: {e}"),
        hint: None,
    })
}

/// The length of generated PINs under `config`.
pub fn generated_len(config: &Config) -> usize {
    softhsm::provision::generated_pin_len(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pins_follow_the_config() {
        let c = Config::default();
        let pin = generate(generated_len(&c)).unwrap();
        assert_eq!(pin.len(), softhsm::provision::GENERATED_PIN_LEN);
    }

    #[test]
    fn pin_length_is_checked() {
        let c = Config::default();
        assert!(check_len(&c, "abc", "PIN").is_err());
        assert!(check_len(&c, "abcd", "PIN").is_ok());
    }
}
