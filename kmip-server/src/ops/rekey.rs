//! Re-key (KMIP 1.4 §4.4, 2.1 §6.1.41) and Export (2.1 §6.1.19).
//!
//! Re-key makes a new symmetric key with the existing key's algorithm, length, usage and
//! KMIP attributes; the Names move to the new key, the two are linked (Replacement /
//! Replaced Object Link), and an Offset moves the new key's dates.

use super::create::{base_template, request_attrs};
use super::Ctx;
use crate::attributes::{self, Attribute};
use crate::error::{KmipError, Result};
use crate::objects::{is_derived, now};
use crate::ttlv::enums::{LinkType, ObjectType, ResultReason, State};
use crate::ttlv::{Tag, Ttlv, Value};
use cryptoki_sys as ck;
use softhsm::attr::{enc_ulong, HMAC_KEY_TYPES};
use softhsm::mechanism::Mechanism;

/// Attributes the new key does not inherit: the server sets them afresh.
fn inherited(a: &Attribute) -> bool {
    !is_derived(&a.name)
        && !matches!(
            a.name.as_str(),
            "Initial Date"
                | "Last Change Date"
                | "Original Creation Date"
                | "Digest"
                | "Link"
                | "Revocation Reason"
                | "Compromise Date"
                | "Compromise Occurrence Date"
                | "Destroy Date"
                | "Archive Date"
                | "Fresh"
                | "Usage Limits"
        )
}

fn link(ty: LinkType, to: &str) -> Attribute {
    Attribute::new(
        attributes::by_name("Link").expect("in table"),
        Value::Structure(vec![
            Ttlv::enumeration(Tag::LINK_TYPE, ty.0),
            Ttlv::text(Tag::LINKED_OBJECT_IDENTIFIER, to),
        ]),
    )
}

pub fn re_key(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let old = ctx.load(&uid)?;
    if old.object_type != ObjectType::SYMMETRIC_KEY {
        return Err(KmipError::new(
            ResultReason::INVALID_FIELD,
            "Re-key renews symmetric keys",
        ));
    }
    if matches!(old.state(), State::DESTROYED | State::DESTROYED_COMPROMISED) {
        return Err(KmipError::new(
            ResultReason::WRONG_KEY_LIFECYCLE_STATE,
            "the key is destroyed",
        ));
    }
    let offset = payload
        .find(Tag::OFFSET)
        .and_then(Ttlv::as_interval)
        .map(i64::from);
    let mut attrs: Vec<Attribute> = old.attrs.iter().filter(|a| inherited(a)).cloned().collect();
    for name in [
        "Cryptographic Algorithm",
        "Cryptographic Length",
        "Cryptographic Usage Mask",
    ] {
        if let Some(a) = old.attrs.iter().find(|a| a.name == name) {
            attrs.push(a.clone());
        }
    }
    // The request's attributes override the inherited ones.
    let extra = request_attrs(payload, Tag::TEMPLATE_ATTRIBUTE, Tag::ATTRIBUTES)?;
    for a in extra {
        attrs.retain(|x| x.name != a.name);
        attrs.push(a);
    }
    // With an Offset, the new key's dates are now + offset and the old key's intervals
    // (KMIP 1.4 §4.4); without one, it starts as the old one did.
    let t = now();
    let def = |n| attributes::by_name(n).expect("in table");
    attrs.retain(|a| a.name != "Activation Date" && a.name != "Deactivation Date");
    let old_act = old.first("Activation Date").and_then(Ttlv::as_date);
    let old_deact = old.first("Deactivation Date").and_then(Ttlv::as_date);
    let new_act = match offset {
        Some(o) => Some(t + o),
        None => old_act.map(|_| t),
    };
    if let Some(a) = new_act {
        attrs.push(Attribute::new(def("Activation Date"), Value::DateTime(a)));
        if let (Some(oa), Some(od)) = (old_act, old_deact) {
            attrs.push(Attribute::new(
                def("Deactivation Date"),
                Value::DateTime(a + (od - oa)),
            ));
        }
    }
    let kt = old
        .key_type
        .ok_or_else(|| KmipError::illegal("the key has no key type"))?;
    let bits = attributes::first(&attrs, "Cryptographic Length")
        .and_then(Ttlv::as_int)
        .ok_or_else(|| KmipError::missing("Cryptographic Length"))?;
    let mech = if kt == ck::CKK_AES {
        ck::CKM_AES_KEY_GEN
    } else if HMAC_KEY_TYPES.contains(&kt) {
        ck::CKM_GENERIC_SECRET_KEY_GEN
    } else {
        return Err(KmipError::unsupported("re-keying this algorithm"));
    };
    // The Names move to the new key.
    let names: Vec<Attribute> = old.attrs.iter().filter(|a| a.name == "Name").cloned().collect();
    let mut old_attrs: Vec<Attribute> = old
        .stored_attrs()
        .into_iter()
        .filter(|a| a.name != "Name")
        .collect();
    old_attrs.retain(|a| {
        !(a.name == "Link"
            && a.value.find(Tag::LINK_TYPE).and_then(Ttlv::as_enum)
                == Some(LinkType::REPLACEMENT_OBJECT_LINK.0))
    });
    ctx.save(&old, old_attrs.clone())?;
    let mut raw = base_template(ck::CKO_SECRET_KEY, &attrs)?;
    raw.retain(|(t, _)| *t != ck::CKA_CLASS);
    raw.push((ck::CKA_KEY_TYPE, enc_ulong(kt)));
    raw.push((ck::CKA_VALUE_LEN, enc_ulong((bits.max(0) / 8) as u64)));
    let h = ctx
        .kmip
        .hsm
        .generate_key(ctx.session, &Mechanism::new(mech), &raw)?;
    let new = ctx.load_handle(h)?;
    let mut new_attrs = new.stored_attrs();
    new_attrs.retain(|a| a.name != "Name");
    new_attrs.extend(names);
    new_attrs.push(link(LinkType::REPLACED_OBJECT_LINK, &uid));
    ctx.save(&new, new_attrs)?;
    old_attrs.push(link(LinkType::REPLACEMENT_OBJECT_LINK, &new.uid));
    ctx.save(&old, old_attrs)?;
    log::info!("re-keyed {uid} as {}", new.uid);
    ctx.placeholder = Some(new.uid.clone());
    Ok(vec![ctx.uid_item(&new.uid)])
}

/// Export: the object and its attributes in one answer (KMIP 2.0).
pub fn export(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    let value = super::key_wrapping::requested_value(ctx, &m, payload)?;
    ctx.placeholder = Some(uid.clone());
    Ok(vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, m.object_type.0),
        ctx.uid_item(&uid),
        Ttlv::structure(Tag::ATTRIBUTES, attributes::write_list(&m.attrs, ctx.version)),
        value,
    ])
}
