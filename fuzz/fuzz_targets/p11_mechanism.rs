//! The PKCS#11 module's mechanism-parameter reader on fuzz-built `CK_MECHANISM`s, then the
//! read mechanism started against real keys of a session.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_support::p11::mechanism(data));
