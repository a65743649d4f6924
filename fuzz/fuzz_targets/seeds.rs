//! Not a fuzz target: writes the seed corpora (see `fuzz_support::seeds`) and exits.
#![no_main]
// The init hook exits, so the (empty) fuzz body is unreachable by design.
#![allow(unreachable_code)]
libfuzzer_sys::fuzz_target!(
    init: {
        fuzz_support::seeds::write_from_env();
        std::process::exit(0);
    },
    |_data: &[u8]| {}
);
