//! Command-line interface: clap definitions and dispatch. One file per subcommand.

mod add;
mod agent;
mod code;
mod context;
pub mod debug;
mod edit;
mod export;
mod fast;
mod import;
mod init;
mod list;
mod merge;
mod misc;
mod passphrase;
mod remove;
mod show;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use context::Context;

/// Exit with this status after the message was already printed.
#[derive(Debug)]
pub struct Exit(pub u8);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit status {}", self.0)
    }
}

impl std::error::Error for Exit {}

/// keyfob: your second factors on your own disk, encrypted, offline.
#[derive(Debug, Parser)]
#[command(
    name = "keyfob",
    version,
    about,
    long_about = None,
    max_term_width = 100,
    before_help = "Run 'keyfob' with no command to open the terminal UI."
)]
pub struct Cli {
    /// Vault file (default: keyfob.vault.age beside the program, else the data directory).
    #[arg(long, global = true, env = "KEYFOB_VAULT", value_name = "PATH")]
    pub vault: Option<PathBuf>,
    /// Read the passphrase from the first line of this file ('-' = standard input).
    #[arg(
        long,
        global = true,
        env = "KEYFOB_PASSPHRASE_FILE",
        value_name = "PATH"
    )]
    pub passphrase_file: Option<PathBuf>,
    /// Use an age identity file instead of a passphrase.
    #[arg(long, global = true, env = "KEYFOB_IDENTITY", value_name = "PATH")]
    pub identity: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new vault.
    Init(init::InitArgs),
    /// Add an account from an otpauth:// URI or from its fields.
    Add(add::AddArgs),
    /// List accounts (never shows secrets).
    #[command(visible_alias = "ls")]
    List(list::ListArgs),
    /// Print the current code of the one account matching QUERY.
    Code(code::CodeArgs),
    /// Reveal an account's otpauth URI or draw its QR code, to move it to a phone.
    Show(show::ShowArgs),
    /// Change an account's fields.
    Edit(edit::EditArgs),
    /// Remove an account.
    #[command(visible_alias = "rm")]
    Remove(remove::RemoveArgs),
    /// Import accounts: other apps' exports, QR code images, keyfob backups.
    Import(import::ImportArgs),
    /// Merge other copies of this vault (or keyfob backups) into it, account by account.
    Merge(merge::MergeArgs),
    /// Export: paper recovery sheet, encrypted backup, files and QR codes for other apps.
    Export(export::ExportArgs),
    /// Check a printed sheet (scan or PDF) or a backup against the vault.
    Verify(verify::VerifyArgs),
    /// Change the vault passphrase.
    Passwd(misc::PasswdArgs),
    /// Unlock once: a background agent serves 'code' and 'list' (Unix).
    Agent(agent::AgentArgs),
    /// Print shell completions.
    Completions(misc::CompletionsArgs),
    /// Print the man page (roff).
    #[command(hide = true)]
    Man,
    /// Developer tools (benchmarks).
    #[command(hide = true, subcommand)]
    Debug(debug::DebugCommand),
}

/// Parses the command line and runs it.
pub fn run() -> anyhow::Result<ExitCode> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(cli) = fast::parse(&args, |name| std::env::var_os(name)) {
        return dispatch(cli);
    }
    // The command tree is built once, for the check and the parse (it is most of
    // the start-up time of a short command).
    let mut command = <Cli as clap::CommandFactory>::command();
    reject_empty_env(&command)?;
    let mut matches = command
        .try_get_matches_from_mut(args)
        .unwrap_or_else(|error| error.exit());
    let cli = <Cli as clap::FromArgMatches>::from_arg_matches_mut(&mut matches)
        .map_err(|error| error.format(&mut command))
        .unwrap_or_else(|error| error.exit());
    dispatch(cli)
}

/// Refuses an option's environment variable that is set but empty (a script's
/// mistake, which clap would report as a missing value of the option).
fn reject_empty_env(command: &clap::Command) -> anyhow::Result<()> {
    for arg in command.get_arguments() {
        if let Some(name) = arg.get_env()
            && std::env::var_os(name).is_some_and(|value| value.is_empty())
        {
            anyhow::bail!(
                "{} is set but empty; unset it or set it to a path (it stands for --{})",
                name.to_string_lossy(),
                arg.get_long().unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// Runs a parsed command line.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let ctx = Context::new(&cli)?;
    match cli.command {
        None => {
            // With --identity or --passphrase-file the UI unlocks at once.
            let initial_key = if ctx.path().exists()
                && (ctx.identity.is_some() || ctx.passphrase_file.is_some())
            {
                Some(ctx.key()?)
            } else {
                None
            };
            crate::tui::run(crate::tui::Options {
                vault_path: ctx.vault_path.clone(),
                identity: ctx.identity.clone(),
                initial_key,
                lock_wait: ctx.lock_wait,
            })
        }
        Some(Command::Init(args)) => init::run(&ctx, args),
        Some(Command::Add(args)) => add::run(&ctx, args),
        Some(Command::List(args)) => list::run(&ctx, args),
        Some(Command::Code(args)) => code::run(&ctx, args),
        Some(Command::Show(args)) => show::run(&ctx, args),
        Some(Command::Edit(args)) => edit::run(&ctx, args),
        Some(Command::Remove(args)) => remove::run(&ctx, args),
        Some(Command::Import(args)) => import::run(&ctx, args),
        Some(Command::Merge(args)) => merge::run(&ctx, args),
        Some(Command::Export(args)) => export::run(&ctx, args),
        Some(Command::Verify(args)) => verify::run(&ctx, args),
        Some(Command::Passwd(args)) => misc::passwd(&ctx, args),
        Some(Command::Agent(args)) => agent::run(&ctx, args),
        Some(Command::Completions(args)) => misc::completions(args),
        Some(Command::Man) => misc::man(),
        Some(Command::Debug(command)) => debug::run(&ctx, command),
    }
}

/// Turns off core dumps and debugger attachment, so a crash or a debugger cannot
/// copy decrypted secrets out of memory: on Linux the process is made non-dumpable
/// (which also denies ptrace and `/proc/PID/mem` to other processes of the same
/// user); on macOS it asks the kernel to deny ptrace (`PT_DENY_ATTACH`); on every
/// Unix the core file size limit is set to 0.
#[allow(unsafe_code)]
pub fn harden_process() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl(PR_SET_DUMPABLE, 0) only changes this process's dumpable flag.
        unsafe {
            libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
        }
    }
    #[cfg(target_os = "macos")]
    {
        // SAFETY: PT_DENY_ATTACH takes no address or data; it only marks this process.
        unsafe {
            libc::ptrace(libc::PT_DENY_ATTACH, 0, std::ptr::null_mut(), 0);
        }
    }
    #[cfg(unix)]
    {
        let limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: setrlimit reads the struct we pass; RLIMIT_CORE = 0 disables core files.
        unsafe {
            libc::setrlimit(libc::RLIMIT_CORE, &limit);
        }
    }
}

/// Whether this process is dumpable (Linux), for `keyfob debug harden-status`.
#[allow(unsafe_code)]
pub fn dumpable() -> Option<bool> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_GET_DUMPABLE takes no pointers and only reads a flag.
        let flag = unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) };
        if flag >= 0 {
            return Some(flag != 0);
        }
    }
    None
}
