//! `show-slots` and `token init | list | delete`.

use crate::error::CliError;
use crate::pin::{self, PinSource};
use crate::say;
use clap::{ArgGroup, Args, Subcommand};
use cryptoki_sys as ck;
use softhsm::hsm::Hsm;
use softhsm::provision::CreateTokenError;
use softhsm::store::TokenRecord;
use std::collections::HashMap;
use std::io::BufRead;

pub const SHOW_SLOTS_AFTER_HELP: &str = "\
Each initialised token sits in its own slot (0, 1, ...); one more slot is always free for a new
token, as with SoftHSMv2. Flags tell whether the user PIN is set and whether a PIN is close to
being locked after failed logins.

Example:
  softhsm-rs show-slots";

pub const TOKEN_AFTER_HELP: &str = "\
Examples:
  softhsm-rs token init --free --label mytoken        (asks for the SO PIN and the user PIN)
  softhsm-rs token list
  softhsm-rs token delete --label mytoken";

const INIT_AFTER_HELP: &str = "\
PINs: --so-pin / --pin, else $SOFTHSM_RS_SO_PIN / $SOFTHSM_RS_PIN, else a prompt (typed twice,
not echoed) when run in a terminal. Options on the command line are visible to other users in
the process list: prefer the prompt or the environment variables.

The SO (security officer) PIN administers the token (resets the user PIN); applications log in
with the user PIN.

Examples:
  softhsm-rs token init --free --label mytoken
  SOFTHSM_RS_SO_PIN=... SOFTHSM_RS_PIN=... softhsm-rs token init --free --label ci-token
  softhsm-rs token init --slot 0 --force --label fresh   (erases the token in slot 0; needs its SO PIN)";

const LIST_AFTER_HELP: &str = "\
Example:
  softhsm-rs token list";

const DELETE_AFTER_HELP: &str = "\
The token and every object in it are removed for good. In a terminal you are asked to confirm;
in scripts pass --yes.

Examples:
  softhsm-rs token delete --label mytoken
  softhsm-rs token delete --slot 1 --yes";

#[derive(Subcommand)]
pub enum TokenCmd {
    /// Create a token (or re-initialise one with --force) and set its SO and user PINs
    #[command(after_help = INIT_AFTER_HELP)]
    Init(InitArgs),
    /// List the initialised tokens with their slot, label and serial number
    #[command(after_help = LIST_AFTER_HELP)]
    List,
    /// Delete a token and all its objects
    #[command(after_help = DELETE_AFTER_HELP)]
    Delete(DeleteArgs),
}

#[derive(Args)]
pub struct InitArgs {
    /// Token label, at most 32 bytes
    #[arg(long)]
    label: String,
    /// Slot to initialise: the free slot, or an existing token's slot together with --force
    #[arg(long, value_name = "N", conflicts_with = "free")]
    slot: Option<u64>,
    /// Use the free slot (the default when --slot is not given)
    #[arg(long)]
    free: bool,
    /// Re-initialise the existing token in --slot: erases all its objects; needs its SO PIN
    #[arg(long, requires = "slot")]
    force: bool,
    /// SO PIN (else $SOFTHSM_RS_SO_PIN, else a prompt); for --force, the token's current SO PIN
    #[arg(long, value_name = "PIN")]
    so_pin: Option<String>,
    /// User PIN to set (else $SOFTHSM_RS_PIN, else a prompt)
    #[arg(long, value_name = "PIN")]
    pin: Option<String>,
}

#[derive(Args)]
#[command(group(ArgGroup::new("which").required(true).args(["slot", "label", "serial"])))]
pub struct DeleteArgs {
    /// The slot of the token to delete
    #[arg(long, value_name = "N")]
    slot: Option<u64>,
    /// The label of the token to delete
    #[arg(long)]
    label: Option<String>,
    /// The serial number of the token to delete
    #[arg(long)]
    serial: Option<String>,
    /// Do not ask for confirmation (required when not run in a terminal)
    #[arg(long, short = 'y')]
    yes: bool,
}

pub fn run(cmd: TokenCmd, hsm: &Hsm, out: &mut String) -> Result<(), CliError> {
    match cmd {
        TokenCmd::Init(a) => init(hsm, a, out),
        TokenCmd::List => list(hsm, out),
        TokenCmd::Delete(a) => delete(hsm, a, out),
    }
}

fn tokens(hsm: &Hsm) -> Result<Vec<TokenRecord>, CliError> {
    hsm.tokens()
        .map_err(|e| CliError::core("cannot read the tokens", e))
}

/// The slot a new token would take.
pub fn free_slot(hsm: &Hsm) -> Result<u64, CliError> {
    hsm.free_slot_id()
        .map_err(|e| CliError::core("cannot read the slots", e))
}

/// Objects per token slot as (public, private). Missing when the store cannot say.
fn object_counts(hsm: &Hsm, tokens: &[TokenRecord]) -> HashMap<u64, (u64, u64)> {
    tokens
        .iter()
        .filter_map(|t| hsm.object_counts(t.slot_id).ok().map(|c| (t.slot_id, c)))
        .collect()
}

/// The token flags of `C_GetTokenInfo` that matter to an operator, in words.
fn flags_in_words(flags: u64) -> String {
    let mut w: Vec<&str> = Vec::new();
    w.push(if flags & ck::CKF_TOKEN_INITIALIZED != 0 {
        "initialised"
    } else {
        "not initialised"
    });
    w.push(if flags & ck::CKF_USER_PIN_INITIALIZED != 0 {
        "user PIN initialised"
    } else {
        "user PIN not set"
    });
    let table = [
        (ck::CKF_USER_PIN_LOCKED, "user PIN LOCKED"),
        (ck::CKF_USER_PIN_FINAL_TRY, "user PIN final try"),
        (ck::CKF_USER_PIN_COUNT_LOW, "user PIN count low"),
        (ck::CKF_SO_PIN_LOCKED, "SO PIN LOCKED"),
        (ck::CKF_SO_PIN_FINAL_TRY, "SO PIN final try"),
        (ck::CKF_SO_PIN_COUNT_LOW, "SO PIN count low"),
    ];
    w.extend(table.iter().filter(|(f, _)| flags & f != 0).map(|(_, s)| *s));
    w.join(", ")
}

pub fn show_slots(hsm: &Hsm, out: &mut String) -> Result<(), CliError> {
    let slots = hsm
        .slot_list()
        .map_err(|e| CliError::core("cannot read the slots", e))?;
    let toks = tokens(hsm)?;
    let counts = object_counts(hsm, &toks);
    say!(out, "Available slots:");
    for slot in slots {
        let info = hsm
            .token_info(slot)
            .map_err(|e| CliError::core(format!("cannot read the token in slot {slot}"), e))?;
        if info.flags & ck::CKF_TOKEN_INITIALIZED == 0 {
            say!(out, "Slot {slot} (free)");
            say!(out, "    Token:          not initialised");
            say!(
                out,
                "    Create one:     softhsm-rs token init --free --label <LABEL>"
            );
            continue;
        }
        say!(out, "Slot {slot}");
        say!(out, "    Token label:    {}", info.label);
        say!(out, "    Serial number:  {}", info.serial);
        say!(out, "    Flags:          {}", flags_in_words(info.flags));
        if let Some((public, private)) = counts.get(&slot) {
            say!(out, "    Objects:        {public} public, {private} private");
        }
    }
    Ok(())
}

fn list(hsm: &Hsm, out: &mut String) -> Result<(), CliError> {
    let toks = tokens(hsm)?;
    if toks.is_empty() {
        say!(
            out,
            "No tokens. Create one with `softhsm-rs token init --free --label <LABEL>` or `softhsm-rs setup`."
        );
        return Ok(());
    }
    say!(out, "{:<6} {:<32} {}", "Slot", "Label", "Serial");
    for t in toks {
        say!(out, "{:<6} {:<32} {}", t.slot_id, t.label, t.serial);
    }
    Ok(())
}

/// Opens a read/write session, logs the SO in and sets the user PIN.
fn set_user_pin(hsm: &Hsm, slot: u64, so_pin: &str, user_pin: &str) -> softhsm::Result<()> {
    softhsm::provision::set_user_pin(hsm, slot, so_pin, user_pin)
}

/// Creates a token in the free `slot` with both PINs set. If the user PIN cannot be set the new
/// (empty) token is removed again, so no half-made token is left behind.
pub fn create_token(hsm: &Hsm, slot: u64, label: &str, so_pin: &str, user_pin: &str) -> Result<(), CliError> {
    softhsm::provision::create_token(hsm, slot, label, so_pin, user_pin).map_err(|e| match e {
        CreateTokenError::Init(e) => CliError::core(format!("cannot create a token in slot {slot}"), e),
        CreateTokenError::UserPin(e) => CliError::core(
            format!("cannot set the user PIN of the new token in slot {slot} (the token was removed again)"),
            e,
        ),
    })
}

fn check_label(label: &str) -> Result<(), CliError> {
    if label.trim().is_empty() || label.len() > 32 {
        return Err(CliError::Usage(format!(
            "the label must be 1 to 32 bytes (PKCS#11 token labels are 32 bytes); {:?} has {}",
            label,
            label.len()
        )));
    }
    Ok(())
}

fn init(hsm: &Hsm, a: InitArgs, out: &mut String) -> Result<(), CliError> {
    check_label(&a.label)?;
    let free = free_slot(hsm)?;
    let slot = if a.free { free } else { a.slot.unwrap_or(free) };
    let existing = tokens(hsm)?.into_iter().find(|t| t.slot_id == slot);
    match &existing {
        Some(t) if !a.force => {
            return Err(CliError::Usage(format!(
                "slot {slot} already holds the token {:?} (serial {}). Re-initialising erases all its \
                 objects: add --force and give its SO PIN to do that, or use --free to create a new \
                 token in slot {free}",
                t.label, t.serial
            )))
        }
        None if slot != free => {
            return Err(CliError::Usage(format!(
                "slot {slot} does not exist; a new token goes to the free slot {free} (use --free)"
            )))
        }
        _ => {}
    }
    let so_pin = pin::obtain(PinSource {
        flag: a.so_pin,
        flag_name: "--so-pin",
        env: pin::SO_PIN_ENV,
        what: if existing.is_some() {
            "current SO PIN"
        } else {
            "new SO PIN"
        },
        confirm: existing.is_none(),
    })?;
    let user_pin = pin::obtain(PinSource {
        flag: a.pin,
        flag_name: "--pin",
        env: pin::USER_PIN_ENV,
        what: "new user PIN",
        confirm: true,
    })?;
    pin::check_len(&hsm.config, &so_pin, "SO PIN")?;
    pin::check_len(&hsm.config, &user_pin, "user PIN")?;

    if existing.is_none() {
        create_token(hsm, slot, &a.label, &so_pin, &user_pin)?;
    } else {
        hsm.init_token(slot, so_pin.as_bytes(), a.label.as_bytes())
            .map_err(|e| {
                CliError::core(
                    format!("cannot re-initialise the token in slot {slot} with the SO PIN given"),
                    e,
                )
            })?;
        set_user_pin(hsm, slot, &so_pin, &user_pin).map_err(|e| {
            CliError::core(
                format!(
                    "the token in slot {slot} was re-initialised but its user PIN could not be set; \
                     run the same command again"
                ),
                e,
            )
        })?;
    }
    let info = hsm
        .token_info(slot)
        .map_err(|e| CliError::core(format!("cannot read the token in slot {slot}"), e))?;
    say!(
        out,
        "The token has been initialised in slot {slot}: label {:?}, serial {}.",
        info.label,
        info.serial
    );
    Ok(())
}

/// Asks `question` on the terminal; true only for an explicit yes.
fn confirm(question: &str) -> bool {
    eprint!("{question} [y/N] ");
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

fn delete(hsm: &Hsm, a: DeleteArgs, out: &mut String) -> Result<(), CliError> {
    let toks = tokens(hsm)?;
    let matching: Vec<&TokenRecord> = toks
        .iter()
        .filter(|t| {
            a.slot.map_or(true, |s| t.slot_id == s)
                && a.label.as_ref().map_or(true, |l| &t.label == l)
                && a.serial
                    .as_ref()
                    .map_or(true, |s| t.serial.eq_ignore_ascii_case(s))
        })
        .collect();
    let t = match matching.as_slice() {
        [] => {
            return Err(CliError::Failed {
                msg: "no token matches".into(),
                hint: Some(
                    "`softhsm-rs token list` shows the tokens with their slot, label and serial".into(),
                ),
            })
        }
        [t] => *t,
        _ => {
            return Err(CliError::Usage(format!(
                "{} tokens match; name one by --slot or --serial (see `softhsm-rs token list`)",
                matching.len()
            )))
        }
    };
    let what = format!("token {:?} in slot {} (serial {})", t.label, t.slot_id, t.serial);
    if !a.yes {
        if !pin::interactive() {
            return Err(CliError::Usage(format!(
                "deleting the {what} needs --yes when not run in a terminal"
            )));
        }
        if !confirm(&format!(
            "Delete the {what} and all its objects? This cannot be undone."
        )) {
            return Err(CliError::Failed {
                msg: "not confirmed; nothing was deleted".into(),
                hint: None,
            });
        }
    }
    let existed = hsm
        .delete_token(t.slot_id)
        .map_err(|e| CliError::core(format!("cannot delete the {what}"), e))?;
    if existed {
        say!(out, "Deleted the {what}.");
        Ok(())
    } else {
        Err(CliError::Failed {
            msg: format!("the {what} was already gone (deleted by another process?)"),
            hint: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_as_words() {
        let f = ck::CKF_TOKEN_INITIALIZED | ck::CKF_USER_PIN_COUNT_LOW | ck::CKF_SO_PIN_LOCKED;
        assert_eq!(
            flags_in_words(f),
            "initialised, user PIN not set, user PIN count low, SO PIN LOCKED"
        );
    }

    #[test]
    fn labels_are_checked() {
        assert!(check_label("ok").is_ok());
        assert!(check_label("").is_err());
        assert!(check_label(&"x".repeat(33)).is_err());
    }
}
