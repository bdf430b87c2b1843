//! Fuzz target `qr_image`: see `keyfob::fuzz_entry`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = keyfob::fuzz_entry::qr_image(data) {
        panic!("property broken: {broken}");
    }
});
