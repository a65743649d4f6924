//! Query (KMIP 1.4 §4.25, KMIP 2.1 §6.1.37): operations, objects, server information.

use super::{Ctx, OPERATIONS};
use crate::error::Result;
use crate::ttlv::enums::{ObjectType, QueryFunction};
use crate::ttlv::{Tag, Ttlv};

const OBJECT_TYPES: &[ObjectType] = &[
    ObjectType::CERTIFICATE,
    ObjectType::SYMMETRIC_KEY,
    ObjectType::PUBLIC_KEY,
    ObjectType::PRIVATE_KEY,
    ObjectType::SECRET_DATA,
    ObjectType::OPAQUE_OBJECT,
];

pub fn query(_ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
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
    Ok(out)
}
