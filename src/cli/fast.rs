//! The command line that scripts, prompts and key bindings run over and over,
//! `keyfob [--vault P] [--identity P] [--passphrase-file P] code [--json] QUERY`,
//! read without building clap's whole command tree (for a code that a running agent
//! answers, that tree is most of the work the process does). Any other command line,
//! or anything unusual in this one (an option clap would refuse, a repeated option,
//! an empty environment variable, a value that is not UTF-8 or starts with '-'),
//! gets `None` and goes to clap, which then gives its usual answer or message.
//! The tests below hold this reading equal to clap's.

use std::ffi::OsString;
use std::path::PathBuf;

use super::code::CodeArgs;
use super::{Cli, Command};

/// The environment variables that stand for the global options, as clap names them.
const ENV: [(&str, &str); 3] = [
    ("KEYFOB_VAULT", "--vault"),
    ("KEYFOB_PASSPHRASE_FILE", "--passphrase-file"),
    ("KEYFOB_IDENTITY", "--identity"),
];

/// The command line `args` (program name first) when it is a plain `code` call,
/// with the global options filled from `env` as clap fills them.
pub fn parse(args: &[OsString], env: impl Fn(&str) -> Option<OsString>) -> Option<Cli> {
    let mut globals: [Option<PathBuf>; 3] = [None, None, None];
    let mut query: Option<String> = None;
    let mut json = false;
    let mut seen_code = false;
    let mut words = args.iter().skip(1).map(|arg| arg.to_str());
    while let Some(word) = words.next() {
        let word = word?;
        if let Some((slot, value)) = global(word, &mut words)? {
            let slot = globals.get_mut(slot)?;
            if slot.is_some() {
                return None;
            }
            *slot = Some(PathBuf::from(value));
        } else if !seen_code {
            if word != "code" {
                return None;
            }
            seen_code = true;
        } else if word == "--json" && !json {
            json = true;
        } else if query.is_none() && !word.is_empty() && !word.starts_with('-') {
            query = Some(word.to_string());
        } else {
            return None;
        }
    }
    for ((name, _), slot) in ENV.iter().zip(globals.iter_mut()) {
        if let Some(value) = env(name) {
            if value.is_empty() {
                // Refused with a message by the full path.
                return None;
            }
            if slot.is_none() {
                *slot = Some(PathBuf::from(value));
            }
        }
    }
    let [vault, passphrase_file, identity] = globals;
    Some(Cli {
        vault,
        passphrase_file,
        identity,
        command: Some(Command::Code(CodeArgs {
            query: query?,
            at: None,
            json,
        })),
    })
}

/// A global option at `word` (`--vault P` or `--vault=P`): which one and its value;
/// `Some(None)` when `word` is not one; `None` when its value is missing or unusual.
fn global<'a>(
    word: &'a str,
    rest: &mut impl Iterator<Item = Option<&'a str>>,
) -> Option<Option<(usize, &'a str)>> {
    for (slot, (_, long)) in ENV.iter().enumerate() {
        let value = if word == *long {
            rest.next()??
        } else if let Some(value) = word.strip_prefix(long).and_then(|v| v.strip_prefix('=')) {
            value
        } else {
            continue;
        };
        if value.is_empty() || value.starts_with('-') {
            return None;
        }
        return Some(Some((slot, value)));
    }
    Some(None)
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches};

    use super::*;

    fn words(line: &str) -> Vec<OsString> {
        std::iter::once("keyfob")
            .chain(line.split(' ').filter(|w| !w.is_empty()))
            .map(OsString::from)
            .collect()
    }

    /// clap's reading of `args`, with the options' environment variables left out
    /// (so the tests do not depend on the environment they run in).
    fn clap_reads(args: &[OsString]) -> Option<Cli> {
        let mut command = Cli::command();
        for id in ["vault", "passphrase_file", "identity"] {
            command = command.mut_arg(id, |arg| arg.env(None));
        }
        let matches = command.try_get_matches_from(args).ok()?;
        Cli::from_arg_matches(&matches).ok()
    }

    fn no_env(_: &str) -> Option<OsString> {
        None
    }

    #[test]
    fn plain_code_calls_read_as_clap_reads_them() {
        for line in [
            "code GitHub",
            "code --json GitHub",
            "code GitHub --json",
            "--vault /v.age code GitHub",
            "--vault=/v.age code GitHub",
            "code GitHub --vault /v.age",
            "code --vault=/v.age --json GitHub",
            "--identity /id.txt --vault /v.age code GitHub",
            "--passphrase-file /p code alice@example.com",
            "--passphrase-file=/p --identity=/i --vault=/v code --json x",
            "code list",
            "code code",
        ] {
            let args = words(line);
            let fast = parse(&args, no_env);
            assert!(fast.is_some(), "'{line}' should take the fast path");
            assert_eq!(
                format!("{fast:?}"),
                format!("{:?}", clap_reads(&args)),
                "'{line}'"
            );
        }
    }

    #[test]
    fn anything_else_goes_to_clap() {
        for line in [
            "",
            "list",
            "code",
            "code --json",
            "code a b",
            "code --json --json a",
            "code --at 59 GitHub",
            "code --help",
            "code -h",
            "code -- -x",
            "code -x",
            "--vault code GitHub",
            "--vault",
            "--vault= code GitHub",
            "--vault /a --vault /b code GitHub",
            "--vault=/a code GitHub --vault /b",
            "--version",
            "-V code x",
            "--verbose code x",
            "codes x",
            "show x",
            "x code",
        ] {
            assert!(parse(&words(line), no_env).is_none(), "'{line}'");
        }
        let odd = vec![
            OsString::from("keyfob"),
            OsString::from("code"),
            odd_bytes(),
        ];
        assert!(parse(&odd, no_env).is_none());
    }

    #[cfg(unix)]
    fn odd_bytes() -> OsString {
        use std::os::unix::ffi::OsStringExt;
        OsString::from_vec(vec![0x66, 0xff, 0x6f])
    }

    #[cfg(not(unix))]
    fn odd_bytes() -> OsString {
        OsString::from("-odd")
    }

    #[test]
    fn the_environment_fills_what_the_command_line_leaves_out() {
        let env = |name: &str| match name {
            "KEYFOB_VAULT" => Some(OsString::from("/env.age")),
            "KEYFOB_IDENTITY" => Some(OsString::from("/env-id.txt")),
            _ => None,
        };
        for (line, as_options) in [
            (
                "code GitHub",
                "--vault /env.age --identity /env-id.txt code GitHub",
            ),
            (
                "--vault /cli.age code GitHub",
                "--vault /cli.age --identity /env-id.txt code GitHub",
            ),
            (
                "code --identity=/cli-id GitHub",
                "--vault /env.age --identity /cli-id code GitHub",
            ),
        ] {
            assert_eq!(
                format!("{:?}", parse(&words(line), env)),
                format!("{:?}", clap_reads(&words(as_options))),
                "'{line}'"
            );
        }
    }

    #[test]
    fn an_empty_environment_variable_is_left_to_the_full_path_to_refuse() {
        for (name, _) in ENV {
            let env = |asked: &str| (asked == name).then(OsString::new);
            assert!(parse(&words("code GitHub"), env).is_none(), "{name}");
        }
    }
}
