//! Terminal colour: the styles are `anstyle`'s, and whether a stream gets them is
//! `anstream`'s choice, the one clap makes for `--help` (<https://no-color.org>,
//! <https://bixense.com/clicolors/>): `NO_COLOR` non-empty turns colour off,
//! `CLICOLOR_FORCE` non-empty turns it on, `CLICOLOR=0` turns it off, and otherwise colour
//! needs a terminal whose `TERM` is set and not `dumb`.

use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Style};

const BOLD: Style = Style::new().bold();
const RED: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
const CYAN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
const DIM: Style = Style::new().dimmed();

/// Whether to colour one output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint {
    on: bool,
}

impl Paint {
    fn new(choice: ColorChoice) -> Paint {
        Paint {
            on: choice != ColorChoice::Never,
        }
    }

    /// No colour.
    #[cfg(test)]
    pub fn plain() -> Paint {
        Paint { on: false }
    }

    /// For text printed on stdout.
    pub fn stdout() -> Paint {
        Paint::new(AutoStream::choice(&std::io::stdout()))
    }

    /// For text printed on stderr.
    pub fn stderr() -> Paint {
        Paint::new(AutoStream::choice(&std::io::stderr()))
    }

    fn wrap(self, style: Style, text: &str) -> String {
        if self.on {
            format!("{style}{text}{style:#}")
        } else {
            text.to_string()
        }
    }

    /// Headings.
    pub fn bold(self, text: &str) -> String {
        self.wrap(BOLD, text)
    }

    /// The verifier's verdict, errors.
    pub fn red(self, text: &str) -> String {
        self.wrap(RED, text)
    }

    /// Source lines.
    pub fn cyan(self, text: &str) -> String {
        self.wrap(CYAN, text)
    }

    /// Secondary detail.
    pub fn dim(self, text: &str) -> String {
        self.wrap(DIM, text)
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
        assert_eq!(p.red("x"), "\x1b[1m\x1b[31mx\x1b[0m");
        assert_eq!(p.dim("x"), "\x1b[2mx\x1b[0m");
    }
}
