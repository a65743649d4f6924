//! Attribute operations: Get Attributes (KMIP 1.4 §4.12), Get Attribute List (§4.13), Add
//! Attribute (§4.14), Modify Attribute (§4.15), Delete Attribute (§4.16), Set Attribute
//! (2.1 §6.1.50) and Check (§4.10), in both the 1.x and the 2.x request shapes.

use super::Ctx;
use crate::attributes::{self, Attribute};
use crate::error::{KmipError, Result};
use crate::objects::Managed;
use crate::ttlv::enums::{ResultReason, State};
use crate::ttlv::{Tag, Ttlv, Value};
use cryptoki_sys as ck;
use softhsm::attr::{self as p11attr, enc_bool};

/// The attribute names a request refers to: 1.x Attribute Name items, 2.x Attribute Reference
/// (a tag as an Enumeration) and Vendor Attribute Reference items.
fn referenced_names(payload: &Ttlv) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for t in payload.items() {
        if t.tag == Tag::ATTRIBUTE_NAME {
            out.push(
                t.as_text()
                    .ok_or_else(|| KmipError::invalid("Attribute Name"))?
                    .to_string(),
            );
        } else if t.tag == Tag::ATTRIBUTE_REFERENCE {
            if let Some(tag) = t.as_enum() {
                let def = attributes::by_tag(Tag(tag)).ok_or_else(|| {
                    KmipError::new(ResultReason::UNSUPPORTED_ATTRIBUTE, "unknown Attribute Reference")
                })?;
                out.push(def.name.to_string());
            } else {
                let vendor = t.find(Tag::VENDOR_IDENTIFICATION).and_then(Ttlv::as_text);
                let name = t.find(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text);
                match (vendor, name) {
                    (Some(v), Some(n)) => out.push(format!("{v}-{n}")),
                    _ => return Err(KmipError::invalid("Attribute Reference")),
                }
            }
        }
    }
    Ok(out)
}

pub fn get_attributes(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    let names = referenced_names(payload)?;
    let chosen: Vec<Attribute> = m
        .attrs
        .iter()
        .filter(|a| names.is_empty() || names.contains(&a.name))
        .cloned()
        .collect();
    ctx.placeholder = Some(uid.clone());
    let list = attributes::write_list(&chosen, ctx.version);
    let mut out = vec![ctx.uid_item(&uid)];
    if ctx.version.is_2x() {
        out.push(Ttlv::structure(Tag::ATTRIBUTES, list));
    } else {
        out.extend(list);
    }
    Ok(out)
}

pub fn get_attribute_list(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    ctx.placeholder = Some(uid.clone());
    let mut out = vec![ctx.uid_item(&uid)];
    let mut seen = Vec::new();
    for a in m.attrs.iter().filter(|a| a.visible_to(ctx.version)) {
        if seen.contains(&a.name) {
            continue;
        }
        seen.push(a.name.clone());
        if !ctx.version.is_2x() {
            out.push(Ttlv::text(Tag::ATTRIBUTE_NAME, a.name.clone()));
        } else if let Some(def) = a.def() {
            out.push(Ttlv::enumeration(Tag::ATTRIBUTE_REFERENCE, def.tag.0));
        } else {
            let (v, n) = a.name.split_once('-').unwrap_or(("x", &a.name));
            out.push(Ttlv::structure(
                Tag::ATTRIBUTE_REFERENCE,
                vec![
                    Ttlv::text(Tag::VENDOR_IDENTIFICATION, v),
                    Ttlv::text(Tag::ATTRIBUTE_NAME, n),
                ],
            ));
        }
    }
    Ok(out)
}

/// Whether a client may change attribute `a` of object `m` now.
fn check_writable(m: &Managed, a: &Attribute, adding: bool) -> Result<()> {
    let Some(def) = a.def() else {
        return if attributes::is_custom(&a.name) && !(a.name.starts_with("y-") && adding) {
            Ok(())
        } else if a.name.starts_with("y-") {
            Err(KmipError::new(
                ResultReason::ATTRIBUTE_READ_ONLY,
                "y- attributes are set by the server",
            ))
        } else {
            Err(KmipError::new(
                ResultReason::UNSUPPORTED_ATTRIBUTE,
                format!("unknown attribute {}", a.name),
            ))
        };
    };
    if def.flags & (attributes::SERVER | attributes::INITIAL) != 0 {
        return Err(KmipError::new(
            ResultReason::ATTRIBUTE_READ_ONLY,
            format!("{} cannot be changed by a client", a.name),
        ));
    }
    let pre_active = m.state() == State::PRE_ACTIVE;
    if a.name == "Activation Date" && !pre_active {
        return Err(KmipError::new(
            ResultReason::WRONG_KEY_LIFECYCLE_STATE,
            "Activation Date can change only while the object is Pre-Active",
        ));
    }
    if a.name == "Deactivation Date" && !matches!(m.state(), State::PRE_ACTIVE | State::ACTIVE) {
        return Err(KmipError::new(
            ResultReason::ATTRIBUTE_READ_ONLY,
            "Deactivation Date can change only while the object is Pre-Active or Active",
        ));
    }
    Ok(())
}

/// Writes a changed attribute list back: lifecycle dates and sensitivity to the core's
/// attributes, everything else to the stored KMIP attributes.
fn write(ctx: &Ctx<'_>, m: &Managed, attrs: Vec<Attribute>) -> Result<()> {
    let date = |name| attributes::first(&attrs, name).and_then(Ttlv::as_date);
    let mut dates = Vec::new();
    for (name, ty) in [
        ("Activation Date", p11attr::CKA_SOFTHSM_ACTIVATION_DATE),
        ("Deactivation Date", p11attr::CKA_SOFTHSM_DEACTIVATION_DATE),
    ] {
        if date(name) != m.first(name).and_then(Ttlv::as_date) {
            if let Some(d) = date(name) {
                dates.push((ty, d));
            }
        }
    }
    if !dates.is_empty() {
        ctx.set_lifecycle(m, None, &dates)?;
    }
    let mut flags = Vec::new();
    for (name, ty) in [
        ("Sensitive", ck::CKA_SENSITIVE),
        ("Extractable", ck::CKA_EXTRACTABLE),
    ] {
        let new = attributes::first(&attrs, name).and_then(Ttlv::as_bool);
        if new.is_some() && new != m.first(name).and_then(Ttlv::as_bool) {
            flags.push((ty, enc_bool(new.unwrap_or(false))));
        }
    }
    if !flags.is_empty() {
        ctx.kmip.hsm.set_attributes(ctx.session, m.handle, &flags)?;
    }
    ctx.save(m, attrs)
}

/// The single value a 2.x New Attribute / Current Attribute structure holds.
fn inner_attribute(t: &Ttlv) -> Result<Attribute> {
    let item = t
        .items()
        .first()
        .ok_or_else(|| KmipError::missing("the attribute"))?;
    Attribute::from_v2(item)
}

pub fn add_attribute(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    let mut a = match (payload.find(Tag::ATTRIBUTE), payload.find(Tag::NEW_ATTRIBUTE)) {
        (Some(t), _) => Attribute::from_v1(t)?,
        (None, Some(t)) => inner_attribute(t)?,
        _ => return Err(KmipError::missing("Attribute")),
    };
    check_writable(&m, &a, true)?;
    super::create::check_unique_names(ctx, std::slice::from_ref(&a))?;
    let existing = m.attrs.iter().filter(|x| x.name == a.name).count();
    let multi = a.def().map_or(true, |d| d.flags & attributes::MULTI != 0);
    if existing > 0 && !multi {
        return Err(KmipError::new(
            ResultReason::ATTRIBUTE_SINGLE_VALUED,
            format!("{} already has a value", a.name),
        ));
    }
    a.index = existing as i32;
    let mut all = m.stored_attrs();
    all.push(a.clone());
    write(ctx, &m, all)?;
    ctx.placeholder = Some(uid.clone());
    let mut out = vec![ctx.uid_item(&uid)];
    if !ctx.version.is_2x() {
        out.push(a.to_v1());
    }
    Ok(out)
}

pub fn set_attribute(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    let a = inner_attribute(
        payload
            .find(Tag::NEW_ATTRIBUTE)
            .ok_or_else(|| KmipError::missing("New Attribute"))?,
    )?;
    check_writable(&m, &a, true)?;
    super::create::check_unique_names(ctx, std::slice::from_ref(&a))?;
    if a.def().is_some_and(|d| d.flags & attributes::MULTI != 0) {
        return Err(KmipError::new(
            ResultReason::MULTI_VALUED_ATTRIBUTE,
            format!("{} is multi-valued: use Add Attribute", a.name),
        ));
    }
    let mut all: Vec<Attribute> = m
        .stored_attrs()
        .into_iter()
        .filter(|x| x.name != a.name)
        .collect();
    all.push(a);
    write(ctx, &m, all)?;
    ctx.placeholder = Some(uid.clone());
    Ok(vec![ctx.uid_item(&uid)])
}

pub fn modify_attribute(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    let (new, current) = match (payload.find(Tag::ATTRIBUTE), payload.find(Tag::NEW_ATTRIBUTE)) {
        (Some(t), _) => (Attribute::from_v1(t)?, None),
        (None, Some(t)) => (
            inner_attribute(t)?,
            payload
                .find(Tag::CURRENT_ATTRIBUTE)
                .map(inner_attribute)
                .transpose()?,
        ),
        _ => return Err(KmipError::missing("Attribute")),
    };
    check_writable(&m, &new, false)?;
    super::create::check_unique_names(ctx, std::slice::from_ref(&new))?;
    let mut all = m.stored_attrs();
    let pos = all.iter().position(|x| {
        x.name == new.name
            && match &current {
                Some(c) => x.value.value == c.value.value,
                None => x.index == new.index,
            }
    });
    // A lifecycle date or flag lives in the core, not the stored list: it is "present" when
    // the view has it.
    let present_in_view = m.attrs.iter().any(|x| x.name == new.name);
    match pos {
        Some(i) => all[i].value = new.value.clone(),
        None if crate::objects::is_derived(&new.name) && present_in_view => all.push(new.clone()),
        None => {
            return Err(KmipError::new(
                ResultReason::ATTRIBUTE_NOT_FOUND,
                format!("{} has no such instance", new.name),
            ))
        }
    }
    let echoed = Attribute {
        index: pos.map_or(0, |i| all[i].index),
        ..new
    };
    write(ctx, &m, all)?;
    ctx.placeholder = Some(uid.clone());
    let mut out = vec![ctx.uid_item(&uid)];
    if !ctx.version.is_2x() {
        out.push(echoed.to_v1());
    }
    Ok(out)
}

pub fn delete_attribute(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    // 1.x: Attribute Name and Index; 2.x: Current Attribute or Attribute Reference.
    let (name, index, value): (String, i32, Option<Value>) =
        if let Some(n) = payload.find(Tag::ATTRIBUTE_NAME) {
            let idx = payload
                .find(Tag::ATTRIBUTE_INDEX)
                .and_then(Ttlv::as_int)
                .unwrap_or(0);
            (
                n.as_text()
                    .ok_or_else(|| KmipError::invalid("Attribute Name"))?
                    .to_string(),
                idx,
                None,
            )
        } else if let Some(c) = payload.find(Tag::CURRENT_ATTRIBUTE) {
            let a = inner_attribute(c)?;
            (a.name, 0, Some(a.value.value))
        } else {
            let names = referenced_names(payload)?;
            (
                names
                    .into_iter()
                    .next()
                    .ok_or_else(|| KmipError::missing("the attribute to delete"))?,
                0,
                None,
            )
        };
    let probe = Attribute {
        name: name.clone(),
        index,
        value: Ttlv::new(Tag::ATTRIBUTE_VALUE, Value::Boolean(false)),
    };
    if let Some(def) = probe.def() {
        if def.flags & (attributes::SERVER | attributes::KEEP | attributes::INITIAL) != 0
            || crate::objects::is_derived(&name)
        {
            return Err(KmipError::new(
                ResultReason::ATTRIBUTE_READ_ONLY,
                format!("{name} cannot be deleted"),
            ));
        }
    }
    let mut all = m.stored_attrs();
    let pos = all.iter().position(|x| {
        x.name == name
            && match &value {
                Some(v) => x.value.value == *v,
                None => x.index == index,
            }
    });
    let Some(i) = pos else {
        return Err(KmipError::new(
            ResultReason::ATTRIBUTE_NOT_FOUND,
            format!("{name} has no such instance"),
        ));
    };
    let removed = all.remove(i);
    // Later instances of the same attribute move down one index.
    for x in all
        .iter_mut()
        .filter(|x| x.name == name && x.index > removed.index)
    {
        x.index -= 1;
    }
    write(ctx, &m, all)?;
    ctx.placeholder = Some(uid.clone());
    let mut out = vec![ctx.uid_item(&uid)];
    if !ctx.version.is_2x() {
        out.push(removed.to_v1());
    }
    Ok(out)
}

/// Check: the object exists and is usable as the request describes (usage mask, length);
/// the answer repeats what was checked.
pub fn check(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = ctx.uid(payload)?;
    let m = ctx.load(&uid)?;
    if let Some(mask) = payload.find(Tag::CRYPTOGRAPHIC_USAGE_MASK).and_then(Ttlv::as_int) {
        let have = m
            .first("Cryptographic Usage Mask")
            .and_then(Ttlv::as_int)
            .unwrap_or(0);
        if have & mask != mask {
            return Err(KmipError::new(
                ResultReason::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK,
                "the object's usage mask does not allow this use",
            ));
        }
    }
    ctx.placeholder = Some(uid.clone());
    let mut out = vec![ctx.uid_item(&uid)];
    out.extend(
        payload
            .items()
            .iter()
            .filter(|t| t.tag != Tag::UNIQUE_IDENTIFIER)
            .cloned(),
    );
    Ok(out)
}
