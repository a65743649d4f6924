//! Destroy (KMIP 1.4 §4.21, 2.1 §6.1.16): the key material goes, the metadata stays with State
//! Destroyed. An Active object must be revoked first.

use super::Ctx;
use crate::attributes::{self, Attribute};
use crate::error::{KmipError, Result};
use crate::objects::now;
use crate::ttlv::enums::{ResultReason, State};
use crate::ttlv::{Ttlv, Value};

pub fn destroy(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    match m.state() {
        State::ACTIVE => {
            return Err(KmipError::new(
                ResultReason::WRONG_KEY_LIFECYCLE_STATE,
                "an Active object must be revoked before it is destroyed",
            ))
        }
        State::DESTROYED | State::DESTROYED_COMPROMISED => {
            return Err(KmipError::new(
                ResultReason::OBJECT_DESTROYED,
                "the object is already destroyed",
            ))
        }
        _ => {}
    }
    // The Destroy Date and Last Change Date go in the same write that drops the material.
    let mut a: Vec<Attribute> = m
        .stored_attrs()
        .into_iter()
        .filter(|x| x.name != "Last Change Date")
        .collect();
    for name in ["Destroy Date", "Last Change Date"] {
        a.push(Attribute::new(
            attributes::by_name(name).expect("in table"),
            Value::DateTime(now()),
        ));
    }
    let blob = crate::objects::encode_blob(&a);
    let extra = vec![(softhsm::attr::CKA_SOFTHSM_KMIP_ATTRIBUTES, blob)];
    if let Some(deferred) = &mut ctx.deferred_destroys {
        // A batch with Undo: destroyed when the whole batch has succeeded.
        if deferred.iter().any(|d| d.handle == m.handle) {
            return Err(KmipError::new(
                ResultReason::OBJECT_DESTROYED,
                "the object is already destroyed",
            ));
        }
        deferred.push(super::undo::DeferredDestroy {
            handle: m.handle,
            uid: uid.clone(),
            extra,
        });
    } else {
        ctx.kmip.hsm.destroy_material(ctx.session, m.handle, extra)?;
        log::info!("destroyed {uid}");
    }
    ctx.placeholder = Some(uid.clone());
    Ok(vec![ctx.uid_item(&uid)])
}
