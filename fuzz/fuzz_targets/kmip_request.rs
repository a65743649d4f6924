//! Whole KMIP request messages (binary TTLV) dispatched against one keystore per process; the
//! answer must be a decodable Response Message.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_support::kmip::request(data));
