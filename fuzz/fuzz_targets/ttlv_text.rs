//! The XML and JSON TTLV readers on arbitrary text (first byte picks the reader), with a
//! read → write → read oracle that keeps the placeholders.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_support::ttlv::text(data));
