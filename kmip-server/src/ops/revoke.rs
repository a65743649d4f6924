//! Revoke (KMIP 1.4 §4.20, 2.1 §6.1.44): Active or Pre-Active → Deactivated, or Compromised
//! when the reason says so. The core then refuses the key for protection on both doors.

use super::Ctx;
use crate::attributes::{self, Attribute};
use crate::error::{KmipError, Result};
use crate::objects::now;
use crate::ttlv::enums::{ResultReason, State};
use crate::ttlv::{Tag, Ttlv, Value};
use softhsm::attr::{self as p11attr, state};

/// Revocation Reason Code "Key Compromise" and "CA Compromise".
const COMPROMISE_CODES: [u32; 2] = [2, 3];

pub fn revoke(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    let reason = payload
        .find(Tag::REVOCATION_REASON)
        .ok_or_else(|| KmipError::missing("Revocation Reason"))?;
    let code = reason
        .find(Tag::REVOCATION_REASON_CODE)
        .and_then(Ttlv::as_enum)
        .ok_or_else(|| KmipError::missing("Revocation Reason Code"))?;
    let compromised = COMPROMISE_CODES.contains(&code);
    let st = m.state();
    if matches!(st, State::DESTROYED | State::DESTROYED_COMPROMISED) {
        return Err(KmipError::new(
            ResultReason::WRONG_KEY_LIFECYCLE_STATE,
            "a destroyed object cannot be revoked",
        ));
    }
    let t = now();
    let def = |n| attributes::by_name(n).expect("in table");
    let mut a = m.stored_attrs();
    a.retain(|x| x.name != "Revocation Reason");
    a.push(Attribute::new(def("Revocation Reason"), reason.value.clone()));
    let new_state = if compromised {
        let occurred = payload
            .find(Tag::COMPROMISE_OCCURRENCE_DATE)
            .and_then(Ttlv::as_date)
            .unwrap_or(t);
        a.retain(|x| x.name != "Compromise Date" && x.name != "Compromise Occurrence Date");
        a.push(Attribute::new(
            def("Compromise Occurrence Date"),
            Value::DateTime(occurred),
        ));
        a.push(Attribute::new(def("Compromise Date"), Value::DateTime(t)));
        state::COMPROMISED
    } else {
        if st != State::ACTIVE {
            return Err(KmipError::new(
                ResultReason::WRONG_KEY_LIFECYCLE_STATE,
                "only an Active object can be revoked for a reason other than compromise",
            ));
        }
        state::DEACTIVATED
    };
    let mut dates = Vec::new();
    if m.first("Deactivation Date").is_none() || new_state == state::DEACTIVATED {
        dates.push((p11attr::CKA_SOFTHSM_DEACTIVATION_DATE, t));
    }
    ctx.set_lifecycle(&m, Some(new_state), &dates)?;
    ctx.save(&m, a)?;
    log::info!(
        "revoked {uid} ({})",
        if compromised { "compromised" } else { "deactivated" }
    );
    ctx.placeholder = Some(uid.clone());
    Ok(vec![ctx.uid_item(&uid)])
}
