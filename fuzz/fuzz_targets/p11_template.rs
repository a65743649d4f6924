//! The PKCS#11 module's template reader (`CK_ATTRIBUTE` arrays, one nested level) on
//! fuzz-built arrays, then the core's template normalisation and object schema checks.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_support::p11::template(data));
