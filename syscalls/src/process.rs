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

static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_stop(_signal: libc::c_int) {
    // Async-signal-safe: one atomic store.
    STOP.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Makes SIGINT and SIGTERM set a flag instead of ending the process, for a loop (`map dump
/// --watch`) that ends cleanly when asked; returns the flag.
pub fn catch_stop_signals() -> &'static std::sync::atomic::AtomicBool {
    let handler = on_stop as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to a static atomic, which is async-signal-safe; `signal`
    // changes this process's dispositions for SIGINT and SIGTERM and nothing else.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
    &STOP
}
