#![no_main]
// The PBF reader turns a panic inside osmpbf (a damaged enum, say) into an error naming the
// file: it catches it. libFuzzer's panic hook would abort on caught panics too, so this
// target quietens the hook; a panic that escapes the reader still aborts (libfuzzer-sys
// catches it and aborts), and replaying the input in `tests/fuzz_seeds.rs` shows it.
libfuzzer_sys::fuzz_target!(
    init: std::panic::set_hook(Box::new(|_| {})),
    |data: &[u8]| wangge_io::fuzzing::osm_pbf(data)
);
