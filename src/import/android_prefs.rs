//! Android shared-preferences XML, read once for every format that keeps its
//! tokens in one (Authy, FreeOTP, FreeOTP+, Battle.net, TOTP Authenticator):
//!
//! ```xml
//! <?xml version='1.0' encoding='utf-8' standalone='yes' ?>
//! <map>
//!     <string name="tokenOrder">["a","b"]</string>
//!     <int name="version" value="3" />
//!     <boolean name="locked" value="false" />
//!     <set name="ids"><string>a</string></set>
//! </map>
//! ```
//!
//! Parsed with `roxmltree` (no DTD, node count bounded); the values keep file
//! order and are wiped when dropped, since most of them hold secrets.

use std::fmt;

use zeroize::Zeroizing;

use super::{Format, ImportError, MAX_ENTRIES};

/// Most XML nodes read from one file: a few per preference, and
/// [`MAX_ENTRIES`] tokens at several preferences each.
const MAX_NODES: u32 = 64 * MAX_ENTRIES as u32;

/// One preference's value.
#[non_exhaustive]
pub enum PrefValue {
    /// `<string name=…>text</string>` (entities decoded).
    String(Zeroizing<String>),
    /// `<int name=… value=…/>`.
    Int(i64),
    /// `<long name=… value=…/>`.
    Long(i64),
    /// `<boolean name=… value=…/>`.
    Boolean(bool),
    /// `<float name=… value=…/>`, as written.
    Float(String),
    /// `<set name=…><string>…</string>…</set>`.
    Set(Vec<Zeroizing<String>>),
}

/// The preferences of one file, in file order.
pub struct Prefs {
    entries: Vec<(String, PrefValue)>,
}

impl fmt::Debug for Prefs {
    /// The names only: the values may be secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|(name, _)| name))
            .finish()
    }
}

impl Prefs {
    /// Every preference, in file order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &PrefValue)> {
        self.entries
            .iter()
            .map(|(name, value)| (name.as_str(), value))
    }

    /// The value named `name` (the first, if the name repeats).
    pub fn get(&self, name: &str) -> Option<&PrefValue> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value)
    }

    /// The string named `name`.
    pub fn string(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            PrefValue::String(text) => Some(text.as_str()),
            _ => None,
        }
    }

    /// The `int` or `long` named `name` (or a string holding a number).
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            PrefValue::Int(n) | PrefValue::Long(n) => Some(*n),
            PrefValue::String(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    /// The boolean named `name`.
    pub fn boolean(&self, name: &str) -> Option<bool> {
        match self.get(name)? {
            PrefValue::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// True when a preference is named `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// How many preferences there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the file has no preference.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// True when the text starts like a preferences file (`<?xml …?>` then `<map`,
/// or `<map` directly), before any parsing.
pub fn looks_like(text: &str) -> bool {
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    if rest.starts_with("<?xml") {
        rest = rest
            .find("?>")
            .and_then(|end| rest.get(end + 2..))
            .unwrap_or("")
            .trim_start();
    }
    rest.starts_with("<map")
}

/// Parses a preferences file. Errors name the line and column, never the content.
pub fn parse(bytes: &[u8], format: Format) -> Result<Prefs, ImportError> {
    read(super::text(bytes, format)?).map_err(|reason| ImportError::malformed(format, reason))
}

/// Parses the text of a preferences file; the error is the reason, without content.
pub(crate) fn read(text: &str) -> Result<Prefs, String> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let document = roxmltree::Document::parse_with_options(text, options).map_err(|e| {
        if matches!(e, roxmltree::Error::NodesLimitReached) {
            "too many XML nodes".to_string()
        } else {
            let at = e.pos();
            format!("invalid XML at line {} column {}", at.row, at.col)
        }
    })?;
    let root = document.root_element();
    if !root.has_tag_name("map") {
        return Err("not Android preferences (no <map> element)".to_string());
    }
    let mut entries = Vec::new();
    for node in root.children().filter(|n| n.is_element()) {
        let Some(name) = node.attribute("name") else {
            continue;
        };
        let attr = || node.attribute("value").unwrap_or("").trim();
        let number = || attr().parse::<i64>().ok();
        let value = match node.tag_name().name() {
            "string" => PrefValue::String(Zeroizing::new(node.text().unwrap_or("").to_string())),
            "int" => match number() {
                Some(n) => PrefValue::Int(n),
                None => continue,
            },
            "long" => match number() {
                Some(n) => PrefValue::Long(n),
                None => continue,
            },
            "boolean" => PrefValue::Boolean(attr() == "true"),
            "float" => PrefValue::Float(attr().to_string()),
            "set" => PrefValue::Set(
                node.children()
                    .filter(|n| n.has_tag_name("string"))
                    .map(|n| Zeroizing::new(n.text().unwrap_or("").to_string()))
                    .collect(),
            ),
            _ => continue,
        };
        entries.push((name.to_string(), value));
    }
    Ok(Prefs { entries })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const FILE: &str = "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n    \
        <string name=\"a\">x &amp; &lt;y&gt;</string>\n    <int name=\"n\" value=\"-3\" />\n    \
        <long name=\"l\" value=\"1700000000000\" />\n    <boolean name=\"b\" value=\"true\" />\n    \
        <set name=\"s\"><string>one</string><string>two</string></set>\n    \
        <int name=\"bad\" value=\"x\" />\n    <string>no name</string>\n</map>\n";

    #[test]
    fn reads_every_kind_of_value_in_order() {
        let prefs = parse(FILE.as_bytes(), Format::OtpauthList).unwrap();
        let names: Vec<&str> = prefs.entries().map(|(n, _)| n).collect();
        assert_eq!(names, ["a", "n", "l", "b", "s"]);
        assert_eq!(prefs.string("a"), Some("x & <y>"));
        assert_eq!(prefs.int("n"), Some(-3));
        assert_eq!(prefs.int("l"), Some(1_700_000_000_000));
        assert_eq!(prefs.boolean("b"), Some(true));
        assert!(!prefs.contains("bad"));
        match prefs.get("s") {
            Some(PrefValue::Set(items)) => {
                let items: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
                assert_eq!(items, ["one", "two"]);
            }
            _ => panic!("no set"),
        }
        assert_eq!(format!("{prefs:?}"), r#"["a", "n", "l", "b", "s"]"#);
        assert!(looks_like(FILE));
        assert!(looks_like("\u{feff}<map/>"));
        assert!(!looks_like("<?xml version='1.0'?><html/>"));
    }

    #[test]
    fn broken_files_are_malformed_without_their_content() {
        for (text, needle) in [
            (
                "<map><string name=\"k\">SECRETVALUE</map>",
                "invalid XML at line 1",
            ),
            (
                "<html><string name=\"k\">SECRETVALUE</string></html>",
                "no <map> element",
            ),
            ("<!DOCTYPE map [<!ENTITY x \"y\">]><map/>", "invalid XML"),
        ] {
            match parse(text.as_bytes(), Format::OtpauthList) {
                Err(ImportError::Malformed { reason, .. }) => {
                    assert!(reason.contains(needle), "{reason}");
                    assert!(!reason.contains("SECRETVALUE"), "{reason}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        let many = format!(
            "<map>{}</map>",
            "<int name=\"n\" value=\"1\"/>".repeat(MAX_NODES as usize)
        );
        match parse(many.as_bytes(), Format::OtpauthList) {
            Err(ImportError::Malformed { reason, .. }) => assert_eq!(reason, "too many XML nodes"),
            other => panic!("{other:?}"),
        }
    }
}
