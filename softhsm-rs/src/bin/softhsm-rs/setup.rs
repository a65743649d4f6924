//! `setup` (first start) and `check`.

use crate::error::CliError;
use crate::{open_hsm, pin, say, tokens};
use softhsm::config::Config;
use softhsm::hsm::Hsm;
use std::path::PathBuf;

/// Label of the token `setup` creates.
pub const FIRST_TOKEN_LABEL: &str = "softhsm-rs";

pub const LONG_ABOUT: &str = "\
First start. If the keystore holds no token yet, creates one labelled \"softhsm-rs\" in slot 0
with a random SO PIN and a random user PIN, and prints both PINs ONCE: they are stored nowhere
else, so write them down. If a token already exists, shows the slots and changes nothing (the
PINs are never shown again).

In both cases it prints the keystore and configuration in use, the path of the PKCS#11 module
(libsofthsm_pkcs11.so, looked for next to this program) and commands to try with pkcs11-tool
and p11tool.";

pub const AFTER_HELP: &str = "\
Examples:
  softhsm-rs setup
  softhsm-rs --config ./softhsm-rs.toml setup     (a keystore of your own)";

pub const CHECK_AFTER_HELP: &str = "\
Runs the keystore database's own integrity check and prints `ok` or the error.

Example:
  softhsm-rs check";

/// Where the PKCS#11 module should be: next to this executable (e.g. `target/release/`), or
/// in `../lib` beside an installed `bin/`. The first existing candidate, else the first one.
fn module_path() -> (Option<PathBuf>, bool) {
    let name = format!(
        "{}softhsm_pkcs11{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(PathBuf::from))
    else {
        return (None, false);
    };
    let candidates = [
        dir.join(&name),
        dir.join("../lib").join(&name),
        dir.join("../lib/softhsm-rs").join(&name),
    ];
    match candidates.iter().find(|p| p.is_file()) {
        Some(p) => (Some(p.canonicalize().unwrap_or_else(|_| p.clone())), true),
        None => (Some(candidates[0].clone()), false),
    }
}

pub fn setup(config: &Config, out: &mut String) -> Result<(), CliError> {
    let hsm = open_hsm(config)?;
    let existing = hsm
        .tokens()
        .map_err(|e| CliError::core("cannot read the tokens", e))?;
    if existing.is_empty() {
        create_first_token(&hsm, out)?;
    } else {
        say!(
            out,
            "Already set up: the keystore holds {} token(s). Their PINs were shown once when they",
            existing.len()
        );
        say!(
            out,
            "were created and are not stored anywhere, so they cannot be shown again."
        );
        say!(out);
        tokens::show_slots(&hsm, out)?;
    }
    usage_notes(config, out);
    Ok(())
}

fn create_first_token(hsm: &Hsm, out: &mut String) -> Result<(), CliError> {
    let slot = tokens::free_slot(hsm)?;
    let len = pin::generated_len(&hsm.config);
    let so_pin = pin::generate(len)?;
    let user_pin = pin::generate(len)?;
    tokens::create_token(hsm, slot, FIRST_TOKEN_LABEL, &so_pin, &user_pin)?;
    let serial = hsm
        .token_info(slot)
        .map(|i| i.serial)
        .unwrap_or_else(|_| "?".into());
    say!(
        out,
        "Created the token {FIRST_TOKEN_LABEL:?} in slot {slot} (serial {serial}) with random PINs:"
    );
    say!(out);
    say!(out, "    SO PIN:    {}", &*so_pin);
    say!(out, "    User PIN:  {}", &*user_pin);
    say!(out);
    say!(
        out,
        "WARNING: these PINs are shown only this once and are stored nowhere. Keep them now (e.g. in"
    );
    say!(
        out,
        "a password manager). Applications log in with the user PIN; the SO PIN resets a locked user"
    );
    say!(
        out,
        "PIN. Lost PINs cannot be recovered: the token would have to be deleted."
    );
    Ok(())
}

fn usage_notes(config: &Config, out: &mut String) {
    let conf = match &config.source {
        Some(p) => p
            .canonicalize()
            .unwrap_or_else(|_| p.clone())
            .display()
            .to_string(),
        None => "none: defaults".to_string(),
    };
    let (module, found) = module_path();
    let module = module.map_or_else(|| "libsofthsm_pkcs11.so".to_string(), |p| p.display().to_string());
    say!(out);
    say!(out, "Keystore:        {}", config.store_path().display());
    say!(out, "Config file:     {conf}");
    say!(out, "Log file:        {}", config.log_path().display());
    if found {
        say!(out, "PKCS#11 module:  {module}");
    } else {
        say!(out, "PKCS#11 module:  {module} (not built yet)");
        say!(
            out,
            "                 build it with `cargo build --release -p softhsm-pkcs11` from the source tree"
        );
    }
    say!(out);
    say!(out, "Try it (replace <PIN> with the user PIN):");
    say!(out, "  pkcs11-tool --module {module} -L");
    say!(
        out,
        "  pkcs11-tool --module {module} --login --pin <PIN> --keypairgen --key-type EC:prime256v1 --label mykey"
    );
    say!(out, "  p11tool --provider {module} --list-tokens");
    say!(out, "  softhsm-rs object list --slot 0 --login");
}

pub fn check(hsm: &Hsm, out: &mut String) -> Result<(), CliError> {
    let path = hsm.config.store_path();
    hsm.check_integrity().map_err(|e| {
        CliError::core(
            format!("integrity check of the keystore {} failed", path.display()),
            e,
        )
    })?;
    say!(out, "{}: ok", path.display());
    Ok(())
}
