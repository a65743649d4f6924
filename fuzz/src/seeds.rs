//! Writes the seed corpora scripts/fuzz.sh starts each target from, into a temporary
//! directory (nothing is committed): the `seeds` binary with `SEEDS_OUT` and optionally
//! `SEEDS_VECTORS` set. (It is a libFuzzer binary like the targets — built with the same
//! flags, it must link libFuzzer — that writes the seeds in its init hook and exits.)
//!
//! Our own requests, built by our encoder, always; when VECTORS (the shared KMIP vectors) is a
//! directory, every request and response message of its XML test cases and the PyKMIP
//! captures too, read at run time and never copied into the repository. At most
//! `FUZZ_MAX_SEEDS` (default 300) per target, spread evenly over the sorted set, so a short
//! run spends its time mutating rather than replaying.

use kmip_server::message::request;
use kmip_server::ttlv::binary::encode;
use kmip_server::ttlv::enums::Operation;
use kmip_server::ttlv::{json, xml, Tag, Ttlv};
use kmip_server::version::{V1_4, V2_0};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn attr(name: &str, value: Ttlv) -> Ttlv {
    Ttlv::structure(Tag::ATTRIBUTE, vec![Ttlv::text(Tag::ATTRIBUTE_NAME, name), value])
}

/// A few requests of our own in KMIP 1.4 and 2.0 shapes.
fn own_requests() -> Vec<Ttlv> {
    let (v14, v20) = (V1_4, V2_0);
    let uid = || Ttlv::text(Tag::UNIQUE_IDENTIFIER, "1");
    let aes_v1 = Ttlv::structure(
        Tag::TEMPLATE_ATTRIBUTE,
        vec![
            attr(
                "Cryptographic Algorithm",
                Ttlv::enumeration(Tag::ATTRIBUTE_VALUE, 3),
            ),
            attr("Cryptographic Length", Ttlv::int(Tag::ATTRIBUTE_VALUE, 128)),
            attr("Cryptographic Usage Mask", Ttlv::int(Tag::ATTRIBUTE_VALUE, 12)),
        ],
    );
    let aes_v2 = Ttlv::structure(
        Tag::ATTRIBUTES,
        vec![
            Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, 3),
            Ttlv::int(Tag::CRYPTOGRAPHIC_LENGTH, 256),
            Ttlv::int(Tag::CRYPTOGRAPHIC_USAGE_MASK, 12),
        ],
    );
    let secret = Ttlv::enumeration(Tag::OBJECT_TYPE, 2);
    vec![
        request(
            v14,
            vec![(Operation::QUERY, vec![Ttlv::enumeration(Tag::QUERY_FUNCTION, 1)])],
        ),
        request(v14, vec![(Operation::DISCOVER_VERSIONS, vec![])]),
        request(v14, vec![(Operation::CREATE, vec![secret.clone(), aes_v1])]),
        request(v20, vec![(Operation::CREATE, vec![secret, aes_v2])]),
        request(v14, vec![(Operation::LOCATE, vec![])]),
        request(
            v14,
            vec![
                (Operation::GET, vec![uid()]),
                (Operation::GET_ATTRIBUTES, vec![uid()]),
                (Operation::ACTIVATE, vec![uid()]),
                (Operation::DESTROY, vec![uid()]),
            ],
        ),
    ]
}

/// Every message of the vectors' XML files and the PyKMIP captures.
fn vector_messages(dir: &Path) -> Vec<Ttlv> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for p in files {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        match p.extension().and_then(|e| e.to_str()) {
            Some("xml") => {
                if let Ok(all) = xml::each_message(&text) {
                    out.extend(all.into_iter().flatten().map(|m| m.ttlv));
                }
            }
            Some("json") => {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                    continue;
                };
                for step in v["steps"].as_array().into_iter().flatten() {
                    for k in ["request_hex", "response_hex"] {
                        let bytes = step[k].as_str().and_then(unhex);
                        if let Some(t) = bytes
                            .and_then(|b| kmip_server::ttlv::binary::decode(&b, &Default::default()).ok())
                        {
                            out.push(t);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

fn write_set(dir: &Path, set: BTreeSet<Vec<u8>>, max: usize) -> usize {
    std::fs::create_dir_all(dir).expect("corpus directory");
    let all: Vec<_> = set.into_iter().collect();
    let step = all.len().div_ceil(max.max(1)).max(1);
    let mut n = 0;
    for (i, s) in all.iter().enumerate().filter(|(i, _)| i % step == 0) {
        std::fs::write(dir.join(format!("seed-{i:05}")), s).expect("write seed");
        n += 1;
    }
    n
}

/// Writes the seeds into `SEEDS_OUT`.
pub fn write_from_env() {
    let out = PathBuf::from(std::env::var_os("SEEDS_OUT").expect("SEEDS_OUT names the output directory"));
    let vectors = std::env::var_os("SEEDS_VECTORS").map(PathBuf::from);
    let max: usize = std::env::var("FUZZ_MAX_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);

    let own = own_requests();
    let mut from_vectors = Vec::new();
    match &vectors {
        Some(v) if v.is_dir() => from_vectors = vector_messages(v),
        Some(v) => println!(
            "seeds: no KMIP vectors at {} (skipped: own seeds only)",
            v.display()
        ),
        None => {}
    }
    let all: Vec<&Ttlv> = own.iter().chain(&from_vectors).collect();

    let binary: BTreeSet<Vec<u8>> = all.iter().map(|t| encode(t)).collect();
    let requests: BTreeSet<Vec<u8>> = all
        .iter()
        .filter(|t| t.tag == Tag::REQUEST_MESSAGE)
        .map(|t| encode(t))
        .collect();
    let mut text = BTreeSet::new();
    for t in &all {
        let mut x = vec![0u8];
        x.extend(xml::to_xml(t).into_bytes());
        text.insert(x);
        let mut j = vec![1u8];
        j.extend(json::to_json_string(t).into_bytes());
        text.insert(j);
    }
    let counts = [
        ("ttlv_binary", write_set(&out.join("ttlv_binary"), binary, max)),
        (
            "kmip_request",
            write_set(&out.join("kmip_request"), requests, max),
        ),
        ("ttlv_text", write_set(&out.join("ttlv_text"), text, max)),
    ];
    for (name, n) in counts {
        println!(
            "seeds: {name}: {n} ({} own messages, {} from the vectors before sampling)",
            own.len(),
            from_vectors.len()
        );
    }
}
