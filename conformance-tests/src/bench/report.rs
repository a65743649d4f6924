//! Results: the Markdown table and the JSON file.

use std::fmt::Write as _;
use std::path::Path;

/// Per-round rates of one participant in one row.
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub samples: Vec<f64>,
    pub error: Option<String>,
}

impl Series {
    pub fn median(&self) -> Option<f64> {
        if self.error.is_some() || self.samples.is_empty() {
            return None;
        }
        let mut v = self.samples.clone();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        Some(if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        })
    }
}

/// One line of the table.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub workload: String,
    pub threads: usize,
    pub ours: Series,
    pub theirs: Series,
    /// The aws-lc-rs ceiling, when the row has one.
    pub raw: Option<Series>,
    /// Bytes processed per operation (MB/s is reported as well).
    pub bytes: Option<usize>,
}

impl Row {
    pub fn ratio(&self) -> Option<f64> {
        Some(self.ours.median()? / self.theirs.median()?)
    }

    pub fn ours_over_raw(&self) -> Option<f64> {
        Some(self.ours.median()? / self.raw.as_ref()?.median()?)
    }
}

/// Facts about the run printed above the table.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub cpu: String,
    pub cores: usize,
    pub commit: String,
    pub date: String,
    pub ours: String,
    pub theirs: String,
    pub rounds: usize,
    pub secs: f64,
    pub filesystem: String,
    pub total_secs: f64,
    /// 1-minute load average at the start and at the end of the run.
    pub load: (String, String),
}

/// Rates in a compact form: 3 significant digits, thousands separated.
pub fn fmt_rate(v: f64) -> String {
    if v >= 1000.0 {
        let s = format!("{:.0}", v);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn cell(s: &Series, bytes: Option<usize>) -> String {
    match (s.median(), &s.error) {
        (_, Some(_)) => "error".to_string(),
        (None, None) => "–".to_string(),
        (Some(m), None) => match bytes {
            Some(b) => format!("{} ({:.0} MB/s)", fmt_rate(m), m * b as f64 / 1e6),
            None => fmt_rate(m),
        },
    }
}

fn ratio(r: Option<f64>) -> String {
    r.map_or("–".to_string(), |r| format!("{r:.2}×"))
}

pub fn markdown(meta: &Meta, rows: &[Row], notes: &[String]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "**p11-bench** — CPU: {} ({} cores) · commit {} · {} · {} rounds × {:.1} s per module · \
         store on {} · total {:.0} s · load average {} → {}\n",
        meta.cpu,
        meta.cores,
        meta.commit,
        meta.date,
        meta.rounds,
        meta.secs,
        meta.filesystem,
        meta.total_secs,
        meta.load.0,
        meta.load.1
    );
    let _ = writeln!(o, "softhsm-rs: {}  \nSoftHSMv2: {}\n", meta.ours, meta.theirs);
    let _ = writeln!(
        o,
        "| workload | threads | softhsm-rs ops/s | SoftHSMv2 ops/s | ratio | aws-lc-rs ops/s | ours/raw |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.workload,
            r.threads,
            cell(&r.ours, r.bytes),
            cell(&r.theirs, r.bytes),
            ratio(r.ratio()),
            r.raw.as_ref().map_or("–".to_string(), |s| cell(s, r.bytes)),
            ratio(r.ours_over_raw()),
        );
    }
    let errors: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            [("softhsm-rs", &r.ours), ("SoftHSMv2", &r.theirs)]
                .into_iter()
                .chain(r.raw.iter().map(|s| ("aws-lc-rs", s)))
                .filter_map(|(who, s)| {
                    s.error
                        .as_ref()
                        .map(|e| format!("error: {} / {} thread(s) / {who}: {e}", r.workload, r.threads))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    if !notes.is_empty() || !errors.is_empty() {
        o.push('\n');
    }
    for n in notes.iter().chain(errors.iter()) {
        let _ = writeln!(o, "- {n}");
    }
    o
}

/// JSON string literal.
fn js(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn jnum(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => "null".to_string(),
    }
}

fn jseries(s: &Series) -> String {
    let samples: Vec<String> = s.samples.iter().map(|v| jnum(Some(*v))).collect();
    format!(
        "{{\"median_ops_per_sec\": {}, \"samples\": [{}], \"error\": {}}}",
        jnum(s.median()),
        samples.join(", "),
        s.error.as_deref().map_or("null".to_string(), js)
    )
}

pub fn json(meta: &Meta, rows: &[Row], notes: &[String]) -> String {
    let mut o = String::from("{\n  \"meta\": {\n");
    let fields = [
        ("cpu", js(&meta.cpu)),
        ("cores", meta.cores.to_string()),
        ("commit", js(&meta.commit)),
        ("date", js(&meta.date)),
        ("softhsm_rs", js(&meta.ours)),
        ("softhsm2", js(&meta.theirs)),
        ("rounds", meta.rounds.to_string()),
        ("seconds_per_round", jnum(Some(meta.secs))),
        ("filesystem", js(&meta.filesystem)),
        ("total_seconds", jnum(Some(meta.total_secs))),
        ("load_average_start", js(&meta.load.0)),
        ("load_average_end", js(&meta.load.1)),
    ];
    let fields: Vec<String> = fields.iter().map(|(k, v)| format!("    \"{k}\": {v}")).collect();
    o.push_str(&fields.join(",\n"));
    o.push_str("\n  },\n  \"rows\": [\n");
    let rows: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "    {{\"workload\": {}, \"threads\": {}, \"bytes_per_op\": {}, \"softhsm_rs\": {}, \
                 \"softhsm2\": {}, \"aws_lc_rs\": {}, \"ratio\": {}, \"ours_over_raw\": {}}}",
                js(&r.workload),
                r.threads,
                r.bytes.map_or("null".to_string(), |b| b.to_string()),
                jseries(&r.ours),
                jseries(&r.theirs),
                r.raw.as_ref().map_or("null".to_string(), jseries),
                jnum(r.ratio()),
                jnum(r.ours_over_raw())
            )
        })
        .collect();
    o.push_str(&rows.join(",\n"));
    o.push_str("\n  ],\n  \"notes\": [");
    let notes: Vec<String> = notes.iter().map(|n| js(n)).collect();
    o.push_str(&notes.join(", "));
    o.push_str("]\n}\n");
    o
}

/// The 1-minute load average (other work on the machine skews every figure).
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

/// CPU model from /proc/cpuinfo.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// `git rev-parse --short HEAD`, with `-dirty` when the work tree has changes.
pub fn commit(workspace: &Path) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(workspace)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(c) if !c.is_empty() => {
            let dirty =
                git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{c}-dirty")
            } else {
                c
            }
        }
        _ => "unknown".to_string(),
    }
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC` (from `date`; seconds since the epoch if
/// that fails).
pub fn date_utc() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            format!("unix time {secs}")
        })
}

/// Type and device of the file system holding `path` (the longest matching mount point).
pub fn filesystem(path: &Path) -> String {
    let Ok(mounts) = std::fs::read_to_string("/proc/mounts") else {
        return "unknown".to_string();
    };
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    mounts
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 3 && path.starts_with(f[1])).then(|| (f[1].len(), format!("{} ({})", f[2], f[0])))
        })
        .max_by_key(|(n, _)| *n)
        .map_or("unknown".to_string(), |(_, s)| s)
}
