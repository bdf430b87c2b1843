//! The agent's wire protocol: small, versioned JSON messages, each sent as a 4-byte
//! big-endian length followed by that many bytes.
//!
//! A request is `{"v": 1, "request": "status"}` (or `"list"`, `"lock"`, `"stop"`)
//! or `{"v": 1, "request": {"code": {"query": "…", "at": 59}}}`: the agent's status,
//! the account list, one code, or to lock or stop; nothing in the protocol can ask
//! for a secret or a URI, and unknown requests or fields are refused. A reply is
//! `{"v": 1, "reply": {"kind": …}}`. Lengths are
//! checked before anything is allocated, and a request that is malformed, of
//! another version or out of bounds is an [`AgentError`], never a panic (the
//! `agent_request` fuzz target runs [`read_request`] on arbitrary bytes).

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use super::AgentError;
use crate::account::{Account, AccountId, Algorithm, Kind};

/// Protocol version spoken (and the only one accepted).
pub const VERSION: u64 = 1;
/// Largest request accepted, in bytes.
pub const MAX_REQUEST: u32 = 16 * 1024;
/// Largest reply accepted, in bytes (the list of a vault of many accounts with long notes).
pub const MAX_REPLY: u32 = 64 * 1024 * 1024;
/// Longest query of a [`Request::Code`], in bytes.
pub const MAX_QUERY: usize = 4096;

/// What a client asks the agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Whether the agent holds the vault unlocked, and its timers.
    Status,
    /// The accounts' public descriptions (never their secrets).
    List,
    /// The code of the one account matching `query`.
    Code {
        /// Matches issuer or name, as `keyfob code QUERY` does.
        query: String,
        /// Unix time to compute a TOTP or Steam code at, instead of now.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<u64>,
    },
    /// Drop and wipe the decrypted vault; the agent keeps running, locked.
    Lock,
    /// Wipe the vault and end the agent.
    Stop,
}

/// The public description of an account: what `keyfob list` shows, no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    /// The account's id.
    pub id: AccountId,
    /// The service.
    pub issuer: String,
    /// The account at that service.
    pub name: String,
    /// `totp`, `hotp` or `steam`.
    #[serde(rename = "type")]
    pub kind: String,
    /// HMAC hash.
    pub algorithm: Algorithm,
    /// Number of digits.
    pub digits: u8,
    /// TOTP period in seconds (30 for Steam), `None` for HOTP.
    pub period: Option<u32>,
    /// HOTP counter, `None` for TOTP and Steam.
    pub counter: Option<u64>,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// Pinned to the top of lists.
    pub favorite: bool,
    /// Free-form note.
    pub note: String,
}

impl AccountSummary {
    /// The public description of `account`.
    pub fn from_account(account: &Account) -> Self {
        let (period, counter) = match account.kind {
            Kind::Totp { period } => (Some(period), None),
            Kind::Steam => (Some(30), None),
            Kind::Hotp { counter } => (None, Some(counter)),
        };
        AccountSummary {
            id: account.id.clone(),
            issuer: account.issuer.clone(),
            name: account.name.clone(),
            kind: account.kind.name().to_string(),
            algorithm: account.algorithm,
            digits: account.digits,
            period,
            counter,
            tags: account.tags.clone(),
            favorite: account.favorite,
            note: account.note.clone(),
        }
    }
}

/// One code, as `keyfob code` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeReply {
    /// The account's issuer.
    pub issuer: String,
    /// The account's name.
    pub name: String,
    /// The code.
    pub code: String,
    /// Seconds until a TOTP or Steam code changes; `None` for HOTP.
    pub seconds_remaining: Option<u64>,
}

/// The agent's state, for `keyfob agent status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The agent's process id.
    pub pid: u32,
    /// The vault it serves (canonical path).
    pub vault: String,
    /// Whether it holds the vault unlocked.
    pub unlocked: bool,
    /// Seconds without a request before it locks.
    pub idle_timeout: u64,
    /// Seconds left before it locks for idleness (`None` when locked).
    pub idle_left: Option<u64>,
    /// Seconds left before it ends.
    pub lifetime_left: u64,
    /// How the decrypted secrets are kept in memory (locked pages, or why not).
    pub memory: String,
}

/// What the agent answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Response {
    /// The answer to [`Request::Status`].
    Status(Status),
    /// The answer to [`Request::List`]: the accounts and the backup reminder, if any.
    Accounts {
        /// The accounts in display order.
        accounts: Vec<AccountSummary>,
        /// The backup reminder `keyfob list` shows.
        reminder: Option<String>,
    },
    /// The answer to [`Request::Code`].
    Code(CodeReply),
    /// The query matched no account (empty) or several (their labels).
    NoSingleMatch {
        /// Labels of the accounts matched.
        labels: Vec<String>,
    },
    /// The agent holds no decrypted vault (locked): unlock directly.
    Locked,
    /// A lock or stop request was carried out.
    Done,
    /// The request failed; the message says why.
    Error {
        /// What went wrong (never a secret).
        message: String,
    },
}

#[derive(Deserialize)]
struct Header {
    v: Option<u64>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestEnvelope {
    v: u64,
    request: Request,
}

#[derive(Serialize, Deserialize)]
struct ReplyEnvelope {
    v: u64,
    reply: Response,
}

fn malformed(error: &serde_json::Error) -> AgentError {
    let problem = match error.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected content",
        serde_json::error::Category::Eof => "unexpected end",
    };
    AgentError::Malformed {
        problem,
        column: error.column(),
    }
}

/// Checks the version field first, so another version is named as such rather
/// than reported as malformed.
fn check_version(bytes: &[u8]) -> Result<(), AgentError> {
    let header: Header = serde_json::from_slice(bytes).map_err(|e| malformed(&e))?;
    match header.v {
        Some(VERSION) => Ok(()),
        Some(found) => Err(AgentError::Version { found }),
        None => Err(AgentError::Malformed {
            problem: "no version field",
            column: 0,
        }),
    }
}

/// Encodes a request's payload (without the length prefix).
pub fn encode_request(request: &Request) -> Vec<u8> {
    let envelope = RequestEnvelope {
        v: VERSION,
        request: request.clone(),
    };
    // Serialising plain data into a Vec cannot fail.
    serde_json::to_vec(&envelope).unwrap_or_default()
}

/// Parses and checks a request's payload.
pub fn parse_request(bytes: &[u8]) -> Result<Request, AgentError> {
    if bytes.len() > MAX_REQUEST as usize {
        return Err(AgentError::TooLarge {
            len: bytes.len() as u64,
            max: u64::from(MAX_REQUEST),
        });
    }
    check_version(bytes)?;
    let envelope: RequestEnvelope = serde_json::from_slice(bytes).map_err(|e| malformed(&e))?;
    if let Request::Code { query, .. } = &envelope.request
        && query.len() > MAX_QUERY
    {
        return Err(AgentError::FieldTooLong {
            field: "query",
            len: query.len(),
            max: MAX_QUERY,
        });
    }
    Ok(envelope.request)
}

/// Encodes a reply's payload (without the length prefix).
pub fn encode_reply(reply: &Response) -> Vec<u8> {
    let envelope = ReplyEnvelope {
        v: VERSION,
        reply: reply.clone(),
    };
    serde_json::to_vec(&envelope).unwrap_or_default()
}

/// Parses a reply's payload.
pub fn parse_reply(bytes: &[u8]) -> Result<Response, AgentError> {
    check_version(bytes)?;
    let envelope: ReplyEnvelope = serde_json::from_slice(bytes).map_err(|e| malformed(&e))?;
    Ok(envelope.reply)
}

fn io(source: std::io::Error) -> AgentError {
    AgentError::Io { source }
}

/// Writes one message: its length as 4 bytes big-endian, then the payload.
pub fn write_message(mut out: impl Write, payload: &[u8]) -> Result<(), AgentError> {
    let len = u32::try_from(payload.len()).map_err(|_| AgentError::TooLarge {
        len: payload.len() as u64,
        max: u64::from(u32::MAX),
    })?;
    let mut frame = Vec::with_capacity(4 + payload.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    out.write_all(&frame).map_err(io)?;
    out.flush().map_err(io)
}

/// Reads one message of at most `max` bytes. The length is checked before the
/// payload is allocated; a stream that ends early is [`AgentError::Truncated`].
pub fn read_message(mut input: impl Read, max: u32) -> Result<Vec<u8>, AgentError> {
    let mut prefix = [0u8; 4];
    read_exact(&mut input, &mut prefix)?;
    let len = u32::from_be_bytes(prefix);
    if len > max {
        return Err(AgentError::TooLarge {
            len: u64::from(len),
            max: u64::from(max),
        });
    }
    let mut payload = vec![0u8; len as usize];
    read_exact(&mut input, &mut payload)?;
    Ok(payload)
}

fn read_exact(input: &mut impl Read, buffer: &mut [u8]) -> Result<(), AgentError> {
    input.read_exact(buffer).map_err(|error| {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            AgentError::Truncated
        } else {
            io(error)
        }
    })
}

/// Reads and parses one request from a connection.
pub fn read_request(input: impl Read) -> Result<Request, AgentError> {
    parse_request(&read_message(input, MAX_REQUEST)?)
}

/// Sends one request.
pub fn write_request(out: impl Write, request: &Request) -> Result<(), AgentError> {
    write_message(out, &encode_request(request))
}

/// Reads and parses one reply from a connection.
pub fn read_reply(input: impl Read) -> Result<Response, AgentError> {
    parse_reply(&read_message(input, MAX_REPLY)?)
}

/// Sends one reply; one larger than [`MAX_REPLY`] is replaced by an error reply.
pub fn write_reply(out: impl Write, reply: &Response) -> Result<(), AgentError> {
    let mut payload = encode_reply(reply);
    if payload.len() > MAX_REPLY as usize {
        payload = encode_reply(&Response::Error {
            message: format!(
                "the reply is larger than the {MAX_REPLY} bytes the agent protocol allows"
            ),
        });
    }
    write_message(out, &payload)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn framed(payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_message(&mut out, payload).unwrap();
        out
    }

    #[test]
    fn requests_round_trip_through_the_codec() {
        let requests = [
            Request::Status,
            Request::List,
            Request::Code {
                query: "GitHub".into(),
                at: Some(59),
            },
            Request::Code {
                query: "ü".into(),
                at: None,
            },
            Request::Lock,
            Request::Stop,
        ];
        for request in requests {
            let mut wire = Vec::new();
            write_request(&mut wire, &request).unwrap();
            assert_eq!(&wire[..4], &((wire.len() - 4) as u32).to_be_bytes());
            assert_eq!(read_request(wire.as_slice()).unwrap(), request);
        }
    }

    #[test]
    fn the_wire_form_is_the_documented_one() {
        let wire = encode_request(&Request::Code {
            query: "x".into(),
            at: None,
        });
        assert_eq!(
            String::from_utf8(wire).unwrap(),
            r#"{"v":1,"request":{"code":{"query":"x"}}}"#
        );
    }

    #[test]
    fn bad_requests_are_errors() {
        let cases: [(&[u8], &str); 8] = [
            (b"", "malformed"),
            (b"{", "malformed"),
            (br#"{"v":2,"request":"status"}"#, "version '2'"),
            (br#"{"request":"status"}"#, "no version field"),
            (br#"{"v":1,"request":"secret"}"#, "unexpected content"),
            (
                br#"{"v":1,"request":{"list":{"uri":true}}}"#,
                "unexpected content",
            ),
            (
                br#"{"v":1,"request":{"code":{"query":"a","uri":true}}}"#,
                "unexpected content",
            ),
            (br#"[1,2,3]"#, "malformed"),
        ];
        for (bytes, expected) in cases {
            let error = parse_request(bytes).unwrap_err().to_string();
            assert!(error.contains(expected), "{error:?} for {bytes:?}");
        }
        let long = format!(
            r#"{{"v":1,"request":{{"code":{{"query":"{}"}}}}}}"#,
            "a".repeat(MAX_QUERY + 1)
        );
        assert!(matches!(
            parse_request(long.as_bytes()),
            Err(AgentError::FieldTooLong { field: "query", .. })
        ));
    }

    #[test]
    fn lengths_are_checked_before_reading() {
        let mut huge = u32::MAX.to_be_bytes().to_vec();
        huge.extend_from_slice(b"{}");
        assert!(matches!(
            read_request(huge.as_slice()),
            Err(AgentError::TooLarge { len, max }) if len == u64::from(u32::MAX) && max == u64::from(MAX_REQUEST)
        ));
        let mut short = framed(br#"{"v":1,"request":"status"}"#);
        short.truncate(10);
        assert!(matches!(
            read_request(short.as_slice()),
            Err(AgentError::Truncated)
        ));
        assert!(matches!(
            read_request(&[0u8, 0][..]),
            Err(AgentError::Truncated)
        ));
    }

    #[test]
    fn replies_round_trip() {
        let reply = Response::Code(CodeReply {
            issuer: "A".into(),
            name: "b".into(),
            code: "123456".into(),
            seconds_remaining: Some(3),
        });
        let mut wire = Vec::new();
        write_reply(&mut wire, &reply).unwrap();
        assert_eq!(read_reply(wire.as_slice()).unwrap(), reply);
    }
}
