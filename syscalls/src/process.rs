//! Process-wide settings a command-line tool needs that std does not offer safely.

/// Restores the default `SIGPIPE` disposition (terminate), which the Rust runtime sets to
/// "ignore" at start-up. Without this, `rawbpf inspect obj.o | head` makes `println!` panic
/// on `EPIPE`; with it the process ends quietly like any Unix filter when the reader leaves.
pub fn reset_sigpipe() {
    // SAFETY: `signal` with `SIG_DFL` installs no handler (no Rust code runs in signal
    // context); it only changes this process's disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
