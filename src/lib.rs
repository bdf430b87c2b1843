//! keyfob: a portable, offline TOTP/HOTP authenticator.
//!
//! This crate is the core: the account model, code generation, otpauth URIs and
//! the age-encrypted vault. It never prints and holds no terminal code; the
//! `keyfob` binary (CLI and terminal UI) is a thin layer on top.

pub mod account;
pub mod agent;
pub mod bounded;
pub mod clock;
pub mod export;
#[doc(hidden)]
pub mod fuzz_entry;
pub mod import;
pub mod otp;
pub mod qr;
pub mod secret;
pub mod text;
pub mod uri;
pub mod vault;
pub mod verify;

pub use account::{Account, AccountId, Algorithm, Kind};
pub use otp::Code;
pub use secret::Secret;
