//! The request plumbing the in-process KMIP test files share: a dispatcher over a scratch
//! keystore in a temporary directory, one-request calls over the byte interface, and the
//! checks of an answer's Result Status.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use kmip_server::dispatch::Kmip;
use kmip_server::local::scratch_keystore;
use kmip_server::message::request;
use kmip_server::ops::stream::StreamLimits;
use kmip_server::ttlv::binary;
use kmip_server::ttlv::enums::{CryptographicAlgorithm, ObjectType, Operation, ResultReason, ResultStatus};
use kmip_server::ttlv::{Tag, Ttlv};
use kmip_server::version::Version;

/// The token the scratch keystore holds and requests are mapped to.
pub const TOKEN: &str = "kmip";

pub struct Env {
    pub kmip: Kmip,
    _dir: tempfile::TempDir,
}

pub fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let kmip = scratch_keystore(dir.path()).expect("a scratch keystore");
    Env { kmip, _dir: dir }
}

/// As [`env`], with these bounds on streaming operations.
pub fn env_with(limits: StreamLimits) -> Env {
    let mut e = env();
    e.kmip.set_stream_limits(limits);
    e
}

/// Sends one request message as the client with certificate `subject` and returns the batch
/// items of the response.
pub fn send_as(e: &Env, subject: &str, msg: &Ttlv) -> Vec<Ttlv> {
    let out = e.kmip.handle_bytes_from(TOKEN, subject, &binary::encode(msg));
    let resp = binary::decode(&out, &Default::default()).expect("response decodes");
    assert_eq!(resp.tag, Tag::RESPONSE_MESSAGE);
    resp.find_all(Tag::BATCH_ITEM).cloned().collect()
}

/// Sends one request message from a client without a certificate subject.
pub fn send(e: &Env, msg: &Ttlv) -> Vec<Ttlv> {
    send_as(e, "", msg)
}

/// One operation in a request of version `v`; its one batch item.
pub fn one(e: &Env, v: Version, op: Operation, payload: Vec<Ttlv>) -> Ttlv {
    let mut items = send(e, &request(v, vec![(op, payload)]));
    assert_eq!(items.len(), 1);
    items.remove(0)
}

/// An item's Result Status.
pub fn status(item: &Ttlv) -> u32 {
    item.find(Tag::RESULT_STATUS).and_then(Ttlv::as_enum).unwrap()
}

/// The Response Payload of an item that must have succeeded.
pub fn ok(item: &Ttlv) -> Ttlv {
    assert_eq!(
        item.find(Tag::RESULT_STATUS).and_then(Ttlv::as_enum),
        Some(ResultStatus::SUCCESS.0),
        "failed: {:?}",
        item.find(Tag::RESULT_MESSAGE)
    );
    item.find(Tag::RESPONSE_PAYLOAD).expect("payload").clone()
}

/// The Result Reason of an item that must have failed.
pub fn failed(item: &Ttlv) -> ResultReason {
    assert_eq!(
        item.find(Tag::RESULT_STATUS).and_then(Ttlv::as_enum),
        Some(ResultStatus::OPERATION_FAILED.0),
        "expected a failure: {:?}",
        item.find(Tag::RESULT_MESSAGE)
    );
    ResultReason(item.find(Tag::RESULT_REASON).and_then(Ttlv::as_enum).unwrap())
}

pub fn uid(u: &str) -> Ttlv {
    Ttlv::text(Tag::UNIQUE_IDENTIFIER, u)
}

/// Create Key Pair at KMIP 2.1 with `common` (Common Attributes) and each half's own attributes;
/// the identifiers of the (private, public) keys made.
pub fn create_key_pair(
    e: &Env,
    common: Vec<Ttlv>,
    private: Vec<Ttlv>,
    public: Vec<Ttlv>,
) -> (String, String) {
    let p = ok(&one(
        e,
        Version::new(2, 1),
        Operation::CREATE_KEY_PAIR,
        vec![
            Ttlv::structure(Tag::COMMON_ATTRIBUTES, common),
            Ttlv::structure(Tag::PRIVATE_KEY_ATTRIBUTES, private),
            Ttlv::structure(Tag::PUBLIC_KEY_ATTRIBUTES, public),
        ],
    ));
    let text = |tag| {
        p.find(tag)
            .and_then(Ttlv::as_text)
            .expect("an identifier")
            .to_string()
    };
    (
        text(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER),
        text(Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER),
    )
}

/// The KMIP 2.x Attributes of an AES key of `bits` with usage `mask`.
pub fn aes_attributes(bits: i32, mask: i32) -> Ttlv {
    Ttlv::structure(
        Tag::ATTRIBUTES,
        vec![
            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::AES.0),
            Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, bits),
            Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, mask),
        ],
    )
}

/// The payload of a KMIP 2.x Create of an AES key of `bits` with usage `mask`.
pub fn aes_create_payload(bits: i32, mask: i32) -> Vec<Ttlv> {
    vec![
        Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
        aes_attributes(bits, mask),
    ]
}
