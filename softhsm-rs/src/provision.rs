//! First start, shared by every face: random PINs and a token created with both PINs set.
//!
//! The admin CLI's `softhsm-rs setup` and the KMIP server's first start both call
//! [`create_first_token`], so a token made by either is made the same way.
//!
//! Architecture invariant: the PINs made here live in `Zeroizing` buffers and are never formatted
//! into an error or a log line; the caller decides where they are shown (once, on stdout).

use crate::config::Config;
use crate::error::{Error, Result};
use crate::hsm::Hsm;
use cryptoki_sys as ck;
use zeroize::Zeroizing;

/// Characters of generated PINs: letters and digits without the look-alikes 0/O, 1/l/I.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// Length of generated PINs: 16 characters of a 57-symbol alphabet, about 93 bits.
pub const GENERATED_PIN_LEN: usize = 16;

/// A fresh random PIN of `len` characters (letters and digits without look-alikes), drawn from
/// the aws-lc DRBG.
pub fn generate_pin(len: usize) -> Result<Zeroizing<String>> {
    // Rejection sampling: bytes at or above the largest multiple of the alphabet size are
    // dropped, so every character is equally likely.
    let n = ALPHABET.len();
    let limit = 256 - 256 % n;
    let mut pin = Zeroizing::new(String::with_capacity(len));
    let mut buf = Zeroizing::new([0u8; 64]);
    while pin.len() < len {
        crate::crypto::random(&mut buf[..]).map_err(|e| {
            log::error!("the random number generator failed: {e}");
            Error::DeviceError
        })?;
        for &b in buf.iter().filter(|b| usize::from(**b) < limit) {
            if pin.len() == len {
                break;
            }
            pin.push(char::from(ALPHABET[usize::from(b) % n]));
        }
    }
    Ok(pin)
}

/// The length of generated PINs under `config`: [`GENERATED_PIN_LEN`] unless the configured
/// range excludes it.
pub fn generated_pin_len(config: &Config) -> usize {
    GENERATED_PIN_LEN.clamp(config.pin.min_len, config.pin.max_len.max(config.pin.min_len))
}

/// Opens a read/write session on `slot`, logs the SO in and sets the user PIN.
pub fn set_user_pin(hsm: &Hsm, slot: u64, so_pin: &str, user_pin: &str) -> Result<()> {
    let h = hsm.open_session(slot, ck::CKF_SERIAL_SESSION | ck::CKF_RW_SESSION)?;
    let r = hsm.login(h, ck::CKU_SO, so_pin.as_bytes()).and_then(|()| {
        let r = hsm.init_pin(h, user_pin.as_bytes());
        let _ = hsm.logout(h);
        r
    });
    let _ = hsm.close_session(h);
    r
}

/// Which step of [`create_token`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateTokenError {
    /// `C_InitToken` refused; nothing was created.
    Init(Error),
    /// The token was created but its user PIN could not be set, so it was removed again.
    UserPin(Error),
}

impl std::fmt::Display for CreateTokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CreateTokenError::Init(e) => write!(f, "cannot create the token [{e}]"),
            CreateTokenError::UserPin(e) => write!(
                f,
                "cannot set the user PIN of the new token (the token was removed again) [{e}]"
            ),
        }
    }
}

impl std::error::Error for CreateTokenError {}

/// Creates a token in the free `slot` with both PINs set. If the user PIN cannot be set the new
/// (empty) token is removed again, so no half-made token is left behind.
pub fn create_token(
    hsm: &Hsm,
    slot: u64,
    label: &str,
    so_pin: &str,
    user_pin: &str,
) -> std::result::Result<(), CreateTokenError> {
    hsm.init_token(slot, so_pin.as_bytes(), label.as_bytes())
        .map_err(CreateTokenError::Init)?;
    if let Err(e) = set_user_pin(hsm, slot, so_pin, user_pin) {
        let _ = hsm.delete_token(slot);
        return Err(CreateTokenError::UserPin(e));
    }
    Ok(())
}

/// A token made by [`create_first_token`], with the PINs to show once.
pub struct FirstToken {
    pub slot: u64,
    pub label: String,
    pub serial: String,
    pub so_pin: Zeroizing<String>,
    pub user_pin: Zeroizing<String>,
}

impl std::fmt::Debug for FirstToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirstToken")
            .field("slot", &self.slot)
            .field("label", &self.label)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// Creates a token labelled `label` in the free slot with a random SO PIN and a random user PIN
/// (of [`generated_pin_len`] characters) and returns them: they are stored nowhere else.
pub fn create_first_token(hsm: &Hsm, label: &str) -> std::result::Result<FirstToken, CreateTokenError> {
    let slot = hsm.free_slot_id().map_err(CreateTokenError::Init)?;
    let len = generated_pin_len(&hsm.config);
    let so_pin = generate_pin(len).map_err(CreateTokenError::Init)?;
    let user_pin = generate_pin(len).map_err(CreateTokenError::Init)?;
    create_token(hsm, slot, label, &so_pin, &user_pin)?;
    let serial = hsm
        .token_info(slot)
        .map(|i| i.serial)
        .unwrap_or_else(|_| "?".into());
    Ok(FirstToken {
        slot,
        label: label.to_string(),
        serial,
        so_pin,
        user_pin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pins_are_random_and_from_the_alphabet() {
        let a = generate_pin(GENERATED_PIN_LEN).unwrap();
        let b = generate_pin(GENERATED_PIN_LEN).unwrap();
        assert_eq!(a.len(), GENERATED_PIN_LEN);
        assert_ne!(*a, *b);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']));
        assert_eq!(generate_pin(200).unwrap().len(), 200);
    }

    #[test]
    fn generated_len_follows_the_config() {
        let mut c = Config::default();
        assert_eq!(generated_pin_len(&c), GENERATED_PIN_LEN);
        c.pin.min_len = 20;
        c.pin.max_len = 30;
        assert_eq!(generated_pin_len(&c), 20);
        c.pin.min_len = 4;
        c.pin.max_len = 8;
        assert_eq!(generated_pin_len(&c), 8);
    }

    #[test]
    fn first_token_gets_working_random_pins() {
        let mut config = Config::default();
        config.pin.kdf_iterations = Some(10);
        let hsm = Hsm::with_store(
            config,
            Box::new(crate::store::sqlite::SqliteStore::in_memory().unwrap()),
        );
        let t = create_first_token(&hsm, "first").unwrap();
        assert_eq!((t.slot, t.label.as_str()), (0, "first"));
        assert!(!format!("{t:?}").contains(t.user_pin.as_str()));
        let h = hsm.open_session(0, ck::CKF_SERIAL_SESSION).unwrap();
        assert_eq!(hsm.login(h, ck::CKU_USER, b"wrong-pin"), Err(Error::PinIncorrect));
        hsm.login(h, ck::CKU_USER, t.user_pin.as_bytes()).unwrap();
        let second = create_first_token(&hsm, "second").unwrap();
        assert_eq!(second.slot, 1);
        assert_ne!(*second.so_pin, *t.so_pin);
    }
}
