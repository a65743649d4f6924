//! Locate (KMIP 1.4 §4.9, 2.1 §6.1.27): the objects whose attributes match every filter, with
//! Maximum Items, Offset Items, Storage Status Mask and Object Group Member, most recently
//! created object first.

use super::Ctx;
use crate::attributes::{self, Attribute};
use crate::error::{KmipError, Result};
use crate::objects::{class_of, Managed};
use crate::ttlv::enums::{ObjectType, State};
use crate::ttlv::{Tag, Ttlv};
use crate::version::V1_3;
use cryptoki_sys as ck;
use softhsm::attr::enc_ulong;

/// Objects read from the store per page while a Locate walks the token newest first: the
/// most candidates held at once, however many objects the token has.
const LOCATE_PAGE: usize = 256;

/// Storage Status Mask bits.
const ON_LINE: i32 = 1;
const ARCHIVAL: i32 = 2;
const DESTROYED: i32 = 4;

/// Whether `m` matches every filter. Two instances of one date attribute are a range.
fn matches(m: &Managed, filters: &[Attribute]) -> bool {
    let mut names: Vec<&str> = filters.iter().map(|f| f.name.as_str()).collect();
    names.dedup();
    for name in names {
        let wanted: Vec<&Attribute> = filters.iter().filter(|f| f.name == name).collect();
        let have: Vec<&Ttlv> = m
            .attrs
            .iter()
            .filter(|a| a.name == name)
            .map(|a| &a.value)
            .collect();
        let dates: Vec<i64> = wanted.iter().filter_map(|w| w.value.as_date()).collect();
        if dates.len() == 2 {
            let (lo, hi) = (dates[0].min(dates[1]), dates[0].max(dates[1]));
            if !have
                .iter()
                .filter_map(|h| h.as_date())
                .any(|d| lo <= d && d <= hi)
            {
                return false;
            }
            continue;
        }
        for w in wanted {
            if !have.iter().any(|h| value_matches(h, &w.value)) {
                return false;
            }
        }
    }
    true
}

/// A stored value matches a filter value when they are equal; a structure filter matches when
/// each of its fields is present with that value (so a Name filter without a Name Type works).
fn value_matches(have: &Ttlv, want: &Ttlv) -> bool {
    match (&have.value, &want.value) {
        (crate::ttlv::Value::Structure(h), crate::ttlv::Value::Structure(w)) => w
            .iter()
            .all(|wi| h.iter().any(|hi| hi.tag == wi.tag && value_matches(hi, wi))),
        (a, b) => a == b,
    }
}

pub fn locate(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let mut filters = Vec::new();
    for t in payload.items() {
        if t.tag == Tag::ATTRIBUTE {
            filters.push(Attribute::from_v1(t)?);
        } else if t.tag == Tag::ATTRIBUTES || t.tag == Tag::TEMPLATE_ATTRIBUTE {
            filters.extend(attributes::read_list(t)?);
        }
    }
    let cap = ctx.kmip.max_locate_items;
    let max = match payload.find(Tag::MAXIMUM_ITEMS).and_then(Ttlv::as_int) {
        Some(n) if n < 0 => return Err(KmipError::invalid("Maximum Items")),
        Some(n) => (n as usize).min(cap),
        None => cap,
    };
    let offset = match payload.find(Tag::OFFSET_ITEMS).and_then(Ttlv::as_int) {
        Some(n) if n < 0 => return Err(KmipError::invalid("Offset Items")),
        Some(n) => n as usize,
        None => 0,
    };
    let mask = payload
        .find(Tag::STORAGE_STATUS_MASK)
        .and_then(Ttlv::as_int)
        .unwrap_or(ON_LINE | ARCHIVAL);
    let fresh_only = payload.find(Tag::OBJECT_GROUP_MEMBER).and_then(Ttlv::as_enum) == Some(1);

    // Narrow the store search by class where the filter names an Object Type.
    let mut template = Vec::new();
    if let Some(ot) = attributes::first(&filters, "Object Type").and_then(Ttlv::as_enum) {
        match class_of(ObjectType(ot)) {
            Some((class, app)) => {
                template.push((ck::CKA_CLASS, enc_ulong(class)));
                if let Some(app) = app {
                    template.push((ck::CKA_APPLICATION, app.as_bytes().to_vec()));
                }
            }
            None => return Ok(located(ctx, Vec::new(), 0)),
        }
    }
    // KMIP wants the most recently created object first (1.4 §4.9, 2.1 §6.1.27): the store is
    // read newest first, one page at a time, so the server holds one page and at most `max`
    // identifiers however many objects match; Located Items still counts every match.
    let mut found = Vec::new();
    let mut total = 0usize;
    let mut cursor = None;
    loop {
        let (page, next) = ctx
            .kmip
            .hsm
            .find_token_page(ctx.session, &template, cursor, LOCATE_PAGE)?;
        for uid in page {
            let Ok(m) = ctx.view(&uid) else { continue };
            let destroyed = matches!(m.state(), State::DESTROYED | State::DESTROYED_COMPROMISED);
            let archived = m.first("Archive Date").is_some();
            let storage = if destroyed {
                DESTROYED
            } else if archived {
                ARCHIVAL
            } else {
                ON_LINE
            };
            if mask & storage == 0 {
                continue;
            }
            if fresh_only && m.first("Fresh").and_then(Ttlv::as_bool) != Some(true) {
                continue;
            }
            if !matches(&m, &filters) {
                continue;
            }
            total += 1;
            if total > offset && found.len() < max {
                found.push(m.uid);
            }
        }
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    if let Some(first) = found.first() {
        ctx.placeholder = Some(first.clone());
    }
    Ok(located(ctx, found, total))
}

fn located(ctx: &Ctx<'_>, uids: Vec<String>, total: usize) -> Vec<Ttlv> {
    let mut out = Vec::with_capacity(uids.len() + 1);
    if ctx.version >= V1_3 {
        out.push(Ttlv::int(Tag::LOCATED_ITEMS, total.min(i32::MAX as usize) as i32));
    }
    out.extend(uids.into_iter().map(|u| Ttlv::text(Tag::UNIQUE_IDENTIFIER, u)));
    out
}
