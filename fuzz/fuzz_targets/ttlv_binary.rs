//! The binary TTLV decoder on arbitrary bytes, with a decode → encode → decode oracle, and every
//! tree it accepts carried through the XML and JSON encoders and back.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_support::ttlv::binary(data));
