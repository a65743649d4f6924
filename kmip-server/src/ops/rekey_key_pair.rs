//! Re-key Key Pair (KMIP 1.4 §4.5, 2.1 §6.1.42): a new key pair in place of an existing one.
//!
//! The new pair has the old private key's algorithm, size (the same curve for EC keys),
//! usage and KMIP attributes, and the old public key's for the public half; the request's
//! Common / Private Key / Public Key attributes override them. Each half takes over the Names
//! of the half it replaces and is linked to it both ways (Replaced / Replacement Object Link);
//! an Offset moves the new pair's dates as in Re-key.

use super::create::{make_key_pair, pair_attrs};
use super::rekey::{hand_over, offset, release, successor};
use super::Ctx;
use crate::error::{KmipError, Result};
use crate::objects::linked;
use crate::ttlv::enums::{LinkType, ObjectType, ResultReason};
use crate::ttlv::{Tag, Ttlv};
use cryptoki_sys as ck;
use softhsm::hsm::AttrValue;

/// The private key a request names: Private Key Unique Identifier, or the ID Placeholder.
fn private_uid(ctx: &Ctx<'_>, payload: &Ttlv) -> Result<String> {
    match payload.find(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER) {
        Some(t) => match t.as_text() {
            Some(s) => Ok(s.to_string()),
            None if t.as_enum().is_some() => ctx.placeholder_uid(),
            None => Err(KmipError::invalid("Private Key Unique Identifier")),
        },
        None => ctx.placeholder_uid(),
    }
}

pub fn re_key_key_pair(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let uid = private_uid(ctx, payload)?;
    let old_private = ctx.load(&uid)?;
    if old_private.object_type != ObjectType::PRIVATE_KEY {
        return Err(KmipError::new(
            ResultReason::INVALID_FIELD,
            "Re-key Key Pair renews a key pair named by its private key",
        ));
    }
    let public_uid = linked(&old_private, LinkType::PUBLIC_KEY_LINK)
        .ok_or_else(|| KmipError::illegal("the private key has no Public Key Link to re-key with"))?
        .to_string();
    let old_public = ctx.load(&public_uid)?;
    let (private, public) = pair_attrs(ctx, payload)?;
    let offset = offset(payload);
    let new_private = successor(&old_private, offset, private)?;
    let new_public = successor(&old_public, offset, public)?;
    // An EC pair keeps its curve, whatever the attributes say about its length.
    let curve = match old_private.key_type {
        Some(ck::CKK_EC) => match ctx
            .kmip
            .hsm
            .get_attributes(ctx.session, old_private.handle, &[ck::CKA_EC_PARAMS])?
            .into_iter()
            .next()
        {
            Some(AttrValue::Value(p)) => Some(p),
            _ => return Err(KmipError::illegal("the private key has no curve")),
        },
        Some(ck::CKK_RSA) => None,
        _ => return Err(KmipError::unsupported("re-keying a key pair of this algorithm")),
    };
    let kept_private = release(ctx, &old_private)?;
    let kept_public = release(ctx, &old_public)?;
    let (privm, pubm) = make_key_pair(ctx, new_private.attrs, new_public.attrs, curve)?;
    hand_over(ctx, &old_private, kept_private, &privm, new_private.names)?;
    hand_over(ctx, &old_public, kept_public, &pubm, new_public.names)?;
    log::info!(
        "re-keyed key pair {uid} / {public_uid} as {} / {}",
        privm.uid,
        pubm.uid
    );
    ctx.placeholder = Some(privm.uid.clone());
    Ok(vec![
        Ttlv::text(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER, privm.uid),
        Ttlv::text(Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER, pubm.uid),
    ])
}
