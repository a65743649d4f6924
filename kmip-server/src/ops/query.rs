//! Query (KMIP 1.4 §4.25, KMIP 2.1 §6.1.37): operations, objects, server information,
//! capabilities and RNGs. Application namespaces, extensions, attestation types, validations,
//! profiles and client registration methods are answered with none: the server claims none.

use super::{Ctx, OPERATIONS};
use crate::error::Result;
use crate::ttlv::enums::{DestroyAction, ObjectType, QueryFunction, RNGMode, ShreddingAlgorithm, UnwrapMode};
use crate::ttlv::{Tag, Ttlv};

const OBJECT_TYPES: &[ObjectType] = &[
    ObjectType::CERTIFICATE,
    ObjectType::SYMMETRIC_KEY,
    ObjectType::PUBLIC_KEY,
    ObjectType::PRIVATE_KEY,
    ObjectType::SECRET_DATA,
    ObjectType::OPAQUE_OBJECT,
];

pub fn query(ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let asked: Vec<QueryFunction> = payload
        .find_all(Tag::QUERY_FUNCTION)
        .filter_map(Ttlv::as_enum)
        .map(QueryFunction)
        .collect();
    let mut out = Vec::new();
    if asked.contains(&QueryFunction::QUERY_OPERATIONS) {
        out.extend(
            OPERATIONS
                .iter()
                .map(|(op, _)| Ttlv::enumeration(Tag::OPERATION, op.0)),
        );
    }
    if asked.contains(&QueryFunction::QUERY_OBJECTS) {
        out.extend(
            OBJECT_TYPES
                .iter()
                .map(|t| Ttlv::enumeration(Tag::OBJECT_TYPE, t.0)),
        );
    }
    if asked.contains(&QueryFunction::QUERY_SERVER_INFORMATION) {
        out.push(Ttlv::text(Tag::VENDOR_IDENTIFICATION, "softhsm-rs"));
        out.push(Ttlv::structure(
            Tag::SERVER_INFORMATION,
            vec![Ttlv::text(
                Tag::SERVER_NAME,
                concat!("softhsm-rs KMIP server ", env!("CARGO_PKG_VERSION")),
            )],
        ));
    }
    // Capability Information and RNG Parameters exist from KMIP 1.3 on.
    let v13 = ctx.version >= crate::version::V1_3;
    if v13 && asked.contains(&QueryFunction::QUERY_CAPABILITIES) {
        out.push(capabilities());
    }
    if v13 && asked.contains(&QueryFunction::QUERY_RN_GS) {
        out.push(Ttlv::structure(
            Tag::RNG_PARAMETERS,
            super::create::rng_parameters(),
        ));
    }
    Ok(out)
}

/// Capability Information (KMIP 1.4 §2.1.21), each answer true to what the server does:
/// streaming (Init/Final Indicator) and batch Undo and Continue are implemented; there is no
/// asynchronous mode or attestation; a wrapped key registered is unwrapped (Processed);
/// Destroy deletes the key material and keeps the metadata (State Destroyed); nothing is
/// shredded; the DRBG is AWS-LC's, seeded per process.
fn capabilities() -> Ttlv {
    Ttlv::structure(
        Tag::CAPABILITY_INFORMATION,
        vec![
            Ttlv::boolean(Tag::STREAMING_CAPABILITY, true),
            Ttlv::boolean(Tag::ASYNCHRONOUS_CAPABILITY, false),
            Ttlv::boolean(Tag::ATTESTATION_CAPABILITY, false),
            Ttlv::boolean(Tag::BATCH_UNDO_CAPABILITY, true),
            Ttlv::boolean(Tag::BATCH_CONTINUE_CAPABILITY, true),
            Ttlv::enumeration(Tag::UNWRAP_MODE, UnwrapMode::PROCESSED.0),
            Ttlv::enumeration(Tag::DESTROY_ACTION, DestroyAction::KEY_MATERIAL_DELETED.0),
            Ttlv::enumeration(Tag::SHREDDING_ALGORITHM, ShreddingAlgorithm::UNSUPPORTED.0),
            Ttlv::enumeration(Tag::RNG_MODE, RNGMode::UNSPECIFIED.0),
        ],
    )
}
