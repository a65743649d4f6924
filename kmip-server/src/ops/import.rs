//! Import (KMIP 2.0 §6.1.29, 2.1 §6.1.29): an object with the Unique Identifier and the
//! attributes the client gives (typically what Export answered on another server).
//!
//! The attributes are set to the supplied values rather than server-made ones, as far as the
//! object model allows: those derived from PKCS#11 (Cryptographic Algorithm and Length,
//! Sensitive, Extractable, the dates that drive the lifecycle) come from the object and its
//! template; Always Sensitive, Never Extractable and Key Value Present stay what the core
//! computes; State is applied after the object is made; the rest is kept as given. Replace
//! Existing replaces an object of the same Unique Identifier in one write; without it, an
//! existing one is Object Already Exists. A wrapped object is unwrapped (Key Wrap Type As
//! Registered remembers how, for Get).

use super::create::request_attrs;
use super::object_type;
use super::register::make_object;
use super::Ctx;
use crate::error::{KmipError, Result};
use crate::ttlv::enums::{ResultReason, State};
use crate::ttlv::{Tag, Ttlv};
use softhsm::attr::state;
use softhsm::hsm::ChosenId;

/// The States an imported object may be given.
const IMPORTABLE_STATES: &[(State, u64)] = &[
    (State::PRE_ACTIVE, state::PRE_ACTIVE),
    (State::ACTIVE, state::ACTIVE),
    (State::DEACTIVATED, state::DEACTIVATED),
    (State::COMPROMISED, state::COMPROMISED),
];

/// Attributes the core computes for every object, which an import cannot set.
const COMPUTED: &[&str] = &["Always Sensitive", "Never Extractable", "Key Value Present"];

pub fn import(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = payload
        .find(Tag::UNIQUE_IDENTIFIER)
        .and_then(Ttlv::as_text)
        .ok_or_else(|| KmipError::missing("Unique Identifier"))?
        .to_string();
    if !softhsm::hsm::valid_unique_id(&uid) {
        return Err(KmipError::new(
            ResultReason::INVALID_FIELD,
            format!(
                "a Unique Identifier is 1 to {} printable ASCII characters",
                softhsm::hsm::MAX_UNIQUE_ID
            ),
        ));
    }
    let ot = object_type(payload)?;
    let replace = match payload.find(Tag::REPLACE_EXISTING) {
        None => false,
        Some(r) => r
            .as_bool()
            .ok_or_else(|| KmipError::invalid("Replace Existing"))?,
    };
    let mut attrs = request_attrs(payload, Tag::TEMPLATE_ATTRIBUTE, Tag::ATTRIBUTES)?;
    for (name, agrees) in [
        (
            "Unique Identifier",
            attrs
                .iter()
                .filter(|a| a.name == "Unique Identifier")
                .all(|a| a.value.as_text() == Some(uid.as_str())),
        ),
        (
            "Object Type",
            attrs
                .iter()
                .filter(|a| a.name == "Object Type")
                .all(|a| a.value.as_enum() == Some(ot.0)),
        ),
    ] {
        if !agrees {
            return Err(KmipError::invalid(&format!(
                "{name} attribute (differs from the request's)"
            )));
        }
    }
    let imported_state = match crate::attributes::first(&attrs, "State").and_then(Ttlv::as_enum) {
        None => None,
        Some(s) => Some(
            IMPORTABLE_STATES
                .iter()
                .find(|(k, _)| k.0 == s)
                .map(|(_, v)| *v)
                .ok_or_else(|| KmipError::invalid("State (an imported object is not Destroyed)"))?,
        ),
    };
    attrs.retain(|a| {
        !matches!(a.name.as_str(), "Unique Identifier" | "Object Type" | "State")
            && !COMPUTED.contains(&a.name.as_str())
    });
    let exists = ctx.handle(&uid).is_ok();
    if exists && !replace {
        return Err(KmipError::new(
            ResultReason::OBJECT_ALREADY_EXISTS,
            format!("object {uid} already exists (set Replace Existing to replace it)"),
        ));
    }
    if !exists {
        // A replaced object gives up its Names with its Unique Identifier.
        super::create::check_unique_names(ctx, &attrs)?;
    }
    let id = ChosenId { uid: &uid, replace };
    let m = make_object(ctx, payload, ot, attrs, Some(id))?;
    if let Some(s) = imported_state.filter(|s| *s != m.stored_state) {
        ctx.set_lifecycle(&m, Some(s), &[])?;
    }
    log::info!(
        "imported {:?} object {}{}",
        ot,
        m.uid,
        if exists {
            " (replacing the existing one)"
        } else {
            ""
        }
    );
    ctx.placeholder = Some(m.uid.clone());
    Ok(vec![ctx.uid_item(&m.uid)])
}
