//! The core of `keyfob agent`: a process that unlocks the vault once and answers
//! codes and the account list over a Unix socket, the way ssh-agent serves keys.
//!
//! This module holds what the agent and its clients must agree on and what can be
//! checked without a terminal: the versioned, length-prefixed [`protocol`] (whose
//! request parser is fuzzed) and, on Unix, where the [`socket`] lives, how its
//! directory is checked and how a peer's uid is read. The server loop and the
//! client live in the binary (`src/cli/agent.rs`).

pub mod protocol;
#[cfg(unix)]
pub mod socket;

use std::path::PathBuf;

pub use protocol::{AccountSummary, CodeReply, Request, Response, Status};

/// Errors of the agent's protocol and socket. None of them carries a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// A message's length prefix is larger than the protocol allows.
    #[error("message of {len} bytes is longer than the {max} bytes allowed")]
    TooLarge {
        /// The length announced.
        len: u64,
        /// The largest length accepted.
        max: u64,
    },
    /// The connection ended inside a message (or before its length prefix).
    #[error("the message is truncated")]
    Truncated,
    /// The bytes are not a message of this protocol.
    #[error("malformed message (not a keyfob agent message: {problem} at byte {column})")]
    Malformed {
        /// What kind of problem the parser met (syntax, data, end of input).
        problem: &'static str,
        /// Where, counted from 1 (0 when unknown).
        column: usize,
    },
    /// A request field is out of bounds.
    #[error("the request's '{field}' is too long ({len} bytes, at most {max})")]
    FieldTooLong {
        /// The field's name.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The message is of another protocol version.
    #[error(
        "agent protocol version '{found}' is not supported (this keyfob speaks version '{}')",
        protocol::VERSION
    )]
    Version {
        /// The version in the message.
        found: u64,
    },
    /// Reading or writing the socket failed.
    #[error("agent socket i/o failed")]
    Io {
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Neither `XDG_RUNTIME_DIR` nor a temp directory gives a place for the socket.
    #[error(
        "no directory for the agent socket (XDG_RUNTIME_DIR is unset and there is no temp directory)"
    )]
    NoRuntimeDir,
    /// The socket directory could not be created or read.
    #[error("could not use the agent directory '{}'", path.display())]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The socket directory is a symbolic link or not a directory.
    #[error("the agent directory '{}' is not a directory (a symbolic link or a file is there)", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// The socket directory belongs to another user.
    #[error("the agent directory '{}' belongs to uid '{owner}', not to uid '{uid}'", path.display())]
    DirNotOwned {
        /// The directory.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// This process's effective uid.
        uid: u32,
    },
    /// The socket directory is open to group or others.
    #[error("the agent directory '{}' is open to other users (mode '{mode:o}', expected '700')", path.display())]
    DirOpen {
        /// The directory.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The socket path does not fit in a Unix socket address.
    #[error("the agent socket path '{}' is longer than a Unix socket address allows", path.display())]
    PathTooLong {
        /// The path.
        path: PathBuf,
    },
    /// The process at the other end runs as another user.
    #[error("refused a connection from uid '{peer}': the agent serves only uid '{uid}'")]
    PeerRefused {
        /// The peer's uid.
        peer: u32,
        /// The uid served.
        uid: u32,
    },
    /// The peer's credentials could not be read.
    #[error("could not read the credentials of the process at the other end of the socket")]
    PeerUnknown {
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
