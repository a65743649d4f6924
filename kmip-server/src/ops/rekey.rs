//! Re-key (KMIP 1.4 §4.4, 2.1 §6.1.41) and Export (2.1 §6.1.19).
//!
//! Re-key makes a new symmetric key with the existing key's algorithm, length, usage and
//! KMIP attributes; the Names move to the new key, the two are linked (Replacement /
//! Replaced Object Link), and an Offset moves the new key's dates.

use super::create::{
    add_digest, base_template, check_client_attrs, check_unique_names, generated_attrs, request_attrs,
};
use super::Ctx;
use crate::attributes::{self, Attribute};
use crate::error::{KmipError, Result};
use crate::objects::{is_derived, link, now, push_instance, Managed};
use crate::ttlv::enums::{KeyFormatType, LinkType, ObjectType, ResultReason, State};
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
                | "Random Number Generator"
                | "Key Format Type"
        )
}

/// What a successor of `old` starts with: its attributes (inherited, then `extra` from the
/// request overriding them, with dates moved by the Offset) and the Names it takes over (the
/// old object's, then the request's).
pub(super) struct Successor {
    pub attrs: Vec<Attribute>,
    pub names: Vec<Attribute>,
}

/// Refuses a destroyed object and builds its successor's attributes (KMIP 1.4 §4.4, §4.5).
pub(super) fn successor(old: &Managed, offset: Option<i64>, extra: Vec<Attribute>) -> Result<Successor> {
    if matches!(old.state(), State::DESTROYED | State::DESTROYED_COMPROMISED) {
        return Err(KmipError::new(
            ResultReason::WRONG_KEY_LIFECYCLE_STATE,
            "the key is destroyed",
        ));
    }
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
    let mut names: Vec<Attribute> = old.attrs.iter().filter(|a| a.name == "Name").cloned().collect();
    names.extend(extra.iter().filter(|a| a.name == "Name").cloned());
    // The request's attributes override the inherited ones.
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
    Ok(Successor { attrs, names })
}

/// The Offset of a Re-key request.
pub(super) fn offset(payload: &Ttlv) -> Option<i64> {
    payload
        .find(Tag::OFFSET)
        .and_then(Ttlv::as_interval)
        .map(i64::from)
}

/// Takes the Names (and any earlier Replacement Object Link) off `old` before its successor
/// is made; returns the attributes it keeps.
pub(super) fn release(ctx: &Ctx<'_>, old: &Managed) -> Result<Vec<Attribute>> {
    let mut kept: Vec<Attribute> = old
        .stored_attrs()
        .into_iter()
        .filter(|a| a.name != "Name")
        .collect();
    kept.retain(|a| {
        !(a.name == "Link"
            && a.value.find(Tag::LINK_TYPE).and_then(Ttlv::as_enum)
                == Some(LinkType::REPLACEMENT_OBJECT_LINK.0))
    });
    let links: Vec<Attribute> = kept.iter().filter(|a| a.name == "Link").cloned().collect();
    kept.retain(|a| a.name != "Link");
    for l in links {
        push_instance(&mut kept, l);
    }
    ctx.save(old, kept.clone())?;
    Ok(kept)
}

/// Gives `new` the Names and links it to `old` both ways (Replaced / Replacement Object Link).
pub(super) fn hand_over(
    ctx: &Ctx<'_>,
    old: &Managed,
    mut old_attrs: Vec<Attribute>,
    new: &Managed,
    names: Vec<Attribute>,
) -> Result<()> {
    let mut new_attrs = new.stored_attrs();
    new_attrs.retain(|a| a.name != "Name");
    for n in names {
        push_instance(&mut new_attrs, n);
    }
    push_instance(&mut new_attrs, link(LinkType::REPLACED_OBJECT_LINK, &old.uid));
    ctx.save(new, new_attrs)?;
    push_instance(&mut old_attrs, link(LinkType::REPLACEMENT_OBJECT_LINK, &new.uid));
    ctx.save(old, old_attrs)
}

/// Re-key: a new symmetric key in place of an existing one.
pub fn re_key(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let old = ctx.load(&uid)?;
    if old.object_type != ObjectType::SYMMETRIC_KEY {
        return Err(KmipError::new(
            ResultReason::INVALID_FIELD,
            "Re-key renews symmetric keys",
        ));
    }
    let extra = request_attrs(payload, Tag::TEMPLATE_ATTRIBUTE, Tag::ATTRIBUTES)?;
    check_client_attrs(&extra, ObjectType::SYMMETRIC_KEY)?;
    check_unique_names(ctx, &extra)?;
    let Successor { mut attrs, names } = successor(&old, offset(payload), extra)?;
    attrs.extend(generated_attrs(KeyFormatType::RAW.0));
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
    let old_attrs = release(ctx, &old)?;
    let mut raw = base_template(ck::CKO_SECRET_KEY, &attrs)?;
    raw.retain(|(t, _)| *t != ck::CKA_CLASS);
    raw.push((ck::CKA_KEY_TYPE, enc_ulong(kt)));
    raw.push((ck::CKA_VALUE_LEN, enc_ulong((bits.max(0) / 8) as u64)));
    let h = ctx
        .kmip
        .hsm
        .generate_key(ctx.session, &Mechanism::new(mech), &raw)?;
    add_digest(ctx, &ctx.load_handle(h)?)?;
    let new = ctx.load_handle(h)?;
    hand_over(ctx, &old, old_attrs, &new, names)?;
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
