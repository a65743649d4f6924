//! `object list`.

use crate::error::CliError;
use crate::pin::{self, PinSource};
use crate::say;
use clap::{Args, Subcommand};
use cryptoki_sys as ck;
use softhsm::hsm::{display_value, Hsm};
use softhsm::object::Object;

pub const OBJECT_AFTER_HELP: &str = "\
Examples:
  softhsm-rs object list --slot 0                 (public objects only)
  softhsm-rs object list --slot 0 --login         (all objects; asks for the user PIN)";

const LIST_AFTER_HELP: &str = "\
Without a PIN only public objects are listed (as PKCS#11 shows them before login). With the
user PIN (--login to be asked for it, or $SOFTHSM_RS_PIN, or --pin) private objects are listed
too. Key material is never shown. A wrong PIN counts as a failed login.

Examples:
  softhsm-rs object list --slot 0
  softhsm-rs object list --slot 0 --login
  SOFTHSM_RS_PIN=... softhsm-rs object list --slot 0";

#[derive(Subcommand)]
pub enum ObjectCmd {
    /// List the objects of a token: class, key type, label, id, unique id and flags
    #[command(after_help = LIST_AFTER_HELP)]
    List(ListArgs),
}

#[derive(Args)]
pub struct ListArgs {
    /// The slot of the token (see `softhsm-rs show-slots`)
    #[arg(long, value_name = "N")]
    slot: u64,
    /// User PIN, to list private objects too (else $SOFTHSM_RS_PIN; visible in the process list)
    #[arg(long, value_name = "PIN", conflicts_with = "login")]
    pin: Option<String>,
    /// Ask for the user PIN on the terminal (no echo) to list private objects too
    #[arg(long)]
    login: bool,
}

pub fn run(cmd: ObjectCmd, hsm: &Hsm, out: &mut String) -> Result<(), CliError> {
    match cmd {
        ObjectCmd::List(a) => list(hsm, a, out),
    }
}

fn list(hsm: &Hsm, a: ListArgs, out: &mut String) -> Result<(), CliError> {
    let slot = a.slot;
    let env_pin = std::env::var_os(pin::USER_PIN_ENV).is_some_and(|v| !v.is_empty());
    let user_pin = if a.pin.is_some() || a.login || env_pin {
        Some(pin::obtain(PinSource {
            flag: a.pin,
            flag_name: "--pin",
            env: pin::USER_PIN_ENV,
            what: "user PIN",
            confirm: false,
        })?)
    } else {
        None
    };
    let objects = match &user_pin {
        Some(p) => hsm.all_objects(slot, p.as_bytes()).map_err(|e| {
            CliError::core(
                format!("cannot log in to the token in slot {slot} with the user PIN"),
                e,
            )
        })?,
        None => hsm
            .public_objects(slot)
            .map_err(|e| CliError::core(format!("cannot list the objects of slot {slot}"), e))?,
    };
    let scope = if user_pin.is_some() {
        "all objects"
    } else {
        "public objects only; give the user PIN to see private ones"
    };
    if objects.is_empty() {
        say!(out, "No objects in slot {slot} ({scope}).");
        return Ok(());
    }
    say!(out, "{} object(s) in slot {slot} ({scope}):", objects.len());
    for (i, o) in objects.iter().enumerate() {
        say!(out);
        describe(o, i + 1, out);
    }
    Ok(())
}

fn describe(o: &Object, n: usize, out: &mut String) {
    say!(out, "Object {n}");
    say!(
        out,
        "    Class:          {}",
        o.class().map_or("?".into(), class_name)
    );
    if let Some(kt) = o.key_type() {
        say!(out, "    Key type:       {}", key_type_name(kt));
    }
    say!(out, "    Label:          {}", display_value(o, ck::CKA_LABEL));
    say!(out, "    ID:             {}", display_value(o, ck::CKA_ID));
    say!(out, "    Unique ID:      {}", display_value(o, ck::CKA_UNIQUE_ID));
    let flag = |ty, name: &str| match o.get(ty) {
        None => None,
        Some(_) if o.bool(ty) => Some(name.to_string()),
        Some(_) => Some(format!("not {name}")),
    };
    let flags: Vec<String> = [
        flag(ck::CKA_TOKEN, "token"),
        flag(ck::CKA_PRIVATE, "private"),
        flag(ck::CKA_SENSITIVE, "sensitive"),
        flag(ck::CKA_EXTRACTABLE, "extractable"),
    ]
    .into_iter()
    .flatten()
    .collect();
    say!(out, "    Flags:          {}", flags.join(", "));
}

fn class_name(class: u64) -> String {
    match class {
        ck::CKO_DATA => "data",
        ck::CKO_CERTIFICATE => "certificate",
        ck::CKO_PUBLIC_KEY => "public key",
        ck::CKO_PRIVATE_KEY => "private key",
        ck::CKO_SECRET_KEY => "secret key",
        ck::CKO_HW_FEATURE => "hardware feature",
        ck::CKO_DOMAIN_PARAMETERS => "domain parameters",
        ck::CKO_MECHANISM => "mechanism",
        ck::CKO_OTP_KEY => "OTP key",
        ck::CKO_PROFILE => "profile",
        other => return format!("0x{other:08X}"),
    }
    .to_string()
}

fn key_type_name(kt: u64) -> String {
    match kt {
        ck::CKK_RSA => "RSA",
        ck::CKK_DSA => "DSA",
        ck::CKK_DH => "DH",
        ck::CKK_EC => "EC",
        ck::CKK_EC_EDWARDS => "EC Edwards",
        ck::CKK_EC_MONTGOMERY => "EC Montgomery",
        ck::CKK_GENERIC_SECRET => "generic secret",
        ck::CKK_AES => "AES",
        ck::CKK_DES => "DES",
        ck::CKK_DES2 => "DES2",
        ck::CKK_DES3 => "DES3",
        ck::CKK_CHACHA20 => "ChaCha20",
        ck::CKK_POLY1305 => "Poly1305",
        ck::CKK_SHA_1_HMAC => "SHA-1 HMAC",
        ck::CKK_SHA224_HMAC => "SHA-224 HMAC",
        ck::CKK_SHA256_HMAC => "SHA-256 HMAC",
        ck::CKK_SHA384_HMAC => "SHA-384 HMAC",
        ck::CKK_SHA512_HMAC => "SHA-512 HMAC",
        ck::CKK_ML_KEM => "ML-KEM",
        ck::CKK_ML_DSA => "ML-DSA",
        other => return format!("0x{other:08X}"),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(class_name(ck::CKO_PRIVATE_KEY), "private key");
        assert_eq!(class_name(0x1234), "0x00001234");
        assert_eq!(key_type_name(ck::CKK_EC), "EC");
        assert_eq!(key_type_name(0x8000_0001), "0x80000001");
    }
}
