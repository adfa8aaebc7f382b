#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wangge_io::fuzzing::photo(data));
