//! The crash-test hook: `RAWBPF_TEST_PAUSE_AT=<step>` makes `rawbpf load` announce the step
//! on stderr and pause there, so a test can SIGKILL it at exactly that point (see
//! `docs/guarantees.md`, "Crashes"). Compiled into every build because the end-to-end tests
//! drive the real binary, and inert unless the variable is set: then it costs one
//! environment lookup per step. It is a test hook, not an interface; never set it in
//! production.
//!
//! In unit tests, `FAIL_AT` injects an error at a step instead (to exercise rollback).

use std::time::Duration;

#[cfg(test)]
use crate::error::Error;
use crate::error::Result;

/// The environment variable of the hook.
pub const PAUSE_ENV: &str = "RAWBPF_TEST_PAUSE_AT";

/// What the hook prints on stderr before pausing: `<PAUSED_MARKER> <step>`.
pub const PAUSED_MARKER: &str = "rawbpf: test hook: paused at";

/// How long a paused run waits to be killed before it goes on.
const PAUSE: Duration = Duration::from_secs(120);

/// The steps of `load`, in order: the pin root is locked; the BTF is loaded; maps are
/// reused or created (none pinned yet); programs are loaded; new maps are pinned; a
/// program's pending attach record is pinned; it is attached; every attach record is final.
pub const LOAD_STEPS: [&str; 8] = [
    "locked",
    "btf_loaded",
    "maps_ready",
    "programs_loaded",
    "after_pin",
    "record_pending",
    "after_attach",
    "after_records",
];

#[cfg(test)]
thread_local! {
    /// Unit tests only: the step at which [`step`] returns an error, to exercise rollback.
    pub(crate) static FAIL_AT: std::cell::Cell<Option<&'static str>> =
        const { std::cell::Cell::new(None) };
}

/// Marks that `load` reached `name`: pauses there when [`PAUSE_ENV`] names it.
pub fn step(name: &'static str) -> Result<()> {
    #[cfg(test)]
    if FAIL_AT.with(std::cell::Cell::get) == Some(name) {
        return Err(Error::Unsupported {
            what: format!("injected failure at {name}"),
        });
    }
    if std::env::var_os(PAUSE_ENV).is_some_and(|v| v == name) {
        eprintln!("{PAUSED_MARKER} {name}");
        std::thread::sleep(PAUSE);
    }
    Ok(())
}
