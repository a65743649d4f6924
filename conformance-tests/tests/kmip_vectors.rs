//! OASIS KMIP test cases replayed against the server: the KMIP 1.4 and 2.1 mandatory profiles,
//! and the further test case files listed in `kmip-vectors-extra.txt`.
//!
//! Each file runs against a fresh keystore behind a running server (the listener, mutual TLS
//! and dispatcher of `kmip-server`, on 127.0.0.1:0), over one client connection. Files listed in `kmip-vectors-skipped.txt` are
//! not run, each with its reason; every other file of the groups below must pass all of its
//! request/response pairs. The table of pass counts per group and version is printed.

use conformance_tests::kmip_replay::{replay_file, FileResult};
use kmip_server::local::{scratch_keystore, LocalServer};
use kmip_server::server::Limits;
use kmip_server::ttlv::{binary, Ttlv};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const GROUPS: &[&str] = &[
    "SKLC", "SKFF", "AKLC", "OMOS", "AX", "CS-BC", "CS-AC", "CS-RNG", "BL",
];

fn vectors() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/kmip-vectors");
    assert!(p.is_dir(), "the OASIS vectors are expected at {}", p.display());
    p
}

/// `<file> <reason>` lines of a list file, comments and blank lines left out.
fn listed(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (f, why) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            assert!(!why.trim().is_empty(), "listed case {f} has no reason");
            (f.to_string(), why.trim().to_string())
        })
        .collect()
}

fn skipped() -> BTreeMap<String, String> {
    listed(include_str!("../kmip-vectors-skipped.txt"))
}

/// Replays one file against a fresh keystore behind a fresh server, over one connection.
fn run_file(f: &Path, key: &str) -> FileResult {
    let tmp = tempfile::tempdir().unwrap();
    let srv = LocalServer::start(
        Arc::new(scratch_keystore(tmp.path()).expect("a keystore")),
        "kmip",
        Limits::default(),
    )
    .expect("server starts");
    let mut conn = srv.connect().expect("mutual TLS");
    let mut send = |req: &Ttlv| -> Ttlv {
        let answer = conn.send_raw(&binary::encode(req)).expect("an answer");
        binary::decode(&answer, &Default::default()).expect("the answer decodes")
    };
    match replay_file(f, &mut send) {
        Ok(r) => r,
        Err(e) => panic!("{key}: {e}"),
    }
}

/// Test cases beyond the mandatory profiles (`testcases/`, `optional/`) that cover operations
/// the profiles leave out (Derive Key, key wrapping, Import, …). Every listed file must pass.
#[test]
fn oasis_feature_test_cases() {
    let root = vectors();
    let extra = listed(include_str!("../kmip-vectors-extra.txt"));
    let mut failures = Vec::new();
    println!("\n| test case file | covers | pairs passed |");
    println!("|---|---|---:|");
    for (file, covers) in &extra {
        let r = run_file(&root.join(file), file);
        println!("| {file} | {covers} | {}/{} |", r.passed, r.pairs);
        if r.passed != r.pairs {
            failures.push(format!("{file}: {}", r.failure.unwrap_or_default()));
        }
    }
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{} feature test case files failed",
        failures.len()
    );
}

/// Per (version, group): files run, files passed, pairs, pairs passed, files skipped.
type Row = (usize, usize, usize, usize, usize);

fn group_of(file: &str) -> Option<&'static str> {
    GROUPS
        .iter()
        .copied()
        .filter(|g| file.starts_with(&format!("{g}-M-")))
        .max_by_key(|g| g.len())
}

#[test]
fn oasis_mandatory_test_cases() {
    let root = vectors();
    let skip = skipped();
    let mut table: BTreeMap<(String, String), Row> = BTreeMap::new();
    let mut failures = Vec::new();
    for ver in ["v1.4", "v2.1"] {
        let dir = root.join(ver).join("mandatory");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            let Some(group) = group_of(&name) else { continue };
            let row = table.entry((ver.to_string(), group.to_string())).or_default();
            let key = format!("{ver}/mandatory/{name}");
            if skip.contains_key(&key) {
                row.4 += 1;
                continue;
            }
            let r = run_file(&f, &key);
            row.0 += 1;
            row.2 += r.pairs;
            row.3 += r.passed;
            if r.passed == r.pairs {
                row.1 += 1;
            } else {
                failures.push(format!("{key}: {}", r.failure.unwrap_or_default()));
            }
        }
    }
    println!("\n| version | group | files passed | pairs passed | skipped files |");
    println!("|---|---|---:|---:|---:|");
    for ((v, g), (files, fp, pairs, pp, sk)) in &table {
        println!("| {v} | {g} | {fp}/{files} | {pp}/{pairs} | {sk} |");
    }
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty(), "{} test case files failed", failures.len());
}

/// Replays the files named (space-separated, under the vectors directory) in
/// `KMIP_REPLAY_FILES`, for work on a feature: `KMIP_REPLAY_FILES="v1.4/testcases/… …" cargo
/// test -p conformance-tests --test kmip_vectors -- --ignored --nocapture named_files`.
#[test]
#[ignore = "runs the files named in KMIP_REPLAY_FILES"]
fn named_files() {
    let root = vectors();
    let names = std::env::var("KMIP_REPLAY_FILES").unwrap_or_default();
    for file in names.split_whitespace() {
        let r = run_file(&root.join(file), file);
        match r.failure {
            None => println!("PASS {file} {}/{}", r.passed, r.pairs),
            Some(f) => println!("FAIL {file} {}/{}: {f}", r.passed, r.pairs),
        }
    }
}
