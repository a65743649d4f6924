//! A small file logger behind the `log` facade.
//!
//! The PKCS#11 module runs inside other programs, so it never writes to their stdout or stderr:
//! lines go to the file the configuration names. The destination can change at each
//! `C_Initialize` (the logger is installed once per process, the file is swapped).
//!
//! Architecture invariant: callers never pass PINs, key bytes or whole requests to a log macro.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

struct FileLogger {
    sink: Mutex<Option<std::fs::File>>,
    stderr: std::sync::atomic::AtomicBool,
}

static LOGGER: FileLogger = FileLogger {
    sink: Mutex::new(None),
    stderr: std::sync::atomic::AtomicBool::new(false),
};

impl log::Log for FileLogger {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::max_level()
    }

    fn log(&self, r: &log::Record<'_>) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let line = format!(
            "{}.{:03} pid={} {:<5} {}: {}\n",
            now.as_secs(),
            now.subsec_millis(),
            std::process::id(),
            r.level(),
            r.target(),
            r.args()
        );
        if let Ok(mut g) = self.sink.lock() {
            if let Some(f) = g.as_mut() {
                let _ = f.write_all(line.as_bytes());
            }
        }
        if self.stderr.load(std::sync::atomic::Ordering::Relaxed) && r.level() <= log::Level::Warn {
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
    }

    fn flush(&self) {
        if let Ok(mut g) = self.sink.lock() {
            if let Some(f) = g.as_mut() {
                let _ = f.flush();
            }
        }
    }
}

/// Points the process's log at `file` (created 0600 if missing) at `level`. Also echoes
/// warnings and errors to stderr when `echo_stderr` is set (the CLI does; the module never does). A log file that
/// cannot be opened disables logging rather than failing the caller.
pub fn init(file: Option<&Path>, level: log::LevelFilter, echo_stderr: bool) {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(level);
    LOGGER
        .stderr
        .store(echo_stderr, std::sync::atomic::Ordering::Relaxed);
    let f = file.and_then(|p| {
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let mut o = std::fs::OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        o.open(p).ok()
    });
    if let Ok(mut g) = LOGGER.sink.lock() {
        *g = f;
    }
}
