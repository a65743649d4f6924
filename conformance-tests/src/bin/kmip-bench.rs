//! softhsm-rs' KMIP server against PyKMIP's server, side by side (a program, not a test).
//!
//! Both servers run as their own processes on 127.0.0.1 with the same development PKI: ours is
//! the release `kmip-server` binary started on a fresh private HOME (its first start makes the
//! keystore, token and certificates), PyKMIP's is `pykmip-server` from the repository's .venv
//! (TLS 1.2 suite, client certificates required, its SQLite database beside ours). This
//! process is the client for both: K threads with a connection each, KMIP 1.2 requests over
//! TLS 1.2, every answer checked, a fixed time per row and server. The table gives ops/s,
//! p50/p99 latency and the ratio ours/PyKMIP.
//!
//! ```text
//! cargo build --release -p kmip-server -p conformance-tests --bin kmip-server --bin kmip-bench
//! target/release/kmip-bench [--seconds S] [--connections 1,8] [--only <text>]
//!     [--ours <kmip-server>] [--python <.venv/bin/python>] [--no-pykmip] [--dir <path>] [--keep]
//! ```
//!
//! Progress goes to stderr, the Markdown table to stdout. Both servers are stopped by PID
//! (SIGTERM, then SIGKILL after 20 s) when the program ends.

#[path = "../bench/kmip_load.rs"]
mod kmip_load;
#[path = "../bench/kmip_servers.rs"]
mod kmip_servers;
#[allow(dead_code)]
#[path = "../bench/report.rs"]
mod report;

use kmip_load::{Fixture, Outcome, Workload};
use kmip_servers::{Pki, Server};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

const USAGE: &str = "\
kmip-bench: softhsm-rs' kmip-server against PyKMIP's pykmip-server, side by side

  --seconds <s>        seconds per row and server (default 4; at most 60)
  --connections <list> client connections per row, comma-separated (default 1,8; each 1..=64)
  --only <text>        run only the workloads whose name contains <text> (case-insensitive)
  --ours <path>        kmip-server binary (default <target>/release/kmip-server, where <target>
                       is $CARGO_TARGET_DIR or <workspace>/target)
  --python <path>      Python with PyKMIP (default <workspace>/.venv/bin/python;
                       scripts/install-deps.sh makes it)
  --no-pykmip          measure softhsm-rs alone
  --dir <path>         where the temporary directory goes (default $TMPDIR or /tmp)
  --keep               keep the temporary directory (keystores, logs)
";

#[derive(Debug)]
struct Args {
    seconds: f64,
    connections: Vec<usize>,
    only: Option<String>,
    ours: PathBuf,
    python: PathBuf,
    pykmip: bool,
    dir: PathBuf,
    keep: bool,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn parse_args() -> Result<Args, String> {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace().join("target"), PathBuf::from);
    let mut a = Args {
        seconds: 4.0,
        connections: vec![1, 8],
        only: None,
        ours: target.join("release/kmip-server"),
        python: workspace().join(".venv/bin/python"),
        pykmip: true,
        dir: std::env::temp_dir(),
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--seconds" => {
                let v = value("--seconds")?;
                a.seconds = v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| (0.1..=60.0).contains(s))
                    .ok_or_else(|| format!("--seconds {v}: a number from 0.1 to 60"))?;
            }
            "--connections" => {
                let v = value("--connections")?;
                a.connections = v
                    .split(',')
                    .map(|k| k.trim().parse::<usize>().ok().filter(|k| (1..=64).contains(k)))
                    .collect::<Option<Vec<_>>>()
                    .filter(|l| !l.is_empty())
                    .ok_or_else(|| format!("--connections {v}: numbers from 1 to 64, comma-separated"))?;
            }
            "--only" => a.only = Some(value("--only")?.to_lowercase()),
            "--ours" => a.ours = PathBuf::from(value("--ours")?),
            "--python" => a.python = PathBuf::from(value("--python")?),
            "--no-pykmip" => a.pykmip = false,
            "--dir" => a.dir = PathBuf::from(value("--dir")?),
            "--keep" => a.keep = true,
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}\n\n{USAGE}")),
        }
    }
    Ok(a)
}

/// One line of the table: one workload at one K on both servers.
struct Row {
    workload: Workload,
    k: usize,
    ours: Outcome,
    theirs: Option<Outcome>,
}

fn rate_cell(o: &Outcome) -> String {
    if o.ops == 0 {
        return "error".to_string();
    }
    let mut s = report::fmt_rate(o.rate());
    if o.errors > 0 {
        let _ = write!(s, " ({} errors)", o.errors);
    }
    s
}

fn ms(v: Option<f64>) -> String {
    match v {
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) if v >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
        None => "–".to_string(),
    }
}

fn table(rows: &[Row], with_pykmip: bool) -> String {
    let mut o = String::new();
    if with_pykmip {
        let _ = writeln!(
            o,
            "| workload | K | softhsm-rs ops/s | p50 ms | p99 ms | PyKMIP ops/s | p50 ms | p99 ms | ours/PyKMIP |"
        );
        let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    } else {
        let _ = writeln!(o, "| workload | K | softhsm-rs ops/s | p50 ms | p99 ms |");
        let _ = writeln!(o, "|---|---:|---:|---:|---:|");
    }
    for r in rows {
        let _ = write!(
            o,
            "| {} | {} | {} | {} | {} |",
            r.workload.name(),
            r.k,
            rate_cell(&r.ours),
            ms(r.ours.percentile_ms(50.0)),
            ms(r.ours.percentile_ms(99.0)),
        );
        if with_pykmip {
            match &r.theirs {
                Some(t) => {
                    let ratio = if r.ours.ops > 0 && t.ops > 0 {
                        format!("{:.1}×", r.ours.rate() / t.rate())
                    } else {
                        "–".to_string()
                    };
                    let _ = write!(
                        o,
                        " {} | {} | {} | {} |",
                        rate_cell(t),
                        ms(t.percentile_ms(50.0)),
                        ms(t.percentile_ms(99.0)),
                        ratio
                    );
                }
                None => o.push_str(" – | – | – | – |"),
            }
        }
        o.push('\n');
    }
    o
}

fn python_versions(python: &Path) -> String {
    std::process::Command::new(python)
        .args([
            "-c",
            "import sys, ssl, importlib.metadata as m; print('PyKMIP', m.version('pykmip'), 'on Python', \
             sys.version.split()[0], 'with', ssl.OPENSSL_VERSION)",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "PyKMIP (version unknown)".to_string())
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("kmip-bench: {e}");
            std::process::exit(2);
        }
    };
    if !args.ours.is_file() {
        eprintln!(
            "kmip-bench: {} not found: cargo build --release -p kmip-server",
            args.ours.display()
        );
        std::process::exit(2);
    }
    let tmp = match tempfile::Builder::new()
        .prefix("kmip-bench.")
        .tempdir_in(&args.dir)
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("kmip-bench: temporary directory in {}: {e}", args.dir.display());
            std::process::exit(2);
        }
    };
    let code = run(&args, tmp.path());
    if args.keep {
        let kept = tmp.keep();
        eprintln!("kept {}", kept.display());
    } else if let Err(e) = tmp.close() {
        eprintln!("kmip-bench: removing the temporary directory: {e}");
    }
    std::process::exit(code);
}

fn run(args: &Args, dir: &Path) -> i32 {
    let started = Instant::now();
    let load_start = report::loadavg();
    eprintln!(
        "starting {} on a fresh HOME in {}",
        args.ours.display(),
        dir.display()
    );
    let (mut ours, pki) = match kmip_servers::start_ours(&args.ours, dir) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("kmip-bench: softhsm-rs kmip-server: {e}");
            return 1;
        }
    };
    eprintln!("softhsm-rs kmip-server (pid {}) on {}", ours.pid(), ours.addr);
    let mut notes = Vec::new();
    let mut theirs: Option<Server> = None;
    let mut pykmip_version = String::new();
    if args.pykmip {
        if !args.python.is_file() {
            notes.push(format!(
                "PyKMIP not measured: {} not found (scripts/install-deps.sh makes the .venv)",
                args.python.display()
            ));
        } else {
            pykmip_version = python_versions(&args.python);
            match kmip_servers::start_pykmip(&args.python, &pki, dir) {
                Ok(s) => {
                    eprintln!("PyKMIP server (pid {}) on {}", s.pid(), s.addr);
                    theirs = Some(s);
                }
                Err(e) => notes.push(format!("PyKMIP not measured: its server did not start: {e}")),
            }
        }
    }
    let fixture = |s: &Server, pki: &Pki| -> Result<Fixture, String> {
        Fixture::make(s.addr, pki).map_err(|e| format!("{}: setting up keys: {e}", s.name))
    };
    let ours_fx = match fixture(&ours, &pki) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("kmip-bench: {e}");
            return 1;
        }
    };
    let theirs_fx = match theirs.as_ref().map(|s| fixture(s, &pki)) {
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => {
            notes.push(format!("PyKMIP not measured: {e}"));
            if let Some(mut s) = theirs.take() {
                s.stop();
            }
            None
        }
        None => None,
    };

    let mut rows = Vec::new();
    for w in Workload::ALL {
        if args
            .only
            .as_ref()
            .is_some_and(|o| !w.name().to_lowercase().contains(o.as_str()))
        {
            continue;
        }
        for &k in &args.connections {
            eprintln!("{} / K={k}: softhsm-rs ({:.1} s)", w.name(), args.seconds);
            let o = kmip_load::run(w, ours.addr, &pki, &ours_fx, k, args.seconds);
            let t = match (&theirs, &theirs_fx) {
                // PyKMIP 0.10's server fails every request on a resumed TLS session: its
                // session loop logs `len(shared_ciphers())`, which is None then.
                (Some(_), Some(_)) if w == Workload::ChurnResumed => {
                    if k == args.connections[0] {
                        notes.push(format!(
                            "PyKMIP, {}: not measured; pykmip-server 0.10 answers every request on a resumed \
                             TLS session with \"Error parsing request message\" (session.py calls len() on \
                             shared_ciphers(), which is None after resumption).",
                            w.name()
                        ));
                    }
                    None
                }
                (Some(s), Some(fx)) => {
                    eprintln!("{} / K={k}: PyKMIP ({:.1} s)", w.name(), args.seconds);
                    Some(kmip_load::run(w, s.addr, &pki, fx, k, args.seconds))
                }
                _ => None,
            };
            for (who, out) in [("softhsm-rs", Some(&o)), ("PyKMIP", t.as_ref())] {
                if let Some(e) = out.and_then(|x| x.first_error.as_ref()) {
                    notes.push(format!(
                        "{who}, {} at K={k}: {} failed request(s); first: {e}",
                        w.name(),
                        out.map_or(0, |x| x.errors)
                    ));
                }
            }
            rows.push(Row {
                workload: w,
                k,
                ours: o,
                theirs: t,
            });
        }
    }

    let with_pykmip = theirs.is_some();
    let ours_stopped = ours.stop();
    let theirs_stopped = theirs.as_mut().map(Server::stop);
    if !ours_stopped {
        notes.push("softhsm-rs kmip-server needed SIGKILL after SIGTERM".into());
    }
    if theirs_stopped == Some(false) {
        notes.push("pykmip-server needed SIGKILL after SIGTERM".into());
    }

    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "**kmip-bench** — CPU: {} ({cores} cores, shared by the servers and the client) · commit {} · {} · \
         {:.1} s per row and server · KMIP 1.2 over TLS 1.2 with client certificates (both servers) · \
         total {:.0} s · load average {} → {}\n",
        report::cpu_model(),
        report::commit(&workspace()),
        report::date_utc(),
        args.seconds,
        started.elapsed().as_secs_f64(),
        load_start,
        report::loadavg()
    );
    println!(
        "softhsm-rs: `{}` (keystore on {})  ",
        args.ours.display(),
        report::filesystem(dir)
    );
    if with_pykmip {
        println!(
            "PyKMIP: {pykmip_version}, `pykmip-server` (TLS1.2 suite, logging at WARNING, SQLite database)\n"
        );
    } else {
        println!();
    }
    print!("{}", table(&rows, with_pykmip));
    println!(
        "\nK = client connections, one thread each. One op is one request except where the \
         workload says otherwise; p50/p99 are per op. Keys are AES-256; the Get key and the \
         Encrypt key are made before the rows run (the Encrypt key Activated), the cycle's keys \
         stay Pre-Active so Destroy needs no Revoke."
    );
    for n in &notes {
        println!("- {n}");
    }
    let failed = rows
        .iter()
        .any(|r| r.ours.ops == 0 || r.theirs.as_ref().is_some_and(|t| t.ops == 0));
    i32::from(failed)
}
