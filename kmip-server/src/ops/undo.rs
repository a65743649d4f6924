//! Batch Error Continuation Option Undo (KMIP 1.4 §6.7, 2.1 §7.x Batch Error Continuation
//! Option): when an item fails, the items of the batch before it are undone and answered with
//! Result Status Operation Undone.
//!
//! The keystore commits every write at once (no transaction spans a batch), so undo is by
//! compensation, and only for operations whose effect the server can take back exactly
//! ([`UNDOABLE`]):
//! - operations that change nothing are left as they are;
//! - Create, Create Key Pair and Register: the objects made are removed entirely;
//! - Activate, Revoke, Archive, Recover, Add/Modify/Delete/Set Attribute and the single-part
//!   cryptographic operations (which may count Usage Limits): the object's lifecycle (State,
//!   Activation and Deactivation Date), its KMIP attributes and label are put back as they
//!   were before the item ran.
//!
//! Destroy cannot be undone (its key material is gone), so in a batch with Undo it is deferred:
//! the item checks and answers as usual, and the objects are destroyed once every item has
//! succeeded. So that no item sees the object still there, only Destroy items may follow a
//! Destroy in such a batch.
//!
//! A batch asking for Undo that holds anything else (Re-Key, a streaming part, an attribute
//! change to Sensitive or Extractable, which only move one way, an item after a Destroy other
//! than a Destroy) is refused whole before any item runs.

use super::Ctx;
use crate::error::{KmipError, Result};
use crate::message::RequestItem;
use crate::ttlv::enums::{Operation as Op, ResultReason};
use crate::ttlv::{Tag, Ttlv};
use cryptoki_sys as ck;
use softhsm::attr::{self as p11attr, AttrType};
use softhsm::hsm::AttrValue;

/// How an operation is undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undo {
    /// It changes nothing.
    Nothing,
    /// The objects it made are removed.
    RemoveCreated,
    /// The object it names is put back as it was.
    Restore,
    /// It is carried out only once the whole batch has succeeded (Destroy).
    Deferred,
}

/// The operations a batch with Undo may hold.
pub static UNDOABLE: &[(Op, Undo)] = &[
    (Op::CREATE, Undo::RemoveCreated),
    (Op::CREATE_KEY_PAIR, Undo::RemoveCreated),
    (Op::REGISTER, Undo::RemoveCreated),
    (Op::LOCATE, Undo::Nothing),
    (Op::CHECK, Undo::Nothing),
    (Op::GET, Undo::Nothing),
    (Op::GET_ATTRIBUTES, Undo::Nothing),
    (Op::GET_ATTRIBUTE_LIST, Undo::Nothing),
    (Op::ADD_ATTRIBUTE, Undo::Restore),
    (Op::MODIFY_ATTRIBUTE, Undo::Restore),
    (Op::DELETE_ATTRIBUTE, Undo::Restore),
    (Op::SET_ATTRIBUTE, Undo::Restore),
    (Op::ACTIVATE, Undo::Restore),
    (Op::REVOKE, Undo::Restore),
    (Op::ARCHIVE, Undo::Restore),
    (Op::RECOVER, Undo::Restore),
    (Op::QUERY, Undo::Nothing),
    (Op::DISCOVER_VERSIONS, Undo::Nothing),
    (Op::ENCRYPT, Undo::Restore),
    (Op::DECRYPT, Undo::Restore),
    (Op::SIGN, Undo::Restore),
    (Op::SIGNATURE_VERIFY, Undo::Nothing),
    (Op::MAC, Undo::Restore),
    (Op::MAC_VERIFY, Undo::Nothing),
    (Op::HASH, Undo::Nothing),
    (Op::RNG_RETRIEVE, Undo::Nothing),
    (Op::LOG, Undo::Nothing),
    (Op::DESTROY, Undo::Deferred),
];

/// A Destroy put off to the end of a batch with Undo.
pub struct DeferredDestroy {
    pub handle: u64,
    pub uid: String,
    /// The KMIP attributes written with it (Destroy Date).
    pub extra: Vec<(AttrType, Vec<u8>)>,
}

/// Runs the deferred destroys of a batch whose every item succeeded.
pub fn finish_deferred(ctx: &Ctx<'_>, all: Vec<DeferredDestroy>) -> Result<()> {
    for d in all {
        ctx.kmip.hsm.destroy_material(ctx.session, d.handle, d.extra)?;
        log::info!("destroyed {} (deferred to the end of its batch)", d.uid);
    }
    Ok(())
}

/// The core attributes [`Undo::Restore`] puts back.
const SNAPSHOT: &[AttrType] = &[
    p11attr::CKA_SOFTHSM_STATE,
    p11attr::CKA_SOFTHSM_ACTIVATION_DATE,
    p11attr::CKA_SOFTHSM_DEACTIVATION_DATE,
    p11attr::CKA_SOFTHSM_KMIP_ATTRIBUTES,
    ck::CKA_LABEL,
];

fn how(op: Op) -> Option<Undo> {
    UNDOABLE.iter().find(|(o, _)| *o == op).map(|(_, u)| *u)
}

/// Whether an attribute item names Sensitive or Extractable (1.x by name, 2.x by tag).
fn names_one_way_flag(t: &Ttlv) -> bool {
    if matches!(t.tag, Tag::SENSITIVE | Tag::EXTRACTABLE) {
        return true;
    }
    if t.tag == Tag::ATTRIBUTE_NAME && matches!(t.as_text(), Some("Sensitive" | "Extractable")) {
        return true;
    }
    t.items().iter().any(names_one_way_flag)
}

/// Refuses, before anything runs, a batch with Undo that holds an item the server cannot undo.
pub fn check_batch(items: &[RequestItem]) -> Result<()> {
    let mut after_destroy = false;
    for i in items {
        let refuse = |why: &str| {
            Err(KmipError::new(
                ResultReason::FEATURE_NOT_SUPPORTED,
                format!("Batch Error Continuation Option Undo: {why} cannot be undone"),
            ))
        };
        let Some(u) = how(i.operation) else {
            let name = i.operation.name().unwrap_or("this operation");
            return refuse(name);
        };
        let streaming =
            i.payload.find(Tag::INIT_INDICATOR).is_some() || i.payload.find(Tag::CORRELATION_VALUE).is_some();
        if streaming {
            return refuse("a streaming part");
        }
        if u == Undo::Restore && names_one_way_flag(&i.payload) {
            return refuse("a change of Sensitive or Extractable");
        }
        if after_destroy && u != Undo::Deferred {
            return refuse("an item after a Destroy (which waits for the end of the batch)");
        }
        after_destroy |= u == Undo::Deferred;
    }
    Ok(())
}

/// What it takes to undo one item that ran.
pub enum Compensation {
    None,
    /// Remove these objects (by Unique Identifier).
    Remove(Vec<String>),
    /// Put these core attributes of the object back.
    Restore {
        handle: u64,
        raw: Vec<(AttrType, Vec<u8>)>,
    },
}

/// Taken before an item runs: the state [`Undo::Restore`] puts back.
pub fn before(ctx: &Ctx<'_>, op: Op, payload: &Ttlv) -> Compensation {
    if how(op) != Some(Undo::Restore) {
        return Compensation::None;
    }
    let Ok(handle) = ctx.uid(payload).and_then(|u| ctx.handle(&u)) else {
        // The item will fail to find its object too: nothing to put back.
        return Compensation::None;
    };
    let Ok(vals) = ctx.kmip.hsm.get_attributes(ctx.session, handle, SNAPSHOT) else {
        return Compensation::None;
    };
    let raw = SNAPSHOT
        .iter()
        .zip(vals)
        .map(|(ty, v)| match v {
            AttrValue::Value(b) => (*ty, b),
            // Absent: put back as empty (the core reads an empty lifecycle value as unset).
            _ => (*ty, Vec::new()),
        })
        .collect();
    Compensation::Restore { handle, raw }
}

/// Completes the compensation once the item succeeded with answer `out`.
pub fn after(op: Op, taken: Compensation, out: &[Ttlv]) -> Compensation {
    if how(op) != Some(Undo::RemoveCreated) {
        return taken;
    }
    let uids = out
        .iter()
        .filter(|t| {
            matches!(
                t.tag,
                Tag::UNIQUE_IDENTIFIER
                    | Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER
                    | Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER
            )
        })
        .filter_map(Ttlv::as_text)
        .map(str::to_string)
        .collect();
    Compensation::Remove(uids)
}

/// Undoes one item.
pub fn undo(ctx: &Ctx<'_>, c: &Compensation) -> Result<()> {
    let hsm = &ctx.kmip.hsm;
    match c {
        Compensation::None => Ok(()),
        Compensation::Remove(uids) => {
            for u in uids {
                let h = ctx.handle(u)?;
                hsm.destroy_object(ctx.session, h)?;
                log::info!("undo: removed {u}");
            }
            Ok(())
        }
        Compensation::Restore { handle, raw } => {
            let now = hsm.get_attributes(ctx.session, *handle, SNAPSHOT)?;
            // Only what changed: an unchanged CKA_LABEL need not be written again.
            let changed: Vec<(AttrType, Vec<u8>)> = raw
                .iter()
                .zip(now)
                .filter(|((_, old), cur)| match cur {
                    AttrValue::Value(b) => b != old,
                    _ => !old.is_empty(),
                })
                .map(|(r, _)| r.clone())
                .collect();
            if !changed.is_empty() {
                hsm.set_attributes(ctx.session, *handle, &changed)?;
            }
            Ok(())
        }
    }
}
