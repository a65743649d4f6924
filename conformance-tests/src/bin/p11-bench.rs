//! Side-by-side benchmark of softhsm-rs and SoftHSMv2 (a program, not a test).
//!
//! Both modules are loaded in this one process through `cryptoki`, each configured in a
//! temporary directory of its own (softhsm-rs with its default PIN KDF, Argon2id). Every workload
//! runs alternately on the two modules for several rounds; the table reports each module's
//! median rate, their ratio, and for the crypto rows the rate of the closest aws-lc-rs call
//! measured in the same rounds (the ceiling for a module built on aws-lc).
//!
//! ```text
//! cargo build --release -p softhsm-pkcs11
//! cargo run --release -p conformance-tests --bin p11-bench -- [--ours <so>] [--softhsm2 <so>]
//!     [--quick] [--json <file>] [--rounds N] [--secs S] [--objects N] [--only <text>]
//!     [--dir <path>] [--keep]
//! ```
//!
//! Progress goes to stderr, the Markdown table to stdout.

#[path = "../bench/modules.rs"]
mod modules;
#[path = "../bench/report.rs"]
mod report;
#[path = "../bench/work.rs"]
mod work;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use modules::{Kind, Module, Phases};
use report::{Meta, Row, Series};
use work::{ModOp, Op, RawKeys, RawOp, Work};

const USAGE: &str = "\
p11-bench: softhsm-rs against SoftHSMv2, side by side

  --ours <path>      softhsm-rs module (default <workspace>/target/release/libsofthsm_pkcs11.so)
  --softhsm2 <path>  SoftHSMv2 module (default /usr/lib/softhsm/libsofthsm2.so)
  --quick            1 round of 0.2 s per module and workload, 500 objects (smoke test)
  --rounds <n>       rounds per workload (default 5)
  --secs <s>         seconds per module per round (default 1.0)
  --objects <n>      objects on the crowded token (default 10000)
  --only <text>      run only the workloads whose name contains <text> (case-insensitive)
  --json <file>      also write the results as JSON
  --dir <path>       where the modules' temporary directories go (default $TMPDIR or /tmp)
  --keep             keep the temporary directories (logs, keystores)
";

struct Args {
    ours: PathBuf,
    theirs: PathBuf,
    rounds: usize,
    secs: f64,
    objects: usize,
    quick: bool,
    only: Option<String>,
    json: Option<PathBuf>,
    dir: PathBuf,
    keep: bool,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        ours: workspace().join("target/release/libsofthsm_pkcs11.so"),
        theirs: PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"),
        rounds: 5,
        secs: 1.0,
        objects: 10_000,
        quick: false,
        only: None,
        json: None,
        dir: std::env::temp_dir(),
        keep: false,
    };
    let (mut rounds, mut secs, mut objects) = (None, None, None);
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--ours" => a.ours = value()?.into(),
            "--softhsm2" => a.theirs = value()?.into(),
            "--quick" => a.quick = true,
            "--rounds" => rounds = Some(value()?.parse().map_err(|e| format!("--rounds: {e}"))?),
            "--secs" => secs = Some(value()?.parse().map_err(|e| format!("--secs: {e}"))?),
            "--objects" => objects = Some(value()?.parse().map_err(|e| format!("--objects: {e}"))?),
            "--only" => a.only = Some(value()?.to_lowercase()),
            "--json" => a.json = Some(value()?.into()),
            "--dir" => a.dir = value()?.into(),
            "--keep" => a.keep = true,
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}\n\n{USAGE}")),
        }
    }
    if a.quick {
        (a.rounds, a.secs, a.objects) = (1, 0.2, 500);
    }
    a.rounds = rounds.unwrap_or(a.rounds).max(1);
    a.secs = secs.unwrap_or(a.secs).max(0.01);
    a.objects = objects.unwrap_or(a.objects).max(1);
    Ok(a)
}

/// A row to measure.
#[derive(Debug, Clone)]
struct Spec {
    workload: String,
    work: Option<Work>,
    token_key: bool,
    threads: usize,
    /// Measure the aws-lc-rs ceiling (rows with a token key reuse their session row's).
    raw: bool,
    bytes: Option<usize>,
    min_ops: u64,
}

fn specs(objects: usize) -> Vec<Spec> {
    let mut v = Vec::new();
    let crypto: [(&str, Work, Option<usize>, bool); 6] = [
        (
            "RSA-2048 sign CKM_SHA256_RSA_PKCS, 32 B",
            Work::RsaSign,
            None,
            true,
        ),
        (
            "RSA-2048 decrypt CKM_RSA_PKCS_OAEP (SHA-1, MGF1-SHA-1)",
            Work::RsaOaep,
            None,
            false,
        ),
        (
            "ECDSA P-256 sign CKM_ECDSA, 32-byte digest",
            Work::Ecdsa,
            None,
            true,
        ),
        ("AES-256-GCM encrypt 4 KiB", Work::Gcm(4096), Some(4096), true),
        (
            "AES-256-GCM encrypt 1 MiB",
            Work::Gcm(1 << 20),
            Some(1 << 20),
            false,
        ),
        ("HMAC-SHA256 4 KiB", Work::Hmac, Some(work::HMAC_LEN), true),
    ];
    for (name, w, bytes, with_token_row) in crypto {
        for token_key in [false, true] {
            if token_key && !with_token_row {
                continue;
            }
            for threads in [1, 2] {
                v.push(Spec {
                    workload: if token_key {
                        format!("{name} (token key)")
                    } else {
                        name.to_string()
                    },
                    work: Some(w),
                    token_key,
                    threads,
                    raw: !token_key,
                    bytes,
                    min_ops: 2,
                });
            }
        }
    }
    let single = |workload: &str, work: Option<Work>, raw: bool, min_ops: u64| Spec {
        workload: workload.to_string(),
        work,
        token_key: false,
        threads: 1,
        raw,
        bytes: None,
        min_ops,
    };
    v.push(single(
        "C_GenerateKeyPair RSA-2048 (session objects)",
        Some(Work::GenRsa),
        true,
        3,
    ));
    v.push(single(
        "C_GenerateKeyPair EC P-256 (session objects)",
        Some(Work::GenEc),
        true,
        3,
    ));
    v.push(single(
        "C_GenerateKey AES-256 (token object)",
        Some(Work::GenAesToken),
        false,
        3,
    ));
    v.push(Spec {
        threads: 2,
        ..single(
            "C_GenerateKey AES-256 (token object)",
            Some(Work::GenAesToken),
            false,
            3,
        )
    });
    v.push(single(
        &format!("C_FindObjects by label, {objects} token objects"),
        Some(Work::Find),
        false,
        3,
    ));
    v.push(single(
        &format!("C_Initialize+C_OpenSession+C_Login cycle, {objects} token objects"),
        None,
        false,
        2,
    ));
    v
}

/// Who runs a measurement.
#[derive(Debug, Clone, Copy)]
enum Who {
    Module(usize),
    Raw,
}

struct Bench {
    mods: Vec<Module>,
    raw: RawKeys,
    objects: usize,
}

impl Bench {
    fn measure(&self, who: Who, spec: &Spec, work: Work, dur: Duration, min: u64) -> Result<f64, String> {
        let ops: Vec<Box<dyn Op + '_>> = match who {
            Who::Module(i) => {
                let m = &self.mods[i];
                let slot = if work == Work::Find {
                    m.crowded.ok_or("the crowded token was not made")?
                } else {
                    m.slot
                };
                (0..spec.threads)
                    .map(|_| {
                        let s = m.session(slot)?;
                        Ok(
                            Box::new(ModOp::new(s, work, &m.keys, spec.token_key, self.objects))
                                as Box<dyn Op>,
                        )
                    })
                    .collect::<Result<_, String>>()?
            }
            Who::Raw => (0..spec.threads)
                .map(|_| Box::new(RawOp::new(&self.raw, work)) as Box<dyn Op>)
                .collect(),
        };
        work::run(ops, dur, min).map(|s| s.ops_per_sec)
    }
}

fn record(series: &mut Series, r: Result<f64, String>) {
    match r {
        Ok(v) => series.samples.push(v),
        Err(e) => {
            eprintln!("    error: {e}");
            series.error.get_or_insert(e);
        }
    }
}

/// Module order of round `r`: alternated so that neither module always runs first.
fn order(r: usize) -> [usize; 2] {
    if r % 2 == 0 {
        [0, 1]
    } else {
        [1, 0]
    }
}

fn run_row(b: &Bench, spec: &Spec, args: &Args, warm: Duration, dur: Duration) -> Row {
    let mut row = Row {
        workload: spec.workload.clone(),
        threads: spec.threads,
        bytes: spec.bytes,
        raw: spec.raw.then(Series::default),
        ..Row::default()
    };
    let Some(work) = spec.work else {
        return row;
    };
    // Warm-up (discarded): caches, lazily built state, the first use of each key.
    let mut participants: Vec<Who> = vec![Who::Module(0), Who::Module(1)];
    if spec.raw {
        participants.push(Who::Raw);
    }
    let mut failed = [false; 3];
    for (i, who) in participants.iter().enumerate() {
        if let Err(e) = b.measure(*who, spec, work, warm, 1) {
            eprintln!("    warm-up error ({who:?}): {e}");
            failed[i] = true;
            let s = match who {
                Who::Module(0) => &mut row.ours,
                Who::Module(_) => &mut row.theirs,
                Who::Raw => row.raw.get_or_insert_with(Series::default),
            };
            s.error = Some(e);
        }
    }
    for r in 0..args.rounds {
        let mut line = format!("    round {}/{}:", r + 1, args.rounds);
        for i in order(r) {
            if failed[i] {
                continue;
            }
            let res = b.measure(Who::Module(i), spec, work, dur, spec.min_ops);
            if let Ok(v) = &res {
                line.push_str(&format!(" {} {}/s", b.mods[i].name(), report::fmt_rate(*v)));
            }
            record(if i == 0 { &mut row.ours } else { &mut row.theirs }, res);
        }
        if spec.raw && !failed[2] {
            let res = b.measure(Who::Raw, spec, work, dur, spec.min_ops);
            if let Ok(v) = &res {
                line.push_str(&format!(" aws-lc-rs {}/s", report::fmt_rate(*v)));
            }
            if let Some(s) = row.raw.as_mut() {
                record(s, res);
            }
        }
        eprintln!("{line}");
    }
    row
}

/// The initialisation row: the modules are finalised first (this row comes last).
fn run_init_row(b: &mut Bench, spec: &Spec, args: &Args, dur: Duration) -> (Row, [Phases; 2]) {
    let mut row = Row {
        workload: spec.workload.clone(),
        threads: 1,
        ..Row::default()
    };
    let mut phases = [Phases::default(); 2];
    let mut failed = [false; 2];
    for (i, m) in b.mods.iter_mut().enumerate() {
        let r = m
            .finalize()
            .and_then(|_| modules::init_cycles(m, Duration::ZERO, 1));
        if let Err(e) = r {
            eprintln!("    warm-up error ({}): {e}", m.name());
            failed[i] = true;
            if i == 0 { &mut row.ours } else { &mut row.theirs }.error = Some(e);
        }
    }
    for r in 0..args.rounds {
        let mut line = format!("    round {}/{}:", r + 1, args.rounds);
        for i in order(r) {
            if failed[i] {
                continue;
            }
            let res = modules::init_cycles(&b.mods[i], dur, spec.min_ops).map(|(rate, ph)| {
                let p = &mut phases[i];
                p.cycles += ph.cycles;
                p.initialize += ph.initialize;
                p.find_slot += ph.find_slot;
                p.open += ph.open;
                p.login += ph.login;
                p.teardown += ph.teardown;
                rate
            });
            if let Ok(v) = &res {
                line.push_str(&format!(" {} {}/s", b.mods[i].name(), report::fmt_rate(*v)));
            }
            record(if i == 0 { &mut row.ours } else { &mut row.theirs }, res);
        }
        eprintln!("{line}");
    }
    (row, phases)
}

fn phase_note(name: &str, p: &Phases) -> String {
    let n = p.cycles.max(1) as f64 / 1e3;
    format!(
        "{name}: C_Initialize {:.2} ms, C_GetSlotList+C_GetTokenInfo {:.3} ms, C_OpenSession {:.3} ms, \
         C_Login {:.2} ms, C_Logout+C_CloseSession+C_Finalize {:.2} ms",
        p.initialize / n,
        p.find_slot / n,
        p.open / n,
        p.login / n,
        p.teardown / n
    )
}

fn main() {
    if let Err(e) = real_main() {
        eprintln!("p11-bench: {e}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<(), String> {
    let started = Instant::now();
    let args = parse_args()?;
    // What the machine and the tree looked like when the run began (others may commit meanwhile).
    let start = Start {
        at: started,
        load: report::loadavg(),
        commit: report::commit(&workspace()),
        date: report::date_utc(),
    };
    for p in [&args.ours, &args.theirs] {
        if !p.exists() {
            return Err(format!("module {} not found", p.display()));
        }
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let base = args
        .dir
        .join(format!("p11-bench-{}-{nanos:08x}", std::process::id()));
    // Set before any module is loaded, while this process has one thread.
    modules::configure(&base)?;
    eprintln!("p11-bench: modules' directories under {}", base.display());

    let result = bench(&args, &base, start);
    if args.keep {
        eprintln!("p11-bench: kept {}", base.display());
    } else {
        let _ = std::fs::remove_dir_all(&base);
    }
    result
}

/// Facts taken when the run starts.
struct Start {
    at: Instant,
    load: String,
    commit: String,
    date: String,
}

fn bench(args: &Args, base: &Path, start: Start) -> Result<(), String> {
    let dur = Duration::from_secs_f64(args.secs);
    let warm = Duration::from_secs_f64((args.secs / 4.0).min(0.25));
    let mut all = specs(args.objects);
    if let Some(f) = &args.only {
        all.retain(|s| s.workload.to_lowercase().contains(f));
    }
    let needs_crowded = all.iter().any(|s| s.work.is_none() || s.work == Some(Work::Find));

    eprintln!("p11-bench: loading modules and making keys");
    let mut mods = Vec::new();
    for (kind, path) in [(Kind::Ours, &args.ours), (Kind::SoftHsm2, &args.theirs)] {
        mods.push(Module::load(kind, path)?);
    }
    let raw = RawKeys::new()?;
    let mut b = Bench {
        mods,
        raw,
        objects: args.objects,
    };

    let mut rows: Vec<Row> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut crowded_done = false;
    for (n, spec) in all.iter().enumerate() {
        if needs_crowded && !crowded_done && (spec.work.is_none() || spec.work == Some(Work::Find)) {
            eprintln!(
                "p11-bench: creating {} token objects in each module",
                args.objects
            );
            for m in &mut b.mods {
                let t = Instant::now();
                m.fill_crowded(args.objects)?;
                notes.push(format!(
                    "set-up: {} created {} private token data objects in {:.1} s ({:.0}/s, one \
                     C_CreateObject each).",
                    m.name(),
                    args.objects,
                    t.elapsed().as_secs_f64(),
                    args.objects as f64 / t.elapsed().as_secs_f64()
                ));
            }
            crowded_done = true;
        }
        eprintln!(
            "[{}/{}] {} ({} thread{})",
            n + 1,
            all.len(),
            spec.workload,
            spec.threads,
            if spec.threads == 1 { "" } else { "s" }
        );
        if spec.work.is_some() {
            let mut row = run_row(&b, spec, args, warm, dur);
            if spec.token_key {
                // The ceiling does not depend on where the module keeps the key.
                row.raw = rows
                    .iter()
                    .find(|r| {
                        r.threads == row.threads && row.workload.starts_with(&format!("{} (", r.workload))
                    })
                    .and_then(|r| r.raw.clone());
            }
            rows.push(row);
        } else {
            let (row, phases) = run_init_row(&mut b, spec, args, dur);
            rows.push(row);
            notes.push(format!(
                "init cycle, mean per cycle: {}; {}.",
                phase_note("softhsm-rs", &phases[0]),
                phase_note("SoftHSMv2", &phases[1])
            ));
        }
    }

    notes.extend(
        [
            "ratio = softhsm-rs / SoftHSMv2 (above 1: softhsm-rs is faster); ours/raw = softhsm-rs / the \
             closest aws-lc-rs call in this process; every figure is the median of the rounds.",
            "Each operation goes through cryptoki's one-shot calls: C_xInit, a length query (NULL output) \
             and C_x. Keys are session objects (CKA_TOKEN=false) unless the row says token key/object.",
            "2 threads: one session per thread on the same key, both released together; the rate is \
             the sum of the threads' rates.",
            "Rows marked (token key) use the same key kind stored as a token object (CKA_TOKEN=true); \
             their aws-lc-rs column repeats the session row's figure.",
            "OAEP uses SHA-1 and MGF1-SHA-1 with no label because SoftHSMv2 supports no other OAEP hash.",
            "GCM: 12-byte IV (a new one per operation), no AAD, 16-byte tag; MB/s counts plaintext bytes.",
        ]
        .map(String::from),
    );
    let mut ceilings: Vec<String> = Vec::new();
    for w in [
        Work::RsaSign,
        Work::RsaOaep,
        Work::Ecdsa,
        Work::Gcm(0),
        Work::Hmac,
        Work::GenRsa,
        Work::GenEc,
    ] {
        if let Some(c) = work::raw_call(w) {
            ceilings.push(c.to_string());
        }
    }
    notes.push(format!(
        "aws-lc-rs ceilings: {} (CKM_ECDSA signs a digest, so the ECDSA ceiling signs a prehashed \
         digest too).",
        ceilings.join("; ")
    ));
    notes.push(
        "C_GenerateKey AES-256 (token object): every key is durable (one committed write each); they are \
         destroyed after each round, outside the timing."
            .to_string(),
    );
    notes.push(format!(
        "C_FindObjects: a token of {} private data objects (CKA_LABEL distinct); the template is CKA_LABEL \
         alone and matches one; one op = C_FindObjectsInit + C_FindObjects + C_FindObjectsFinal.",
        args.objects
    ));
    notes.push(
        "Init cycle: C_Initialize, C_GetSlotList + C_GetTokenInfo (the token found by label), \
         C_OpenSession (R/O), C_Login(USER), C_Logout, C_CloseSession, \
         C_Finalize, repeated in this process on the loaded library (no dlopen); softhsm-rs logs in with \
         its default PIN KDF (Argon2id)."
            .to_string(),
    );

    let meta = Meta {
        cpu: report::cpu_model(),
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        commit: start.commit,
        date: start.date,
        ours: format!("{} — {}", b.mods[0].path.display(), b.mods[0].info),
        theirs: format!("{} — {}", b.mods[1].path.display(), b.mods[1].info),
        rounds: args.rounds,
        secs: args.secs,
        filesystem: report::filesystem(base),
        total_secs: start.at.elapsed().as_secs_f64(),
        load: (start.load, report::loadavg()),
    };
    print!("{}", report::markdown(&meta, &rows, &notes));
    if let Some(path) = &args.json {
        std::fs::write(path, report::json(&meta, &rows, &notes))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("p11-bench: JSON written to {}", path.display());
    }
    if args.quick {
        eprintln!("p11-bench: --quick run: figures are indicative only");
    }
    Ok(())
}
