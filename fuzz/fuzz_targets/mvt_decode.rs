#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wangge_tiles::mvt::fuzzing::decode(data));
