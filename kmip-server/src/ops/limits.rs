//! Usage Limits (KMIP 1.4 §3.21): a key registered or created with a Usage Limits Total in
//! bytes or objects is refused with Permission Denied once it has processed that much.

use super::Ctx;
use crate::attributes::Attribute;
use crate::error::{KmipError, Result};
use crate::objects::Managed;
use crate::ttlv::enums::ResultReason;
use crate::ttlv::{Tag, Ttlv, Value};

/// Usage Limits Unit: Byte and Object.
const BYTE: u32 = 1;
const OBJECT: u32 = 2;

/// Counts one use of `m` over `bytes` bytes against its Usage Limits, if it has any.
pub fn consume(ctx: &Ctx<'_>, m: &Managed, bytes: usize) -> Result<()> {
    let Some(limits) = m.first("Usage Limits") else {
        return Ok(());
    };
    let total = limits
        .find(Tag::USAGE_LIMITS_TOTAL)
        .and_then(Ttlv::as_long)
        .unwrap_or(i64::MAX);
    let unit = limits
        .find(Tag::USAGE_LIMITS_UNIT)
        .and_then(Ttlv::as_enum)
        .unwrap_or(OBJECT);
    let used = match unit {
        BYTE => bytes as i64,
        _ => 1,
    };
    let left = limits
        .find(Tag::USAGE_LIMITS_COUNT)
        .and_then(Ttlv::as_long)
        .unwrap_or(total);
    if used > left {
        log::info!("object {} has used up its Usage Limits", m.uid);
        return Err(KmipError::new(
            ResultReason::PERMISSION_DENIED,
            "the object's usage limit is reached",
        ));
    }
    let mut items: Vec<Ttlv> = limits
        .items()
        .iter()
        .filter(|t| t.tag != Tag::USAGE_LIMITS_COUNT)
        .cloned()
        .collect();
    items.push(Ttlv::long(Tag::USAGE_LIMITS_COUNT, left - used));
    let mut all: Vec<Attribute> = m
        .stored_attrs()
        .into_iter()
        .filter(|a| a.name != "Usage Limits")
        .collect();
    all.push(Attribute::new(
        crate::attributes::by_name("Usage Limits").expect("in table"),
        Value::Structure(items),
    ));
    ctx.save(m, all)
}
