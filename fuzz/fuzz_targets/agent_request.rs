//! Fuzz target `agent_request`: see `keyfob::fuzz_entry`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = keyfob::fuzz_entry::agent_request(data) {
        panic!("property broken: {broken}");
    }
});
