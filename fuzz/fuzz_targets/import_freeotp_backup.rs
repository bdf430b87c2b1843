//! An import fuzz target: it fuzzes the import format whose fuzz target name is
//! this binary's name (`keyfob::fuzz_entry::import_target`). Every import target is
//! this same file.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = keyfob::fuzz_entry::import_target(env!("CARGO_BIN_NAME"), data) {
        panic!("property broken: {broken}");
    }
});
