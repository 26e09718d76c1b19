//! Links the `rawbpf` binary statically, as a static PIE (`-static-pie`, `ldd`: "statically
//! linked"): no shared library at all, so the README's `cargo build --release` gives a binary
//! that runs on any Linux of its architecture and skips the dynamic loader's work at every
//! start (`rawbpf --version`: 324 k user instructions instead of 524 k), while its own code
//! keeps address-space randomisation (a plain `-static` saves another 40 k and loses it; a
//! tool that runs as root keeps it).
//! See docs/deployment.md.
//!
//! Why here and not `-C target-feature=+crt-static` in `.cargo/config.toml`: without an
//! explicit `--target`, cargo applies those rustflags to build scripts and proc-macros too,
//! and a proc-macro (clap_derive, serde_derive, thiserror-impl) cannot be built with a
//! static C runtime. A link argument reaches only the `rawbpf` binary (the test binaries
//! stay dynamic). rustc still names the shared libraries it links without crt-static
//! (`-lgcc_s -lc -lm ...`, after `-Wl,-Bdynamic`); a one-line linker script per name in
//! OUT_DIR (`libc.so`: `INPUT(-l:libc.a)`, `libgcc_s.so`: the static `libgcc_eh` and
//! `libgcc`), searched first, sends the linker to the archives.
//!
//! `RAWBPF_DYNAMIC=1` at build time keeps the default dynamic link (for a profiler that
//! needs it, say).

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RAWBPF_DYNAMIC");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let crt_static = features.split(',').any(|f| f == "crt-static");
    if os != "linux" || env != "gnu" || crt_static || std::env::var_os("RAWBPF_DYNAMIC").is_some() {
        return;
    }
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let linker = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".to_string());
    if let Some(missing) = missing_archive(&linker) {
        // glibc's libc.a comes with libc6-dev on Debian and Ubuntu, but is a package of its
        // own elsewhere (glibc-static on Fedora): without it the binary stays dynamic.
        println!(
            "cargo:warning=rawbpf is linked dynamically: {linker} finds no {missing} \
             (install glibc's static libraries for a static binary)"
        );
        return;
    }
    // rustc names these after `-Wl,-Bdynamic`; each stub sends the linker to the archive.
    let stubs = [
        ("gcc_s", "-l:libgcc_eh.a -l:libgcc.a"),
        ("c", "-l:libc.a"),
        ("m", "-l:libm.a"),
        ("rt", "-l:librt.a"),
        ("pthread", "-l:libpthread.a"),
        ("dl", "-l:libdl.a"),
        ("util", "-l:libutil.a"),
    ];
    for (lib, archives) in stubs {
        let script = format!("INPUT({archives})\n");
        if std::fs::write(out.join(format!("lib{lib}.so")), script).is_err() {
            return;
        }
    }
    // A link argument, not `rustc-link-search`: that would reach the test binaries too,
    // which stay dynamic. gcc puts every `-L` before its own library directories.
    println!("cargo:rustc-link-arg-bin=rawbpf=-L{}", out.display());
    println!("cargo:rustc-link-arg-bin=rawbpf=-static-pie");
}

/// The first archive of the static link that the C compiler linking the binary cannot find
/// (`cc -print-file-name=NAME` prints NAME alone then), if any.
fn missing_archive(linker: &str) -> Option<&'static str> {
    ["libc.a", "libgcc_eh.a", "libgcc.a", "libm.a"]
        .into_iter()
        .find(|archive| {
            let found = std::process::Command::new(linker)
                .arg(format!("-print-file-name={archive}"))
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
            found.is_none_or(|path| path == *archive)
        })
}
