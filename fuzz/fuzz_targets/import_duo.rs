//! Fuzz target `import_duo`: see `keyfob::fuzz_entry`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = keyfob::fuzz_entry::import(keyfob::import::Format::Duo, data) {
        panic!("property broken: {broken}");
    }
});
