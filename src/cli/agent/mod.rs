//! `keyfob agent start | status | lock | stop`: unlock the vault once and let
//! `keyfob code` and `keyfob list` ask a background process, the way ssh-agent
//! serves keys. This file holds the commands and the client; `server.rs` is the
//! agent itself. The protocol and the socket rules are in the library
//! (`keyfob::agent`). Unix only: elsewhere the commands say so and `code` and
//! `list` always unlock directly.

#[cfg(unix)]
mod server;

use std::process::ExitCode;
use std::time::Duration;

use keyfob::agent::{Request, Response};

use super::Context;

/// Arguments of `keyfob agent`.
#[derive(Debug, clap::Args)]
pub struct AgentArgs {
    #[command(subcommand)]
    command: AgentCommand,
}

/// The agent's subcommands.
#[derive(Debug, clap::Subcommand)]
enum AgentCommand {
    /// Unlock the vault and leave an agent in the background that answers
    /// 'keyfob code' and 'keyfob list' for it without unlocking.
    Start(Timers),
    /// Say whether an agent runs for the vault, whether it holds it unlocked, and its timers.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make the agent drop and wipe the decrypted vault; it keeps running, locked,
    /// and 'code' and 'list' unlock directly again.
    Lock,
    /// Wipe the decrypted vault and end the agent.
    Stop,
    /// Run the agent in the foreground (what 'start' runs in the background).
    #[command(hide = true)]
    Serve(Timers),
}

/// How long the agent keeps the vault.
#[derive(Debug, Clone, clap::Args)]
struct Timers {
    /// Lock (wipe the decrypted vault) after this long without a request, e.g. 90s, 10m, 1h.
    #[arg(long, value_name = "DUR", default_value = "10m", value_parser = parse_duration)]
    idle_timeout: Duration,
    /// End the agent this long after it started, e.g. 8h.
    #[arg(long, value_name = "DUR", default_value = "8h", value_parser = parse_duration)]
    lifetime: Duration,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text)
        .map_err(|error| format!("{error} (write a duration such as 90s, 10m or 8h)"))?;
    if duration.is_zero() {
        return Err("the duration must be longer than zero".to_string());
    }
    Ok(duration)
}

/// Runs `keyfob agent …`.
#[cfg(unix)]
pub fn run(ctx: &Context, args: AgentArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AgentCommand::Start(timers) => server::start(ctx, &timers),
        AgentCommand::Serve(timers) => server::serve(ctx, &timers),
        AgentCommand::Status { json } => client::status(ctx, json),
        AgentCommand::Lock => client::lock_or_stop(ctx, &Request::Lock),
        AgentCommand::Stop => client::lock_or_stop(ctx, &Request::Stop),
    }
}

/// Runs `keyfob agent …`: not on this platform.
#[cfg(not(unix))]
pub fn run(_ctx: &Context, _args: AgentArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "keyfob agent is not supported on this platform (it needs Unix domain sockets); 'keyfob code' and 'keyfob list' unlock the vault each time"
    )
}

/// The reply of a running agent for this vault that holds it unlocked, for `code`
/// and `list`; `None` means unlock directly (no agent, a dead agent's socket, a
/// locked agent). A problem with the agent is shown as a note and then ignored.
#[cfg(unix)]
pub fn ask(ctx: &Context, request: &Request) -> Option<Response> {
    match client::exchange(ctx, request) {
        Ok(Some(Response::Locked)) | Ok(None) => None,
        Ok(Some(reply)) => Some(reply),
        Err(error) => {
            eprintln!(
                "keyfob: not using the agent: {}",
                keyfob::text::Escaped(&format!("{error:#}"))
            );
            None
        }
    }
}

/// Without Unix sockets there is never an agent.
#[cfg(not(unix))]
pub fn ask(_ctx: &Context, _request: &Request) -> Option<Response> {
    None
}

#[cfg(unix)]
mod client {
    use std::io::Write as _;
    use std::os::unix::net::UnixStream;
    use std::path::PathBuf;
    use std::process::ExitCode;
    use std::time::Duration;

    use anyhow::Context as _;
    use keyfob::agent::{Request, Response, protocol, socket};

    use super::super::Context;

    /// How long a client waits for the reply: a HOTP code may wait for the vault
    /// lock and a vault changed on disk is decrypted again.
    const REPLY_WAIT: Duration = Duration::from_secs(60);

    /// The socket of the agent for this vault, or `None` when the vault cannot be
    /// found (then there is nothing to serve).
    pub fn socket_for(ctx: &Context) -> anyhow::Result<Option<PathBuf>> {
        let Ok(canonical) = std::fs::canonicalize(ctx.path()) else {
            return Ok(None);
        };
        let dir = socket::default_dir()?;
        Ok(Some(socket::socket_path(&dir, &canonical)?))
    }

    /// Sends `request` to the agent for this vault and returns its reply; `None`
    /// when no agent listens there. The socket's directory must be private and the
    /// agent must run as this user, or nothing is sent.
    pub fn exchange(ctx: &Context, request: &Request) -> anyhow::Result<Option<Response>> {
        let Some(path) = socket_for(ctx)? else {
            return Ok(None);
        };
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        if let Some(dir) = path.parent() {
            socket::check_private_dir(dir)?;
        }
        let stream = match UnixStream::connect(&path) {
            Ok(stream) => stream,
            // A dead agent's socket, or one removed since: no agent.
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound
                ) =>
            {
                return Ok(None);
            }
            Err(error) => {
                return Err(error).with_context(|| format!("connecting to '{}'", path.display()));
            }
        };
        socket::check_peer(&stream)?;
        stream.set_read_timeout(Some(REPLY_WAIT))?;
        stream.set_write_timeout(Some(REPLY_WAIT))?;
        protocol::write_request(&stream, request)?;
        Ok(Some(protocol::read_reply(&stream)?))
    }

    fn none_running(ctx: &Context) -> String {
        format!("no agent is running for the vault {}", ctx.shown())
    }

    /// `keyfob agent status`: exit status 0 when an agent runs, 1 when none does.
    pub fn status(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
        let mut out = std::io::stdout().lock();
        match exchange(ctx, &Request::Status)? {
            Some(Response::Status(status)) if json => {
                serde_json::to_writer_pretty(&mut out, &status)?;
                writeln!(out)?;
                Ok(ExitCode::SUCCESS)
            }
            Some(Response::Status(status)) => {
                let state = match status.idle_left {
                    Some(left) if status.unlocked => {
                        format!("unlocked; locks after {} without a request", secs(left))
                    }
                    _ => "locked (run 'keyfob agent start' to unlock it again)".to_string(),
                };
                writeln!(
                    out,
                    "agent (pid {}) for the vault '{}': {state}; ends in {}; memory: {}",
                    status.pid,
                    status.vault,
                    secs(status.lifetime_left),
                    status.memory
                )?;
                Ok(ExitCode::SUCCESS)
            }
            Some(other) => anyhow::bail!("the agent answered with an unexpected '{other:?}'"),
            None => {
                if json {
                    writeln!(out, "null")?;
                } else {
                    eprintln!("keyfob: {}", none_running(ctx));
                }
                Ok(ExitCode::FAILURE)
            }
        }
    }

    /// `keyfob agent lock` and `keyfob agent stop`.
    pub fn lock_or_stop(ctx: &Context, request: &Request) -> anyhow::Result<ExitCode> {
        match exchange(ctx, request)? {
            Some(Response::Done) => {
                let done = if *request == Request::Stop {
                    "stopped"
                } else {
                    "locked"
                };
                eprintln!("keyfob: agent {done}; the decrypted vault is wiped from its memory");
                Ok(ExitCode::SUCCESS)
            }
            Some(other) => anyhow::bail!("the agent answered with an unexpected '{other:?}'"),
            None => {
                eprintln!("keyfob: {}", none_running(ctx));
                Ok(ExitCode::SUCCESS)
            }
        }
    }

    /// `90s`, `10m`, `8h 0m`: a count of seconds for people.
    pub fn secs(seconds: u64) -> String {
        humantime::format_duration(Duration::from_secs(seconds)).to_string()
    }
}
