//! C_FindObjectsInit / C_FindObjects / C_FindObjectsFinal.

use crate::util::*;

/// Fresh token with two data objects and two AES keys:
/// a = data "alpha" (token), b = data "beta" (session),
/// c = AES-128 "alpha" id 01 (session), k = AES-256 "gamma" id 01 (token).
fn populated(label: &str) -> (Session, Vec<ObjectHandle>) {
    let (_slot, s) = user_token(label);
    let data = |label: &str, app: &[u8], token: bool| {
        s.create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(token),
            Attribute::Private(false),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Application(app.to_vec()),
            Attribute::Value(app.to_vec()),
        ])
        .unwrap()
    };
    let a = data("alpha", b"app-a", true);
    let b = data("beta", b"app-b", false);
    let c = gen_aes(
        &s,
        16,
        &[
            Attribute::Label(b"alpha".to_vec()),
            Attribute::Id(vec![1]),
            Attribute::Token(false),
        ],
    );
    let k = gen_aes(
        &s,
        32,
        &[
            Attribute::Label(b"gamma".to_vec()),
            Attribute::Id(vec![1]),
            Attribute::Token(true),
        ],
    );
    (s, vec![a, b, c, k])
}

fn sorted(mut v: Vec<ObjectHandle>) -> Vec<CK_OBJECT_HANDLE> {
    let mut h: Vec<_> = v.drain(..).map(|o| o.handle()).collect();
    h.sort();
    h
}

#[test]
fn empty_template_finds_everything() {
    let (s, objs) = populated("find-all");
    assert_eq!(sorted(find(&s, &[])), sorted(objs));
}

#[test]
fn find_by_class_label_id_and_combinations() {
    let (s, objs) = populated("find-attrs");
    let [a, b, c, k] = objs[..] else { unreachable!() };
    assert_eq!(
        sorted(find(&s, &[Attribute::Class(ObjectClass::DATA)])),
        sorted(vec![a, b])
    );
    assert_eq!(
        sorted(find(&s, &[Attribute::Class(ObjectClass::SECRET_KEY)])),
        sorted(vec![c, k])
    );
    assert_eq!(
        sorted(find(&s, &[Attribute::Label(b"alpha".to_vec())])),
        sorted(vec![a, c])
    );
    assert_eq!(sorted(find(&s, &[Attribute::Id(vec![1])])), sorted(vec![c, k]));
    assert_eq!(
        find(
            &s,
            &[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::Label(b"alpha".to_vec()),
                Attribute::Token(false)
            ]
        ),
        vec![c]
    );
    assert_eq!(
        find(
            &s,
            &[Attribute::KeyType(KeyType::AES), Attribute::ValueLen(32.into())]
        ),
        vec![k]
    );
    assert_eq!(
        find(&s, &[Attribute::Token(true), Attribute::Class(ObjectClass::DATA)]),
        vec![a]
    );
    assert_eq!(find(&s, &[Attribute::Application(b"app-b".to_vec())]), vec![b]);
    assert_eq!(find(&s, &[Attribute::Value(b"app-a".to_vec())]), vec![a]);
}

#[test]
fn template_matching_nothing() {
    let (s, _) = populated("find-none");
    assert!(find(&s, &[Attribute::Label(b"delta".to_vec())]).is_empty());
    assert!(find(&s, &[Attribute::Label(b"alph".to_vec())]).is_empty());
    assert!(find(
        &s,
        &[
            Attribute::Label(b"alpha".to_vec()),
            Attribute::Class(ObjectClass::PRIVATE_KEY)
        ]
    )
    .is_empty());
    // An attribute no object has matches nothing (not an error).
    assert!(find(&s, &[Attribute::Modulus(vec![1, 2, 3])]).is_empty());
}

#[test]
fn find_by_unique_id() {
    let (s, objs) = populated("find-uniqueid");
    let (rv, _) = raw_attr_len(&s, objs[0], AttributeType::UniqueId);
    if rv == CKR_ATTRIBUTE_TYPE_INVALID && diverges("PKCS#11 2.40 module: no CKA_UNIQUE_ID") {
        return;
    }
    for o in &objs {
        let id = get_bytes(&s, *o, AttributeType::UniqueId);
        assert_eq!(find(&s, &[Attribute::UniqueId(id)]), vec![*o]);
    }
}

#[test]
fn paging_with_max_count_one() {
    let (s, objs) = populated("find-paging");
    let h = s.handle();
    assert_ckr!(p11!(C_FindObjectsInit(h, std::ptr::null_mut(), 0)), CKR_OK);
    let mut seen = Vec::new();
    loop {
        let mut out: CK_OBJECT_HANDLE = 0;
        let mut n: CK_ULONG = 99;
        assert_ckr!(p11!(C_FindObjects(h, &mut out, 1, &mut n)), CKR_OK);
        assert!(n <= 1, "returned {n} handles for max 1");
        if n == 0 {
            break;
        }
        assert!(!seen.contains(&out), "handle {out} returned twice");
        seen.push(out);
        assert!(seen.len() <= objs.len(), "too many handles");
    }
    // Exhausted searches keep returning nothing.
    let mut out: CK_OBJECT_HANDLE = 0;
    let mut n: CK_ULONG = 99;
    assert_ckr!(p11!(C_FindObjects(h, &mut out, 1, &mut n)), CKR_OK);
    assert_eq!(n, 0);
    assert_ckr!(p11!(C_FindObjectsFinal(h)), CKR_OK);
    seen.sort();
    assert_eq!(seen, sorted(objs));
}

#[test]
fn find_operation_state_errors() {
    let (s, _) = populated("find-state");
    let h = s.handle();
    let mut out = [0 as CK_OBJECT_HANDLE; 4];
    let mut n: CK_ULONG = 0;
    assert_ckr!(
        p11!(C_FindObjects(h, out.as_mut_ptr(), 4, &mut n)),
        CKR_OPERATION_NOT_INITIALIZED
    );
    assert_ckr!(p11!(C_FindObjectsFinal(h)), CKR_OPERATION_NOT_INITIALIZED);
    assert_ckr!(p11!(C_FindObjectsInit(h, std::ptr::null_mut(), 0)), CKR_OK);
    assert_ckr!(
        p11!(C_FindObjectsInit(h, std::ptr::null_mut(), 0)),
        CKR_OPERATION_ACTIVE
    );
    assert_ckr!(
        p11!(C_FindObjects(h, std::ptr::null_mut(), 4, &mut n)),
        CKR_ARGUMENTS_BAD
    );
    assert_ckr!(
        p11!(C_FindObjects(h, out.as_mut_ptr(), 4, std::ptr::null_mut())),
        CKR_ARGUMENTS_BAD
    );
    assert_ckr!(p11!(C_FindObjectsFinal(h)), CKR_OK);
    assert_ckr!(p11!(C_FindObjectsFinal(h)), CKR_OPERATION_NOT_INITIALIZED);
    // Non-NULL count with a NULL template is invalid.
    assert_ckr!(
        p11!(C_FindObjectsInit(h, std::ptr::null_mut(), 1)),
        CKR_ARGUMENTS_BAD
    );
}
