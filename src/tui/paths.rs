//! Path fields: the text of a paths field split into paths as a shell would
//! (quotes and backslashes keep spaces in a name; `~/` is the home
//! directory), and Tab completion of the last path from the file system.
//! The import and merge screens and the backup screen's file fields share them.

use std::path::{Path, PathBuf};

use super::app::expand_home;
use super::input::TextInput;

/// Most names listed when Tab finds several.
const MAX_SHOWN: usize = 6;

/// The paths typed into a field, or why they cannot be read.
pub fn split(text: &str) -> Result<Vec<PathBuf>, String> {
    let words = shlex::split(text)
        .ok_or_else(|| "a quote is not closed: close it or remove it".to_string())?;
    Ok(words.iter().map(|w| expand_home(w)).collect())
}

/// Paths as a field holds them, quoted where a shell would need it ([`split`]
/// gives them back). A path that is not UTF-8 or cannot be quoted is left out.
pub fn join(paths: &[PathBuf]) -> String {
    let words: Vec<&str> = paths.iter().filter_map(|p| p.to_str()).collect();
    words
        .iter()
        .filter_map(|w| shlex::try_quote(w).ok())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Completes the last path of `input` as far as the names in its directory
/// agree (a directory gets a `/`). Returns what to tell the user when there
/// is nothing or more than one way to go on.
pub fn complete(input: &mut TextInput) -> Option<String> {
    let text = input.text().to_string();
    let mut words = shlex::split(&text)?;
    if text.is_empty() || text.ends_with(' ') && !text.ends_with("\\ ") {
        words.push(String::new());
    }
    let last = words.pop().unwrap_or_default();
    let (dir_part, prefix) = match last.rfind('/') {
        Some(at) => last.split_at(at + 1),
        None => ("", last.as_str()),
    };
    let dir = if dir_part.is_empty() {
        PathBuf::from(".")
    } else {
        expand_home(dir_part)
    };
    let mut names: Vec<(String, bool)> = std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_string();
            let hidden = name.starts_with('.') && !prefix.starts_with('.');
            (!hidden && name.starts_with(prefix)).then(|| (name, is_dir(&entry.path())))
        })
        .collect();
    names.sort();
    let (first, _) = names.first()?;
    let common = names.iter().fold(first.clone(), |common, (name, _)| {
        common
            .chars()
            .zip(name.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a)
            .collect()
    });
    let mut completed = format!("{dir_part}{common}");
    let note = match names.as_slice() {
        [(_, true)] => {
            completed.push('/');
            None
        }
        [_] => None,
        many => {
            let shown: Vec<&str> = many
                .iter()
                .take(MAX_SHOWN)
                .map(|(n, _)| n.as_str())
                .collect();
            let more = many.len().saturating_sub(MAX_SHOWN);
            Some(format!(
                "{} names: {}{}",
                many.len(),
                shown.join("  "),
                if more > 0 {
                    format!("  (and {more} more)")
                } else {
                    String::new()
                }
            ))
        }
    };
    words.push(completed);
    let joined = shlex::try_join(words.iter().map(String::as_str)).ok()?;
    // A lone directory completed gets no closing space, so Tab goes on inside it.
    input.clear();
    input.paste(&joined);
    note
}

fn is_dir(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_dir())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tab_completes_the_last_path_as_far_as_names_agree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().display().to_string();
        std::fs::create_dir(dir.path().join("exports")).unwrap();
        std::fs::write(dir.path().join("aegis-1.json"), b"").unwrap();
        std::fs::write(dir.path().join("aegis-2.json"), b"").unwrap();
        std::fs::write(dir.path().join(".hidden"), b"").unwrap();

        let mut input = TextInput::with_text(&format!("{root}/ex"));
        assert_eq!(complete(&mut input), None);
        assert_eq!(input.text(), format!("{root}/exports/"));

        let mut input = TextInput::with_text(&format!("first.png {root}/ae"));
        let note = complete(&mut input).unwrap();
        assert_eq!(input.text(), format!("first.png {root}/aegis-"));
        assert_eq!(note, "2 names: aegis-1.json  aegis-2.json");

        let mut input = TextInput::with_text(&format!("{root}/nothing"));
        assert_eq!(complete(&mut input), None);
        assert_eq!(input.text(), format!("{root}/nothing"), "left as it was");
    }

    #[test]
    fn paths_split_like_a_shell() {
        assert_eq!(
            split(r#"a.json "my shots/b.png" c\ d.txt"#).unwrap(),
            [
                PathBuf::from("a.json"),
                PathBuf::from("my shots/b.png"),
                PathBuf::from("c d.txt")
            ]
        );
        assert!(split("\"open").is_err());
    }
}
