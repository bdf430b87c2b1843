//! Android shared preferences (`shared_prefs/*.xml`): the `<map>` of named
//! `<string>`, `<int>`, `<boolean>` … values that apps keep their settings and,
//! for several authenticators, their secrets in. Every importer of such a file
//! reads it through here, with a kept XML parser (`roxmltree`).

use zeroize::Zeroizing;

use super::{Format, ImportError};

/// The `<string>` values of one preferences file, in file order.
pub struct Prefs {
    strings: Vec<(String, Zeroizing<String>)>,
}

/// True when the text looks like a shared-preferences file: XML whose first
/// element is `<map>`.
pub fn looks_like_prefs(text: &str) -> bool {
    let text = text.trim_start();
    let body = match text.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or("", |(_, body)| body),
        None => text,
    };
    body.trim_start().starts_with("<map")
}

impl Prefs {
    /// Parses a preferences file. Anything but a `<map>` root is malformed.
    pub fn parse(bytes: &[u8], format: Format) -> Result<Prefs, ImportError> {
        let text = super::text(bytes, format)?;
        let options = roxmltree::ParsingOptions {
            allow_dtd: false,
            ..roxmltree::ParsingOptions::default()
        };
        // The parser's message can quote the file (and so a secret): only its position is kept.
        let document = roxmltree::Document::parse_with_options(text, options).map_err(|e| {
            let at = e.pos();
            ImportError::malformed(
                format,
                format!("invalid XML at line {} column {}", at.row, at.col),
            )
        })?;
        let root = document.root_element();
        if root.tag_name().name() != "map" {
            return Err(ImportError::malformed(
                format,
                "the XML is not Android preferences (no <map>)",
            ));
        }
        let strings = root
            .children()
            .filter(|n| n.is_element() && n.tag_name().name() == "string")
            .filter_map(|n| {
                let name = n.attribute("name")?;
                let value: String = n
                    .children()
                    .filter(|c| c.is_text())
                    .filter_map(|c| c.text())
                    .collect();
                Some((name.to_string(), Zeroizing::new(value)))
            })
            .collect();
        Ok(Prefs { strings })
    }

    /// The `<string name="…">` value, if present (the first, if repeated).
    pub fn string(&self, name: &str) -> Option<&str> {
        self.strings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}
