//! Streaming cryptography (Init/Final Indicator, Correlation Value), batch Undo and Log, end to
//! end through `Kmip::handle_bytes_from`. The oracle for each stream is the same operation in
//! one request.

mod common;
use common::*;
use kmip_server::message::request;
use kmip_server::ops::stream::StreamLimits;
use kmip_server::ttlv::enums::{
    BatchErrorContinuationOption, BlockCipherMode, CryptographicAlgorithm, HashingAlgorithm, ObjectType,
    Operation, PaddingMethod, ResultReason, ResultStatus,
};
use kmip_server::ttlv::{Tag, Ttlv, Value};
use kmip_server::version::Version;
use std::time::Duration;

const V: Version = Version { major: 2, minor: 1 };
const SUBJECT: &str = "CN=alice";

fn call_as(e: &Env, subject: &str, op: Operation, payload: Vec<Ttlv>) -> Ttlv {
    send_as(e, subject, &request(V, vec![(op, payload)])).remove(0)
}

fn call(e: &Env, op: Operation, payload: Vec<Ttlv>) -> Ttlv {
    call_as(e, SUBJECT, op, payload)
}

fn bytes(p: &Ttlv, tag: Tag) -> Vec<u8> {
    p.find(tag).and_then(Ttlv::as_bytes).unwrap_or_default().to_vec()
}

fn text(p: &Ttlv, tag: Tag) -> String {
    p.find(tag).and_then(Ttlv::as_text).unwrap().to_string()
}

fn register_key(e: &Env, alg: CryptographicAlgorithm, material: &[u8], mask: i32) -> String {
    let block = Ttlv::structure(
        Tag::KEY_BLOCK,
        vec![
            Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, 1),
            Ttlv::structure(
                Tag::KEY_VALUE,
                vec![Ttlv::bytes(Tag::KEY_MATERIAL, material.to_vec())],
            ),
            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, alg.0),
            Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, material.len() as i32 * 8),
        ],
    );
    let attrs = Ttlv::structure(
        Tag::ATTRIBUTES,
        vec![
            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, alg.0),
            Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, material.len() as i32 * 8),
            Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, mask),
            Ttlv::date(Tag::ACTIVATION_DATE, 1),
        ],
    );
    let r = call(
        e,
        Operation::REGISTER,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SYMMETRIC_KEY.0),
            attrs,
            Ttlv::structure(Tag::SYMMETRIC_KEY, vec![block]),
        ],
    );
    text(&ok(&r), Tag::UNIQUE_IDENTIFIER)
}

fn rsa_pair(e: &Env) -> (String, String) {
    create_key_pair(
        e,
        vec![
            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, CryptographicAlgorithm::RSA.0),
            Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, 2048),
            Ttlv::date(Tag::ACTIVATION_DATE, 1),
        ],
        vec![Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 0x1)],
        vec![Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 0x2)],
    )
}

/// Runs `op` over `data` split at `cuts` as one stream; `first` and `last` are extra items of
/// the first and final request. Returns every answer's payload.
fn stream(
    e: &Env,
    op: Operation,
    common: &[Ttlv],
    data: &[u8],
    cuts: &[usize],
    last: Vec<Ttlv>,
) -> Vec<Ttlv> {
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(data.len());
    let mut cv = None;
    let mut answers = Vec::new();
    let n = bounds.len() - 1;
    for i in 0..n {
        let mut p = common.to_vec();
        p.push(Ttlv::bytes(Tag::DATA, data[bounds[i]..bounds[i + 1]].to_vec()));
        match &cv {
            None => p.push(Ttlv::boolean(Tag::INIT_INDICATOR, true)),
            Some(c) => p.push(Ttlv::bytes(Tag::CORRELATION_VALUE, Vec::clone(c))),
        }
        if i == n - 1 {
            p.push(Ttlv::boolean(Tag::FINAL_INDICATOR, true));
            p.extend(last.iter().cloned());
        }
        let a = ok(&call(e, op, p));
        if cv.is_none() {
            let c = bytes(&a, Tag::CORRELATION_VALUE);
            assert_eq!(c.len(), 16, "a 128-bit Correlation Value");
            cv = Some(c);
        }
        answers.push(a);
    }
    answers
}

fn joined(answers: &[Ttlv], tag: Tag) -> Vec<u8> {
    answers.iter().flat_map(|a| bytes(a, tag)).collect()
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn streamed_aes_cbc_pad_and_gcm_equal_single_part() {
    let e = env();
    let k = register_key(&e, CryptographicAlgorithm::AES, &[0x11; 16], 0x4 | 0x8);
    let msg = data(77);
    let cbc = Ttlv::structure(
        Tag::CRYPTOGRAPHIC_PARAMETERS,
        vec![
            Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, BlockCipherMode::CBC.0),
            Ttlv::enumeration(Tag::PADDING_METHOD, PaddingMethod::PKCS5.0),
        ],
    );
    let common = vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, &k),
        cbc,
        Ttlv::bytes(Tag::IV_COUNTER_NONCE, vec![9; 16]),
    ];
    let mut single = common.clone();
    single.push(Ttlv::bytes(Tag::DATA, msg.clone()));
    let want = bytes(&ok(&call(&e, Operation::ENCRYPT, single)), Tag::DATA);
    assert_eq!(want.len(), 80);
    let got = joined(
        &stream(&e, Operation::ENCRYPT, &common, &msg, &[1, 17, 50], vec![]),
        Tag::DATA,
    );
    assert_eq!(got, want);
    // And back, split elsewhere: the padding block is held back until the final part.
    let back = stream(&e, Operation::DECRYPT, &common, &want, &[15, 33, 79], vec![]);
    assert_eq!(joined(&back, Tag::DATA), msg);

    let gcm = Ttlv::structure(
        Tag::CRYPTOGRAPHIC_PARAMETERS,
        vec![Ttlv::enumeration(Tag::BLOCK_CIPHER_MODE, BlockCipherMode::GCM.0)],
    );
    let common = vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, &k),
        gcm,
        Ttlv::bytes(Tag::IV_COUNTER_NONCE, vec![5; 12]),
        Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA, b"aad".to_vec()),
    ];
    let mut single = common.clone();
    single.push(Ttlv::bytes(Tag::DATA, msg.clone()));
    let one = ok(&call(&e, Operation::ENCRYPT, single));
    let parts = stream(&e, Operation::ENCRYPT, &common, &msg, &[3, 40], vec![]);
    assert_eq!(joined(&parts, Tag::DATA), bytes(&one, Tag::DATA));
    let tag = bytes(&one, Tag::AUTHENTICATED_ENCRYPTION_TAG);
    assert_eq!(tag.len(), 16);
    assert_eq!(
        bytes(parts.last().unwrap(), Tag::AUTHENTICATED_ENCRYPTION_TAG),
        tag
    );
    assert!(parts[..2]
        .iter()
        .all(|p| p.find(Tag::AUTHENTICATED_ENCRYPTION_TAG).is_none()));
    // Decryption: the tag comes with the final request; no plaintext before it verifies.
    let ct = bytes(&one, Tag::DATA);
    let tag_item = vec![Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_TAG, tag.clone())];
    let back = stream(&e, Operation::DECRYPT, &common, &ct, &[30, 31], tag_item);
    assert!(back[..2].iter().all(|p| p.find(Tag::DATA).is_none()));
    assert_eq!(joined(&back, Tag::DATA), msg);
    // A wrong tag fails the stream.
    let mut bad = tag;
    bad[0] ^= 1;
    let mut p = common.clone();
    p.push(Ttlv::bytes(Tag::DATA, ct[..10].to_vec()));
    p.push(Ttlv::boolean(Tag::INIT_INDICATOR, true));
    let cv = bytes(&ok(&call(&e, Operation::DECRYPT, p)), Tag::CORRELATION_VALUE);
    let mut p = common;
    p.push(Ttlv::bytes(Tag::DATA, ct[10..].to_vec()));
    p.push(Ttlv::bytes(Tag::CORRELATION_VALUE, cv));
    p.push(Ttlv::boolean(Tag::FINAL_INDICATOR, true));
    p.push(Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_TAG, bad));
    assert_eq!(
        failed(&call(&e, Operation::DECRYPT, p)),
        ResultReason::CRYPTOGRAPHIC_FAILURE
    );
    assert_eq!(
        e.kmip.streams.open_count(),
        0,
        "finished and failed streams are gone"
    );
}

#[test]
fn streamed_hmac_hash_and_rsa_signature_equal_single_part() {
    let e = env();
    let msg = data(301);
    // HMAC-SHA256, and MAC Verify of the result as a stream.
    let k = register_key(&e, CryptographicAlgorithm::HMAC_SHA256, &[0x22; 32], 0x80 | 0x100);
    let common = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &k)];
    let mut single = common.clone();
    single.push(Ttlv::bytes(Tag::DATA, msg.clone()));
    let want = bytes(&ok(&call(&e, Operation::MAC, single)), Tag::MAC_DATA);
    assert_eq!(want.len(), 32);
    let parts = stream(&e, Operation::MAC, &common, &msg, &[1, 64, 65, 200], vec![]);
    assert_eq!(bytes(parts.last().unwrap(), Tag::MAC_DATA), want);
    let check = vec![Ttlv::bytes(Tag::MAC_DATA, want.clone())];
    let v = stream(&e, Operation::MAC_VERIFY, &common, &msg, &[7], check);
    assert_eq!(
        v[1].find(Tag::VALIDITY_INDICATOR).and_then(Ttlv::as_enum),
        Some(1)
    );
    let mut wrong = want;
    wrong[31] ^= 0x80;
    let v = stream(
        &e,
        Operation::MAC_VERIFY,
        &common,
        &msg,
        &[7],
        vec![Ttlv::bytes(Tag::MAC_DATA, wrong)],
    );
    assert_eq!(
        v[1].find(Tag::VALIDITY_INDICATOR).and_then(Ttlv::as_enum),
        Some(2)
    );

    // SHA-256.
    let params = vec![Ttlv::structure(
        Tag::CRYPTOGRAPHIC_PARAMETERS,
        vec![Ttlv::enumeration(
            Tag::HASHING_ALGORITHM,
            HashingAlgorithm::SHA_256.0,
        )],
    )];
    let mut single = params.clone();
    single.push(Ttlv::bytes(Tag::DATA, msg.clone()));
    let want = bytes(&ok(&call(&e, Operation::HASH, single)), Tag::DATA);
    let parts = stream(&e, Operation::HASH, &params, &msg, &[0, 3, 299], vec![]);
    assert_eq!(bytes(parts.last().unwrap(), Tag::DATA), want);
    let abc = stream(&e, Operation::HASH, &params, b"abc", &[1], vec![]);
    assert_eq!(
        bytes(&abc[1], Tag::DATA)[..4],
        [0xba, 0x78, 0x16, 0xbf],
        "SHA-256(\"abc\")"
    );

    // RSA PKCS#1 v1.5 with SHA-256 is deterministic: the streamed signature is the same bytes.
    let (private, public) = rsa_pair(&e);
    let sp = Ttlv::structure(
        Tag::CRYPTOGRAPHIC_PARAMETERS,
        vec![
            Ttlv::enumeration(Tag::PADDING_METHOD, PaddingMethod::PKCS1_V1_5.0),
            Ttlv::enumeration(Tag::HASHING_ALGORITHM, HashingAlgorithm::SHA_256.0),
        ],
    );
    let common = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &private), sp.clone()];
    let mut single = common.clone();
    single.push(Ttlv::bytes(Tag::DATA, msg.clone()));
    let want = bytes(&ok(&call(&e, Operation::SIGN, single)), Tag::SIGNATURE_DATA);
    assert_eq!(want.len(), 256);
    let parts = stream(&e, Operation::SIGN, &common, &msg, &[5, 123], vec![]);
    assert_eq!(bytes(parts.last().unwrap(), Tag::SIGNATURE_DATA), want);
    let common = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &public), sp];
    let check = vec![Ttlv::bytes(Tag::SIGNATURE_DATA, want)];
    let v = stream(&e, Operation::SIGNATURE_VERIFY, &common, &msg, &[100], check);
    assert_eq!(
        v[1].find(Tag::VALIDITY_INDICATOR).and_then(Ttlv::as_enum),
        Some(1)
    );
}

fn start_hash(e: &Env, subject: &str) -> Ttlv {
    call_as(
        e,
        subject,
        Operation::HASH,
        vec![
            Ttlv::structure(
                Tag::CRYPTOGRAPHIC_PARAMETERS,
                vec![Ttlv::enumeration(
                    Tag::HASHING_ALGORITHM,
                    HashingAlgorithm::SHA_256.0,
                )],
            ),
            Ttlv::bytes(Tag::DATA, b"part".to_vec()),
            Ttlv::boolean(Tag::INIT_INDICATOR, true),
        ],
    )
}

fn continue_hash(e: &Env, subject: &str, cv: Vec<u8>) -> Ttlv {
    call_as(
        e,
        subject,
        Operation::HASH,
        vec![
            Ttlv::bytes(Tag::DATA, b"more".to_vec()),
            Ttlv::bytes(Tag::CORRELATION_VALUE, cv),
        ],
    )
}

#[test]
fn unknown_foreign_and_expired_correlation_values_are_refused() {
    let e = env();
    let cv = bytes(&ok(&start_hash(&e, SUBJECT)), Tag::CORRELATION_VALUE);
    // Another client (same token, another certificate) may not use it.
    let r = continue_hash(&e, "CN=mallory", cv.clone());
    assert_eq!(failed(&r), ResultReason::INVALID_CORRELATION_VALUE);
    // Nor may a made-up value, of the right length or not.
    assert_eq!(
        failed(&continue_hash(&e, SUBJECT, vec![0; 16])),
        ResultReason::INVALID_CORRELATION_VALUE
    );
    assert_eq!(
        failed(&continue_hash(&e, SUBJECT, vec![1, 2, 3])),
        ResultReason::INVALID_CORRELATION_VALUE
    );
    // The owner's stream was not disturbed, and it is used for another operation: refused.
    let wrong_op = call(
        &e,
        Operation::ENCRYPT,
        vec![
            Ttlv::bytes(Tag::DATA, b"x".to_vec()),
            Ttlv::bytes(Tag::CORRELATION_VALUE, cv.clone()),
        ],
    );
    assert_eq!(failed(&wrong_op), ResultReason::INVALID_CORRELATION_VALUE);
    ok(&continue_hash(&e, SUBJECT, cv.clone()));
    // 1.x clients get Invalid Field (1.x has no Invalid Correlation Value).
    let old = send_as(
        &e,
        SUBJECT,
        &request(
            Version::new(1, 4),
            vec![(
                Operation::HASH,
                vec![Ttlv::bytes(Tag::CORRELATION_VALUE, vec![0; 16])],
            )],
        ),
    );
    assert_eq!(failed(&old[0]), ResultReason::INVALID_FIELD);

    // Idle streams expire.
    let e = env_with(StreamLimits {
        idle: Duration::from_millis(0),
        ..StreamLimits::default()
    });
    let cv = bytes(&ok(&start_hash(&e, SUBJECT)), Tag::CORRELATION_VALUE);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        failed(&continue_hash(&e, SUBJECT, cv)),
        ResultReason::INVALID_CORRELATION_VALUE
    );
    assert_eq!(e.kmip.streams.open_count(), 0);
}

#[test]
fn the_stream_limits_are_enforced() {
    let e = env_with(StreamLimits {
        max_streams: 3,
        max_per_client: 2,
        ..StreamLimits::default()
    });
    ok(&start_hash(&e, "CN=a"));
    let a2 = bytes(&ok(&start_hash(&e, "CN=a")), Tag::CORRELATION_VALUE);
    assert_eq!(
        failed(&start_hash(&e, "CN=a")),
        ResultReason::SERVER_LIMIT_EXCEEDED
    );
    ok(&start_hash(&e, "CN=b"));
    assert_eq!(
        failed(&start_hash(&e, "CN=c")),
        ResultReason::SERVER_LIMIT_EXCEEDED
    );
    assert_eq!(e.kmip.streams.open_count(), 3);
    // Finishing one makes room.
    let done = call_as(
        &e,
        "CN=a",
        Operation::HASH,
        vec![
            Ttlv::bytes(Tag::CORRELATION_VALUE, a2),
            Ttlv::boolean(Tag::FINAL_INDICATOR, true),
        ],
    );
    assert_eq!(bytes(&ok(&done), Tag::DATA).len(), 32);
    ok(&start_hash(&e, "CN=c"));
}

fn with_continuation(mut msg: Ttlv, option: BatchErrorContinuationOption) -> Ttlv {
    if let Value::Structure(items) = &mut msg.value {
        if let Value::Structure(h) = &mut items[0].value {
            h.push(Ttlv::enumeration(Tag::BATCH_ERROR_CONTINUATION_OPTION, option.0));
        }
    }
    msg
}

fn locate_all(e: &Env) -> usize {
    ok(&call(e, Operation::LOCATE, vec![]))
        .find_all(Tag::UNIQUE_IDENTIFIER)
        .count()
}

#[test]
fn undo_removes_objects_made_earlier_in_the_batch_and_restores_state() {
    let e = env();
    let existing = register_key(&e, CryptographicAlgorithm::AES, &[0x33; 16], 0x4);
    let before = locate_all(&e);
    let create = (Operation::CREATE, aes_create_payload(128, 0x4));
    let msg = request(
        V,
        vec![
            create.clone(),
            (Operation::ACTIVATE, vec![]),
            (
                Operation::REVOKE,
                vec![
                    Ttlv::text(Tag::UNIQUE_IDENTIFIER, &existing),
                    Ttlv::structure(
                        Tag::REVOCATION_REASON,
                        vec![Ttlv::enumeration(Tag::REVOCATION_REASON_CODE, 1)],
                    ),
                ],
            ),
            (
                Operation::GET,
                vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, "no-such-object")],
            ),
            create.clone(),
        ],
    );
    let items = send_as(
        &e,
        SUBJECT,
        &with_continuation(msg, BatchErrorContinuationOption::UNDO),
    );
    assert_eq!(items.len(), 4, "the item after the failure does not run");
    for i in &items[..3] {
        assert_eq!(status(i), ResultStatus::OPERATION_UNDONE.0);
    }
    assert_eq!(failed(&items[3]), ResultReason::OBJECT_NOT_FOUND);
    let made = text(
        items[0].find(Tag::RESPONSE_PAYLOAD).unwrap(),
        Tag::UNIQUE_IDENTIFIER,
    );
    assert_eq!(locate_all(&e), before, "the created key is gone");
    assert_eq!(
        failed(&call(
            &e,
            Operation::GET,
            vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &made)]
        )),
        ResultReason::OBJECT_NOT_FOUND
    );
    // The revoked key is Active again.
    let st = ok(&call(
        &e,
        Operation::GET_ATTRIBUTES,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &existing)],
    ));
    let state = st
        .find(Tag::ATTRIBUTES)
        .and_then(|a| a.find(Tag::STATE))
        .and_then(Ttlv::as_enum);
    assert_eq!(state, Some(2), "Active, as before the batch");

    // Destroy in a batch with Undo waits for the end of the batch; here it fails itself (the
    // key is Active), so the Create before it is undone.
    let msg = request(
        V,
        vec![
            create.clone(),
            (
                Operation::DESTROY,
                vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &existing)],
            ),
        ],
    );
    let items = send_as(
        &e,
        SUBJECT,
        &with_continuation(msg, BatchErrorContinuationOption::UNDO),
    );
    assert_eq!(status(&items[0]), ResultStatus::OPERATION_UNDONE.0);
    assert_eq!(failed(&items[1]), ResultReason::WRONG_KEY_LIFECYCLE_STATE);
    assert_eq!(locate_all(&e), before);
    // Anything but a Destroy after a Destroy would see the object still there: refused whole.
    let msg = request(
        V,
        vec![
            (
                Operation::DESTROY,
                vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, &existing)],
            ),
            create,
        ],
    );
    let items = send_as(
        &e,
        SUBJECT,
        &with_continuation(msg, BatchErrorContinuationOption::UNDO),
    );
    assert!(items
        .iter()
        .all(|i| failed(i) == ResultReason::FEATURE_NOT_SUPPORTED));
    assert_eq!(locate_all(&e), before);
}

#[test]
fn log_answers_success_and_needs_a_message() {
    let e = env();
    let r = call(
        &e,
        Operation::LOG,
        vec![Ttlv::text(Tag::LOG_MESSAGE, "client says hi\nforged line")],
    );
    assert!(ok(&r).items().is_empty());
    assert_eq!(
        failed(&call(&e, Operation::LOG, vec![])),
        ResultReason::MISSING_DATA
    );
}
