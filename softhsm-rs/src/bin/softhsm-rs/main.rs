//! `softhsm-rs`: the admin command line of the softhsm-rs keystore, the counterpart of SoftHSMv2's
//! `softhsm2-util`.
//!
//! Every command opens the keystore the shared configuration names (the same one the PKCS#11
//! module and the KMIP server use), does its work through [`softhsm::hsm::Hsm`] and exits with
//! 0 (success), 1 (the operation failed; stderr says what to do) or 2 (the command line or its
//! input was wrong).
//!
//! Architecture invariant: no PIN is ever printed or logged, except the PINs `setup` generates,
//! printed once to stdout.
#![forbid(unsafe_code)]

mod error;
mod objects;
mod pin;
mod setup;
mod tokens;

use clap::{Parser, Subcommand};
use error::CliError;
use softhsm::config::Config;
use softhsm::hsm::Hsm;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zeroize::Zeroizing;

/// Appends one formatted line to a command's output buffer.
macro_rules! say {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}
pub(crate) use say;

const MAIN_AFTER_HELP: &str = "\
First start:
  softhsm-rs setup                 create a token with random PINs (shown once) and print
                                   the module path and pkcs11-tool examples

Examples:
  softhsm-rs show-slots
  SOFTHSM_RS_SO_PIN=... SOFTHSM_RS_PIN=... softhsm-rs token init --free --label mytoken
  softhsm-rs token list
  softhsm-rs object list --slot 0 --login
  softhsm-rs --config /etc/softhsm-rs/softhsm-rs.toml check

Configuration: --config PATH, else the file named by $SOFTHSM_RS_CONF, else
~/.config/softhsm-rs/softhsm-rs.toml, else /etc/softhsm-rs/softhsm-rs.toml, else built-in
defaults (keystore in ~/.local/share/softhsm-rs/store.db). The PKCS#11 module and the KMIP
server read the same file, so they all see the same tokens.

Exit status: 0 success, 1 the operation failed (stderr says why and what to do), 2 usage error.
Run `softhsm-rs <COMMAND> --help` for the options of each command.";

/// Administer the softhsm-rs keystore: tokens, PINs and objects (like SoftHSMv2's softhsm2-util).
#[derive(Parser)]
#[command(name = "softhsm-rs", version, arg_required_else_help = true, after_help = MAIN_AFTER_HELP)]
struct Cli {
    /// Configuration file (default: $SOFTHSM_RS_CONF, else the user's, else the system's, else
    /// built-in defaults; see `softhsm-rs --help`)
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// First start: create a token with random PINs (shown once) and show how to use it
    #[command(long_about = setup::LONG_ABOUT, after_help = setup::AFTER_HELP)]
    Setup,
    /// List every slot: the initialised tokens and the free slot for a new one
    #[command(after_help = tokens::SHOW_SLOTS_AFTER_HELP)]
    ShowSlots,
    /// Create, list and delete tokens
    #[command(subcommand, arg_required_else_help = true, after_help = tokens::TOKEN_AFTER_HELP)]
    Token(tokens::TokenCmd),
    /// Inspect the objects (keys, certificates, data) stored in a token
    #[command(subcommand, arg_required_else_help = true, after_help = objects::OBJECT_AFTER_HELP)]
    Object(objects::ObjectCmd),
    /// Check the keystore file for corruption
    #[command(after_help = setup::CHECK_AFTER_HELP)]
    Check,
}

fn load_config(path: Option<&Path>) -> Result<Config, CliError> {
    let loaded = match path {
        Some(p) => Config::from_file(p),
        None => Config::load(),
    };
    loaded.map_err(|e| CliError::Failed {
        msg: e.to_string(),
        hint: Some(
            "fix the file or point --config (or $SOFTHSM_RS_CONF) at a valid one; every setting is \
             optional, an empty file gives the defaults"
                .into(),
        ),
    })
}

/// Opens the keystore the configuration names.
pub(crate) fn open_hsm(config: &Config) -> Result<Hsm, CliError> {
    Hsm::open(config.clone()).map_err(|e| {
        CliError::core(
            format!("cannot open the keystore {}", config.store_path().display()),
            e,
        )
    })
}

fn run(command: Command, config: &Config, out: &mut String) -> Result<(), CliError> {
    match command {
        Command::Setup => setup::setup(config, out),
        Command::ShowSlots => tokens::show_slots(&open_hsm(config)?, out),
        Command::Token(cmd) => tokens::run(cmd, &open_hsm(config)?, out),
        Command::Object(cmd) => objects::run(cmd, &open_hsm(config)?, out),
        Command::Check => setup::check(&open_hsm(config)?, out),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match load_config(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            e.report(None);
            return e.exit_code();
        }
    };
    let level = softhsm::config::log_level(&config.log.level).unwrap_or(log::LevelFilter::Warn);
    softhsm::logging::init(Some(&config.log_path()), level, true);
    // The buffer may hold the PINs `setup` generated: wipe it once printed.
    let mut out = Zeroizing::new(String::new());
    let result = run(cli.command, &config, &mut out);
    // Whatever was produced before a failure is still printed (setup's PINs in particular).
    // A closed stdout (`| head`) is not an error worth reporting.
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            e.report(Some(&config));
            e.exit_code()
        }
    }
}
