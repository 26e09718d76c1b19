//! Minimal terminal colour: on only when the stream is a terminal and `NO_COLOR` is unset
//! or empty (<https://no-color.org>).

use std::io::IsTerminal;

/// Whether to colour one output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint {
    on: bool,
}

impl Paint {
    fn new(terminal: bool) -> Paint {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Paint {
            on: terminal && !no_color,
        }
    }

    /// No colour.
    #[cfg(test)]
    pub fn plain() -> Paint {
        Paint { on: false }
    }

    /// For text printed on stdout.
    pub fn stdout() -> Paint {
        Paint::new(std::io::stdout().is_terminal())
    }

    /// For text printed on stderr.
    pub fn stderr() -> Paint {
        Paint::new(std::io::stderr().is_terminal())
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Headings.
    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    /// The verifier's verdict, errors.
    pub fn red(self, text: &str) -> String {
        self.wrap("1;31", text)
    }

    /// Source lines.
    pub fn cyan(self, text: &str) -> String {
        self.wrap("36", text)
    }

    /// Secondary detail.
    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
}

#[cfg(test)]
mod tests {
    use super::Paint;

    #[test]
    fn plain_when_off() {
        let p = Paint { on: false };
        assert_eq!(p.bold("x"), "x");
        let p = Paint { on: true };
        assert_eq!(p.red("x"), "\x1b[1;31mx\x1b[0m");
    }
}
