//! Secrets stay secret (issue 5): a broad workload through both doors and the admin CLI with
//! logging at `trace`, then every log line, every captured stdout/stderr, every PKCS#11 error
//! string and every KMIP Result Message is searched for every PIN, token key and key value the
//! run used — raw, in hex (both cases), in base64 and as a `Debug` byte list — and the keystore
//! file with its `-wal` and `-shm` is searched for them too. softhsm-rs only; not part of the
//! SoftHSMv2-differential suite.
//!
//! The workload lives in `secrets_workload/` (one file per door); this file sets the run up
//! and scans.

mod secrets_workload;

use conformance_tests::harness::{self, note};
use conformance_tests::secrets::{self, Hit};
use secrets_workload::{Run, KMIP_USER_PIN, P11_LABEL, P11_USER_PIN_FINAL};
use std::path::{Path, PathBuf};

/// Every file under `dir` a process of the run wrote as a log or an output: everything except
/// the keystore, its SQLite sidecar files, the configuration, PIN files and TLS material
/// (those hold secrets or wrapped keys by design and are checked as the store, or not at all).
fn outputs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().map(Result::unwrap) {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if p.is_dir() {
                if name != "certs" {
                    todo.push(p);
                }
            } else if !(name.contains(".db") || name.ends_with(".pin") || name.ends_with(".toml")) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn no_pin_token_key_or_key_value_reaches_a_log_an_error_or_the_store_in_the_clear() {
    if harness::is_softhsm2() {
        note("SKIP(softhsm-rs only): secrets_in_logs: checks softhsm-rs's own logs and keystore");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = dir.join("store.db");
    let conf = dir.join("softhsm-rs.toml");
    std::fs::write(
        &conf,
        format!(
            "[store]\npath = \"{}\"\n\n[log]\nfile = \"{}\"\nlevel = \"trace\"\n\n\
             [pin]\nkdf_iterations = 1000\nmax_failures = 10\n",
            db.display(),
            dir.join("softhsm-rs.log").display()
        ),
    )
    .unwrap();
    // The harness loads the module with this configuration and writes none of its own.
    std::env::set_var("SOFTHSM_RS_CONF", &conf);
    std::env::set_var(harness::ENV_DIR, dir);

    let mut run = Run::new(dir, &conf);
    run.cli();
    run.pkcs11();
    run.kmip();

    // The token keys, from the keystore's documented format and the final user PINs.
    let keys = secrets::token_keys(
        &db,
        &[
            (P11_LABEL, P11_USER_PIN_FINAL.as_bytes()),
            (secrets_workload::KMIP_LABEL, KMIP_USER_PIN.as_bytes()),
        ],
    );
    assert_eq!(keys.len(), 2, "both tokens' keys are recomputed");
    for (label, k) in &keys {
        run.secrets.add(format!("token key of {label}"), k);
    }
    let Run {
        secrets,
        errors,
        public,
        ..
    } = run;

    // Logs, captured outputs, error strings.
    let mut hits: Vec<Hit> = Vec::new();
    let mut log_bytes = 0usize;
    let files = outputs(dir);
    let mut all_logs = Vec::new();
    for f in &files {
        let (h, n) = secrets.scan_file(f);
        hits.extend(h);
        log_bytes += n;
        all_logs.extend(std::fs::read(f).unwrap());
    }
    let mut error_bytes = 0usize;
    for (i, e) in errors.iter().enumerate() {
        hits.extend(secrets.scan(&format!("error string #{i}: {e}"), e.as_bytes()));
        error_bytes += e.len();
    }
    // The scan reads what the run wrote: the log holds trace lines of both doors, and the
    // labels (not secret) the workload chose.
    let log = std::fs::read_to_string(dir.join("softhsm-rs.log")).unwrap();
    assert!(
        log.contains("TRACE") && log.contains("DEBUG"),
        "the log is at trace level"
    );
    for marker in [P11_LABEL, secrets_workload::KMIP_LABEL] {
        assert!(
            secrets::contains(&all_logs, marker.as_bytes()),
            "{marker} is in no output: the scan would not see what the run logs"
        );
    }

    // The keystore file, its WAL and shared-memory file.
    let mut store_bytes = 0usize;
    let mut store_files = 0usize;
    let mut store_all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let p = secrets::sidecar(&db, suffix);
        if p.exists() {
            let (h, n) = secrets.scan_file(&p);
            hits.extend(h);
            store_bytes += n;
            store_files += 1;
            store_all.extend(std::fs::read(&p).unwrap());
        }
    }
    // The store scan can fail: public values, stored readable by design, are found by it.
    for (what, v) in &public {
        assert!(
            secrets::contains(&store_all, v),
            "{what} (public, stored in the clear) is not found: the store scan is blind"
        );
    }

    note(&format!(
        "secrets: {} secrets ({} PINs), {} output files ({log_bytes} bytes), {} error strings \
         ({error_bytes} bytes), {store_files} store files ({store_bytes} bytes), {} public values \
         found in the store, hits {}",
        secrets.len(),
        secrets.iter().filter(|s| s.name.starts_with("PIN")).count(),
        files.len(),
        errors.len(),
        public.len(),
        hits.len()
    ));
    if std::env::var_os("P11_KEEP_TMP").is_some() {
        note(&format!("secrets: run directory kept: {}", tmp.keep().display()));
    }
    assert!(hits.is_empty(), "secrets found: {hits:#?}");
}
