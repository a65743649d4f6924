//! Discover Versions (KMIP 1.4 §4.26) and Interop (KMIP 2.1 §6.1.27).

use super::Ctx;
use crate::error::Result;
use crate::ttlv::{Tag, Ttlv};
use crate::version::{Version, SUPPORTED};

/// The versions both sides speak, in the server's order of preference; every version the
/// server speaks when the client lists none.
pub fn discover_versions(_ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let asked: Vec<Version> = payload
        .find_all(Tag::PROTOCOL_VERSION)
        .filter_map(|pv| {
            Some(Version::new(
                pv.find(Tag::PROTOCOL_VERSION_MAJOR)?.as_int()?,
                pv.find(Tag::PROTOCOL_VERSION_MINOR)?.as_int()?,
            ))
        })
        .collect();
    Ok(SUPPORTED
        .iter()
        .filter(|v| asked.is_empty() || asked.contains(v))
        .map(|v| {
            Ttlv::structure(
                Tag::PROTOCOL_VERSION,
                vec![
                    Ttlv::int(Tag::PROTOCOL_VERSION_MAJOR, v.major),
                    Ttlv::int(Tag::PROTOCOL_VERSION_MINOR, v.minor),
                ],
            )
        })
        .collect())
}

/// Interop Begin / End / Reset: test-run markers of the KMIP profiles; acknowledged.
pub fn interop(_ctx: &mut Ctx<'_>, _payload: &Ttlv) -> Result<Vec<Ttlv>> {
    Ok(Vec::new())
}
