//! The `keyfob` binary: parses the command line and runs a subcommand, or the
//! terminal UI when none is given. All real work happens in the `keyfob` library.

mod cli;
mod tui;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::harden_process();
    match cli::run() {
        Ok(code) => code,
        Err(error) => {
            if let Some(exit) = error.downcast_ref::<cli::Exit>() {
                return ExitCode::from(exit.0);
            }
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            // Errors can quote account text, file names and arguments: escape them.
            eprintln!("keyfob: {}", keyfob::text::Escaped(&format!("{error:#}")));
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
