//! The crash-test hook: with the `test-hook` feature, `RAWBPF_TEST_PAUSE_AT=<step>` makes
//! `rawbpf load` announce the step on stderr and pause there, so a test can SIGKILL it at
//! exactly that point (see `docs/guarantees.md`, "Crashes"). Without the feature (every
//! release build) [`reached`] is empty and the variable means nothing. `tests/run.sh`
//! builds the tests with the feature.
//!
//! In unit tests, `FAIL_AT` injects an error at a step instead (to exercise rollback).

use crate::error::Result;

/// The environment variable of the hook.
pub const PAUSE_ENV: &str = "RAWBPF_TEST_PAUSE_AT";

/// What the hook prints on stderr before pausing: `<PAUSED_MARKER> <step>`.
pub const PAUSED_MARKER: &str = "rawbpf: test hook: paused at";

/// The steps of `load`, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// The pin root is locked.
    Locked,
    /// The object's BTF is loaded.
    BtfLoaded,
    /// Maps are reused or created (none pinned yet).
    MapsReady,
    /// Every program is loaded.
    ProgramsLoaded,
    /// New maps are pinned.
    AfterPin,
    /// A program's pending attach record is pinned.
    RecordPending,
    /// It is attached.
    AfterAttach,
    /// Every attach record is final.
    AfterRecords,
    /// Moving a program an earlier rawbpf attached without a link: the new link is attached
    /// and pinned, the old program not yet detached (both run). Reached only then, so not
    /// in [`Step::ALL`].
    LinkPinned,
}

impl Step {
    /// Every step every attaching load reaches, in that order ([`Step::LinkPinned`] comes
    /// between `AfterAttach`'s attach and its pause when a record of an earlier rawbpf is
    /// moved to a link).
    pub const ALL: [Step; 8] = [
        Step::Locked,
        Step::BtfLoaded,
        Step::MapsReady,
        Step::ProgramsLoaded,
        Step::AfterPin,
        Step::RecordPending,
        Step::AfterAttach,
        Step::AfterRecords,
    ];

    /// The value of [`PAUSE_ENV`] that names this step.
    pub fn name(self) -> &'static str {
        match self {
            Step::Locked => "locked",
            Step::BtfLoaded => "btf_loaded",
            Step::MapsReady => "maps_ready",
            Step::ProgramsLoaded => "programs_loaded",
            Step::AfterPin => "after_pin",
            Step::RecordPending => "record_pending",
            Step::AfterAttach => "after_attach",
            Step::AfterRecords => "after_records",
            Step::LinkPinned => "link_pinned",
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Unit tests only: the step at which [`reached`] returns an error, to exercise rollback.
    pub(crate) static FAIL_AT: std::cell::Cell<Option<Step>> = const { std::cell::Cell::new(None) };
}

/// Marks that `load` reached `step`: with the `test-hook` feature, pauses there when
/// [`PAUSE_ENV`] names it.
#[allow(clippy::unnecessary_wraps)] // Err only in unit tests.
pub fn reached(step: Step) -> Result<()> {
    #[cfg(test)]
    if FAIL_AT.with(std::cell::Cell::get) == Some(step) {
        return Err(crate::error::Error::Unsupported {
            what: format!("injected failure at {}", step.name()),
        });
    }
    #[cfg(feature = "test-hook")]
    if std::env::var_os(PAUSE_ENV).is_some_and(|v| v == step.name()) {
        eprintln!("{PAUSED_MARKER} {}", step.name());
        // Long enough for any test to kill it; then the load goes on.
        std::thread::sleep(std::time::Duration::from_secs(120));
    }
    #[cfg(not(any(test, feature = "test-hook")))]
    let _ = step;
    Ok(())
}
