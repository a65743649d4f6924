//! KMIP operations, one file each (KMIP 1.4 §4, KMIP 2.1 §6), and the table that dispatches
//! to them. An operation that decodes but is not in the table is answered with Operation Not
//! Supported.

mod activate;
mod attrs;
mod create;
mod crypto;
pub use crypto::{MAX_DATA, MAX_RNG};
mod derive;
mod destroy;
mod discover;
pub(crate) mod get;
mod hashes;
mod import;
mod key_wrapping;
mod limits;
mod locate;
mod log;
mod query;
mod register;
mod rekey;
mod rekey_key_pair;
mod revoke;
pub mod stream;
pub mod undo;

use crate::dispatch::Kmip;
use crate::error::{KmipError, Result};
use crate::ttlv::enums::{ObjectType, Operation as Op, ResultReason};
use crate::ttlv::{Tag, Ttlv};
use crate::version::Version;

/// What an operation runs with: the server, the client's session and protocol version, and
/// the ID Placeholder of the batch (KMIP 1.4 §4: the Unique Identifier the previous operation
/// of the batch returned, used when an operation names none).
pub struct Ctx<'a> {
    pub kmip: &'a Kmip,
    /// Label of the client's token.
    pub token: &'a str,
    /// Who sent the request (token and certificate subject): streams are bound to it.
    pub owner: &'a str,
    pub session: u64,
    pub version: Version,
    pub placeholder: Option<String>,
    /// In a batch with Undo, Destroy is deferred to the end of the batch (its key material
    /// cannot be brought back): the objects to destroy, with the write that goes with it.
    pub deferred_destroys: Option<Vec<undo::DeferredDestroy>>,
}

impl<'a> Ctx<'a> {
    pub fn new(kmip: &'a Kmip, token: &'a str, owner: &'a str, session: u64, version: Version) -> Ctx<'a> {
        Ctx {
            kmip,
            token,
            owner,
            session,
            version,
            placeholder: None,
            deferred_destroys: None,
        }
    }

    /// The Unique Identifier a request names, or the ID Placeholder.
    pub fn uid(&self, payload: &Ttlv) -> Result<String> {
        match payload.find(Tag::UNIQUE_IDENTIFIER) {
            Some(t) => match t.as_text() {
                Some(s) => Ok(s.to_string()),
                // 2.x: a Unique Identifier enumeration (ID Placeholder and friends).
                None if t.as_enum().is_some() => self.placeholder_uid(),
                None => Err(KmipError::invalid("Unique Identifier")),
            },
            None => self.placeholder_uid(),
        }
    }

    fn placeholder_uid(&self) -> Result<String> {
        self.placeholder
            .clone()
            .ok_or_else(|| KmipError::missing("Unique Identifier (and no ID Placeholder is set)"))
    }

    pub fn uid_item(&self, uid: &str) -> Ttlv {
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid)
    }
}

/// The Object Type a request names (Create, Register, Import, Derive Key).
pub(crate) fn object_type(payload: &Ttlv) -> Result<ObjectType> {
    payload
        .find(Tag::OBJECT_TYPE)
        .and_then(Ttlv::as_enum)
        .map(ObjectType)
        .ok_or_else(|| KmipError::missing("Object Type"))
}

/// An operation handler: the request payload in, the response payload's items out.
pub type Handler = fn(&mut Ctx<'_>, &Ttlv) -> Result<Vec<Ttlv>>;

/// Every operation the server implements.
pub static OPERATIONS: &[(Op, Handler)] = &[
    (Op::CREATE, create::create),
    (Op::CREATE_KEY_PAIR, create::create_key_pair),
    (Op::REGISTER, register::register),
    (Op::LOCATE, locate::locate),
    (Op::CHECK, attrs::check),
    (Op::GET, get::get),
    (Op::GET_ATTRIBUTES, attrs::get_attributes),
    (Op::GET_ATTRIBUTE_LIST, attrs::get_attribute_list),
    (Op::ADD_ATTRIBUTE, attrs::add_attribute),
    (Op::MODIFY_ATTRIBUTE, attrs::modify_attribute),
    (Op::DELETE_ATTRIBUTE, attrs::delete_attribute),
    (Op::SET_ATTRIBUTE, attrs::set_attribute),
    (Op::ACTIVATE, activate::activate),
    (Op::REVOKE, revoke::revoke),
    (Op::DESTROY, destroy::destroy),
    (Op::ARCHIVE, activate::archive),
    (Op::RECOVER, activate::recover),
    (Op::QUERY, query::query),
    (Op::DISCOVER_VERSIONS, discover::discover_versions),
    (Op::ENCRYPT, crypto::encrypt),
    (Op::DECRYPT, crypto::decrypt),
    (Op::SIGN, crypto::sign),
    (Op::SIGNATURE_VERIFY, crypto::signature_verify),
    (Op::MAC, crypto::mac),
    (Op::MAC_VERIFY, crypto::mac_verify),
    (Op::HASH, crypto::hash),
    (Op::RNG_RETRIEVE, crypto::rng_retrieve),
    (Op::RNG_SEED, crypto::rng_seed),
    (Op::INTEROP, discover::interop),
    (Op::RE_KEY, rekey::re_key),
    (Op::RE_KEY_KEY_PAIR, rekey_key_pair::re_key_key_pair),
    (Op::DERIVE_KEY, derive::derive_key),
    (Op::EXPORT, rekey::export),
    (Op::LOG, log::log),
    (Op::IMPORT, import::import),
];

/// Runs one batch item.
pub fn run(ctx: &mut Ctx<'_>, op: Op, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let Some((_, f)) = OPERATIONS.iter().find(|(o, _)| *o == op) else {
        return Err(KmipError::new(
            ResultReason::OPERATION_NOT_SUPPORTED,
            format!("operation {} is not supported", op.0),
        ));
    };
    f(ctx, payload)
}
