//! Discover Versions (KMIP 1.4 §4.26) and Interop (KMIP 2.1 §6.1.27).

use super::Ctx;
use crate::error::Result;
use crate::message::{protocol_version, version_of};
use crate::ttlv::{Tag, Ttlv};
use crate::version::{Version, SUPPORTED};

/// The versions both sides speak, in the server's order of preference; every version the
/// server speaks when the client lists none.
pub fn discover_versions(_ctx: &mut Ctx<'_>, payload: &Ttlv) -> Result<Vec<Ttlv>> {
    let asked: Vec<Version> = payload
        .find_all(Tag::PROTOCOL_VERSION)
        .filter_map(version_of)
        .collect();
    Ok(SUPPORTED
        .iter()
        .filter(|v| asked.is_empty() || asked.contains(v))
        .map(|v| protocol_version(*v))
        .collect())
}

/// Interop Begin / End / Reset: test-run markers of the KMIP profiles; acknowledged.
pub fn interop(_ctx: &mut Ctx<'_>, _payload: &Ttlv) -> Result<Vec<Ttlv>> {
    Ok(Vec::new())
}
