//! Progress output of `byzvote models fetch`: a bar on a terminal, plain lines in logs and CI.

use indicatif::{ProgressBar, ProgressStyle};

/// How a fetch reports progress (on standard error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Print nothing.
    Quiet,
    /// One line per step; good for logs and CI.
    Lines,
    /// A progress bar per file (plain lines when stderr is not a terminal).
    Bar,
}

pub(crate) struct Reporter {
    mode: Progress,
}

impl Reporter {
    pub(crate) fn new(mode: Progress) -> Self {
        use std::io::IsTerminal;
        // A bar in a log file is noise: fall back to lines when stderr is not a terminal.
        let mode = match mode {
            Progress::Bar if !std::io::stderr().is_terminal() => Progress::Lines,
            m => m,
        };
        Self { mode }
    }

    pub(crate) fn line(&self, msg: &str) {
        match self.mode {
            Progress::Quiet => {}
            // No bar is active between files, so a plain line is safe in both modes.
            Progress::Lines | Progress::Bar => eprintln!("{msg}"),
        }
    }

    pub(crate) fn bar(&self, file: &str, total: u64) -> Bar {
        let bar = match self.mode {
            Progress::Bar => {
                let bar = ProgressBar::new(total);
                if let Ok(style) = ProgressStyle::with_template(
                    "{bar:30} {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12} {msg}",
                ) {
                    bar.set_style(style);
                }
                Some(bar)
            }
            _ => None,
        };
        Bar {
            bar,
            lines: self.mode == Progress::Lines,
            file: file.to_string(),
        }
    }
}

/// Progress of one file.
pub(crate) struct Bar {
    bar: Option<ProgressBar>,
    lines: bool,
    file: String,
}

impl Bar {
    pub(crate) fn message(&self, msg: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(msg.to_string());
        } else if self.lines {
            eprintln!("{msg}");
        }
    }

    pub(crate) fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    pub(crate) fn finish(&self, msg: &str) {
        if let Some(bar) = &self.bar {
            bar.finish_with_message(msg.to_string());
        } else if self.lines {
            eprintln!("{msg}");
        }
        let _ = &self.file;
    }
}
