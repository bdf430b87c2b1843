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
/// Unix the core file size limit is set to 0. A static musl build (the portable
/// binary) also makes its relocated read-only data read-only, as the dynamic
/// loader does for every other build ([`protect_relro`]).
#[allow(unsafe_code)]
pub fn harden_process() {
    #[cfg(all(target_os = "linux", target_env = "musl"))]
    protect_relro();
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

/// The program's RELRO region (`PT_GNU_RELRO`: the global offset table, vtables
/// and other data written once while relocating), in whole pages as the dynamic
/// loader protects it: from the page holding its start to the page boundary at or
/// below its end. `None` without one (or on another system).
#[allow(unsafe_code)]
pub fn relro_pages() -> Option<std::ops::Range<usize>> {
    #[cfg(target_os = "linux")]
    {
        /// Called for each loaded object, the program first: records its region
        /// and stops the walk.
        unsafe extern "C" fn program(
            info: *mut libc::dl_phdr_info,
            _size: libc::size_t,
            data: *mut libc::c_void,
        ) -> libc::c_int {
            // SAFETY: dl_iterate_phdr passes a valid `info` for the duration of
            // the call and `data` is the `Option` below, borrowed by nothing else.
            let (info, found) =
                unsafe { (&*info, &mut *data.cast::<Option<std::ops::Range<usize>>>()) };
            if info.dlpi_phdr.is_null() {
                return 1;
            }
            // SAFETY: `dlpi_phdr` points at `dlpi_phnum` program headers of the
            // object, which stay mapped while it is loaded.
            let headers =
                unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) };
            *found = headers
                .iter()
                .find(|header| header.p_type == libc::PT_GNU_RELRO)
                .and_then(|header| {
                    let start =
                        usize::try_from(info.dlpi_addr.checked_add(header.p_vaddr)?).ok()?;
                    let end = start.checked_add(usize::try_from(header.p_memsz).ok()?)?;
                    Some(start..end)
                });
            1
        }
        let mut found: Option<std::ops::Range<usize>> = None;
        // SAFETY: the callback only reads what dl_iterate_phdr hands it and writes
        // `found`, which outlives the call.
        unsafe {
            libc::dl_iterate_phdr(Some(program), (&raw mut found).cast());
        }
        // SAFETY: sysconf takes no pointers.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok()?;
        if !page.is_power_of_two() {
            return None;
        }
        found
            .map(|region| (region.start & !(page - 1))..(region.end & !(page - 1)))
            .filter(|pages| !pages.is_empty())
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Makes the RELRO region read-only. A dynamically linked program has this done
/// by the loader once it has relocated it; musl's start-up code for a static
/// executable relocates it but leaves it writable, so that build does it here,
/// before anything reads outside input.
#[cfg(all(target_os = "linux", target_env = "musl"))]
#[allow(unsafe_code)]
fn protect_relro() {
    if let Some(pages) = relro_pages() {
        // SAFETY: the range is whole pages of this program's own RELRO segment,
        // which nothing writes once relocation is done.
        unsafe {
            libc::mprotect(
                pages.start as *mut libc::c_void,
                pages.len(),
                libc::PROT_READ,
            );
        }
    }
}

/// Whether the RELRO region is read-only, from `/proc/self/maps` (Linux), for
/// `keyfob debug harden-status`: `None` without a region or a map to read.
pub fn relro_read_only() -> Option<bool> {
    let pages = relro_pages()?;
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    // Every mapping the region overlaps must be without write permission.
    let mut seen = false;
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some((from, to)) = range.split_once('-') else {
            continue;
        };
        let (Ok(from), Ok(to)) = (
            usize::from_str_radix(from, 16),
            usize::from_str_radix(to, 16),
        ) else {
            continue;
        };
        if from < pages.end && pages.start < to {
            seen = true;
            if perms.as_bytes().get(1) != Some(&b'-') {
                return Some(false);
            }
        }
    }
    seen.then_some(true)
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

#[cfg(all(test, target_os = "linux"))]
mod relro_tests {
    /// `mprotect` of the test program's own RELRO pages.
    #[allow(unsafe_code)]
    fn protect(pages: &std::ops::Range<usize>, prot: libc::c_int) {
        // SAFETY: whole pages of this program's RELRO segment; while they are
        // writable nothing writes them (the data is only read).
        let done = unsafe { libc::mprotect(pages.start as *mut libc::c_void, pages.len(), prot) };
        assert_eq!(done, 0, "{}", std::io::Error::last_os_error());
    }

    #[test]
    fn the_relro_check_tells_read_only_from_writable() {
        let pages = super::relro_pages().expect("a position-independent program has RELRO");
        assert_eq!(pages.start % 4096, 0);
        protect(&pages, libc::PROT_READ | libc::PROT_WRITE);
        let writable = super::relro_read_only();
        protect(&pages, libc::PROT_READ);
        assert_eq!(writable, Some(false));
        assert_eq!(super::relro_read_only(), Some(true));
    }
}
