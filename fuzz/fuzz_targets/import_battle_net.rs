//! Fuzz target `import_battle_net`: see `keyfob::fuzz_entry`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(broken) = keyfob::fuzz_entry::import(keyfob::import::Format::BattleNet, data) {
        panic!("property broken: {broken}");
    }
});
