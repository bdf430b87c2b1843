//! Putting codes on a clipboard, and taking them off again.
//!
//! [`Clipboard`] is the seam: the real one uses the system clipboard (arboard:
//! X11, Wayland through the data-control protocol, macOS, Windows) when there
//! is one and the terminal's clipboard through an OSC 52 escape sequence
//! otherwise (which also works over SSH); tests use [`Fake`]. Codes go to the
//! system clipboard marked as secret where the platform has a way, so
//! clipboard managers keep them out of their history: arboard's
//! `exclude_from_history` offers `x-kde-passwordManagerHint: secret` on X11 and
//! Wayland (KDE's Klipper and others honour it), the concealed type on macOS
//! and the history/cloud exclusion formats on Windows.
//! Clearing only removes the code if the clipboard still holds it, so a
//! person who copied something else since keeps it. OSC 52 cannot read the
//! clipboard back, so there the code is overwritten with an empty selection.

use std::io::Write;

use base64::Engine as _;
use zeroize::Zeroizing;

use super::app::CopyTarget;

/// Where codes go.
pub trait Clipboard {
    /// Puts `text` on a clipboard and says which.
    fn copy(&mut self, text: &str) -> Result<CopyTarget, String>;
    /// Removes our last copy if the clipboard still holds it.
    fn clear(&mut self);
}

/// Which clipboard to use (`KEYFOB_CLIPBOARD=system|osc52`, default: system if there is one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preference {
    /// The system clipboard, OSC 52 when it is unavailable.
    Auto,
    /// Always OSC 52.
    Osc52,
}

/// The system clipboard with OSC 52 as the fallback, writing escapes to `out`.
pub struct System<W: Write> {
    preference: Preference,
    system: Option<arboard::Clipboard>,
    tried: bool,
    ours: Option<(CopyTarget, Zeroizing<String>)>,
    out: W,
}

impl<W: Write> System<W> {
    /// A clipboard writing OSC 52 sequences to `out` (the terminal).
    pub fn new(preference: Preference, out: W) -> Self {
        System {
            preference,
            system: None,
            tried: false,
            ours: None,
            out,
        }
    }

    fn system(&mut self) -> Option<&mut arboard::Clipboard> {
        if !self.tried && self.preference == Preference::Auto {
            self.tried = true;
            self.system = arboard::Clipboard::new().ok();
        }
        self.system.as_mut()
    }

    fn osc52(&mut self, text: &str) -> std::io::Result<()> {
        let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(text));
        write!(self.out, "\x1b]52;c;{}\x07", encoded.as_str())?;
        self.out.flush()
    }
}

impl<W: Write> Clipboard for System<W> {
    fn copy(&mut self, text: &str) -> Result<CopyTarget, String> {
        let system_ok = self
            .system()
            .is_some_and(|system| set_secret_text(system, text).is_ok());
        let target = match system_ok {
            true => CopyTarget::System,
            false => {
                self.osc52(text)
                    .map_err(|e| format!("could not write to the terminal: {e}"))?;
                CopyTarget::Osc52
            }
        };
        self.ours = Some((target, Zeroizing::new(text.to_string())));
        Ok(target)
    }

    fn clear(&mut self) {
        let Some((target, code)) = self.ours.take() else {
            return;
        };
        match target {
            CopyTarget::System => {
                if let Some(system) = self.system.as_mut() {
                    let current = system.get_text().map(Zeroizing::new);
                    if current.is_ok_and(|c| c.as_str() == code.as_str()) {
                        let _ = system.clear();
                    }
                }
            }
            CopyTarget::Osc52 => {
                let _ = self.osc52("");
            }
        }
    }
}

/// Puts `text` on the system clipboard, marked as secret for clipboard managers.
fn set_secret_text(system: &mut arboard::Clipboard, text: &str) -> Result<(), arboard::Error> {
    let set = system.set();
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "android", target_os = "emscripten"))
    ))]
    let set = arboard::SetExtLinux::exclude_from_history(set);
    #[cfg(target_os = "macos")]
    let set = arboard::SetExtApple::exclude_from_history(set);
    #[cfg(windows)]
    let set = {
        use arboard::SetExtWindows as _;
        set.exclude_from_history().exclude_from_cloud()
    };
    set.text(text.to_string())
}

#[cfg(test)]
/// A clipboard for tests: remembers what it holds (a test may change `content`
/// to play a person copying something else).
#[derive(Default)]
pub struct Fake {
    /// What the clipboard holds.
    pub content: Option<String>,
    ours: Option<String>,
}

#[cfg(test)]
impl Clipboard for Fake {
    fn copy(&mut self, text: &str) -> Result<CopyTarget, String> {
        self.content = Some(text.to_string());
        self.ours = Some(text.to_string());
        Ok(CopyTarget::System)
    }

    fn clear(&mut self) {
        if self
            .ours
            .take()
            .is_some_and(|ours| self.content.as_ref() == Some(&ours))
        {
            self.content = None;
        }
    }
}
