//! Activate (KMIP 1.4 §4.19), Archive (§4.22) and Recover (§4.23).

use super::Ctx;
use crate::error::{KmipError, Result};
use crate::objects::now;
use crate::ttlv::enums::{ResultReason, State};
use crate::ttlv::Ttlv;
use softhsm::attr::{self as p11attr, state};

/// Pre-Active → Active, with the Activation Date set to now.
pub fn activate(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    if m.state() != State::PRE_ACTIVE {
        return Err(KmipError::new(
            ResultReason::WRONG_KEY_LIFECYCLE_STATE,
            "only a Pre-Active object can be activated",
        ));
    }
    ctx.set_lifecycle(
        &m,
        Some(state::ACTIVE),
        &[(p11attr::CKA_SOFTHSM_ACTIVATION_DATE, now())],
    )?;
    let m = ctx.load(&uid)?;
    ctx.save(&m, m.stored_attrs())?;
    log::info!("activated {uid}");
    ctx.placeholder = Some(uid.clone());
    Ok(vec![ctx.uid_item(&uid)])
}

/// Archive: the object stays where it is (the keystore has one tier); the Archive Date is
/// recorded so clients see the state they asked for.
pub fn archive(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    let mut a = m.stored_attrs();
    a.retain(|x| x.name != "Archive Date");
    a.push(crate::attributes::Attribute::new(
        crate::attributes::by_name("Archive Date").expect("in table"),
        crate::ttlv::Value::DateTime(now()),
    ));
    ctx.save(&m, a)?;
    ctx.placeholder = Some(uid.clone());
    Ok(vec![ctx.uid_item(&uid)])
}

/// Recover: undoes Archive.
pub fn recover(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    let mut a = m.stored_attrs();
    a.retain(|x| x.name != "Archive Date");
    ctx.save(&m, a)?;
    ctx.placeholder = Some(uid.clone());
    Ok(vec![ctx.uid_item(&uid)])
}
