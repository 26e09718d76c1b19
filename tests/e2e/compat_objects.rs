//! Every object of `tests/objects/` through `rawbpf load --no-attach --no-pin` on the real
//! kernel: the ones that must load do, the two that must not are refused with exit 5, and
//! the count is printed (`compat objects: N of M load`). Each also goes through `rawbpf
//! inspect` as `nobody`, which needs neither privileges nor the kernel.

use std::ffi::OsStr;
use std::fs::Permissions;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Output};

use nix::unistd::geteuid;

use crate::compat_common::object;
use crate::harness::TestEnv;
use crate::harness::cli::{self, NOBODY, RAWBPF};
use crate::harness::features;
use crate::harness::kernel::kernel_config;
use crate::harness::trampolines::{Trampolines, trampolines};

/// What a test object must do.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Loads,
    /// rawbpf refuses it on purpose (exit 5, with a reason).
    Refused,
    /// Loads where the kernel allows BPF trampolines, refused with EPERM under lockdown
    /// (`harness::trampolines` decides which).
    NeedsTrampolines,
    /// Loads where the kernel's configuration is readable; refused with exit 5 elsewhere.
    NeedsKernelConfig,
    /// Loads where the kernel has the `bpf_loop` helper (5.17+); refused with exit 4, the
    /// helper named, elsewhere.
    NeedsBpfLoop,
    /// Loads where the kernel has arena maps (6.9+) and lets this process create one;
    /// refused with exit 4 elsewhere (the map type named before 6.9, EPERM under lockdown).
    NeedsArena,
    /// Has functions in sections of no known type: refused with exit 5 as it is, loads with
    /// these `--prog-type NAME=TYPE` arguments.
    NeedsProgTypes(&'static [&'static str]),
}

use Expect::*;

const OBJECTS: &[(&str, Expect)] = &[
    ("iproute2_sockmesh.o", Loads),
    ("legacy_samples.o", Loads),
    ("ringbuf_events.o", Loads),
    ("tailcall_mim.o", NeedsBpfLoop),
    ("core_vmlinux.o", Loads),
    ("externs_kernel.o", NeedsKernelConfig),
    ("rodata_knobs.o", Loads),
    ("sockops_pair.o", Loads),
    (
        "loose_sections.o",
        NeedsProgTypes(&["custom_filter=socket_filter"]),
    ),
    (
        "unknown_sections.o",
        NeedsProgTypes(&[
            "us_tc_ingress=sched_cls",
            "us_program1=socket_filter",
            "us_prog_a=socket_filter",
            "us_prog_b=sched_act",
        ]),
    ),
    ("tracing_btf.o", Loads),
    ("tracing_fentry.o", NeedsTrampolines),
    ("arena_pages.o", NeedsArena),
    ("usdt_probe.o", Loads),
    ("bad_trailing.o", Refused),
    ("extern_plain.o", Refused),
    ("rodata_knobs.be.o", Refused),
];

/// Checks a trampoline object's load against what this kernel must do with it; 1 when it
/// loaded.
fn trampoline_load(name: &str, code: i32, err: &str) -> usize {
    // EPERM with no verifier log: the environment's refusal (exit 4), not a verdict.
    let refused = code == 4
        && err.contains("operation not permitted")
        && err.contains("without a verifier verdict");
    match trampolines() {
        Trampolines::Refused(why) => {
            assert!(refused, "{name} must be refused: {why}; exit {code}: {err}");
            eprintln!("compat: {name} refused by the kernel as expected ({why})");
        }
        Trampolines::Load(why) => {
            assert_eq!(code, 0, "{name} must load: {why}; {err}");
            eprintln!("compat: {name} loaded as expected ({why})");
        }
        Trampolines::Unknown(why) => {
            assert!(code == 0 || refused, "{name}: exit {code}: {err}");
            let what = if code == 0 {
                "loaded"
            } else {
                "refused (EPERM)"
            };
            eprintln!("compat: {name} {what}; either is accepted here: {why}");
        }
    }
    usize::from(code == 0)
}

#[test]
fn every_test_object_loads_or_is_refused_with_a_reason() {
    let Some(env) = TestEnv::new("compat_all") else {
        return;
    };
    let mut loaded = 0;
    for &(name, expect) in OBJECTS {
        let obj = object(name);
        let (_, out) = env.run(&["load", &obj, "--no-attach", "--no-pin"]);
        let code = out.status.code().unwrap_or(-1);
        let err = String::from_utf8_lossy(&out.stderr);
        match expect {
            Loads => {
                assert_eq!(code, 0, "{name}: {err}");
                loaded += 1;
            }
            Refused => {
                assert_eq!(code, 5, "{name}: {err}");
                eprintln!("compat: {name} refused by rawbpf: {}", err.trim());
            }
            NeedsKernelConfig if kernel_config().is_some() => {
                assert_eq!(code, 0, "{name}: {err}");
                loaded += 1;
            }
            NeedsKernelConfig => assert_eq!(code, 5, "{name}: {err}"),
            NeedsBpfLoop if features::bpf_loop() => {
                assert_eq!(code, 0, "{name}: {err}");
                loaded += 1;
            }
            NeedsBpfLoop => {
                assert_eq!(code, 4, "{name}: {err}");
                assert!(err.contains("181 (bpf_loop)"), "{name}: {err}");
            }
            NeedsArena if features::arena_maps() && features::arena_creatable().is_ok() => {
                assert_eq!(code, 0, "{name}: {err}");
                loaded += 1;
            }
            NeedsArena => assert_eq!(code, 4, "{name}: {err}"),
            NeedsTrampolines => loaded += trampoline_load(name, code, &err),
            NeedsProgTypes(types) => {
                assert_eq!(code, 5, "{name} has untyped functions: {err}");
                let mut args = vec!["load", obj.as_str(), "--no-attach", "--no-pin"];
                for t in types {
                    args.extend(["--prog-type", t]);
                }
                env.json(&args);
                loaded += 1;
            }
        }
    }
    eprintln!("compat objects: {loaded} of {} load", OBJECTS.len());
}

/// Copies of every test object in a fresh directory anyone can read (0755, files 0644), plus
/// `root-only.o` (0600): the checkout itself may sit where `nobody` cannot read (under /root).
fn world_readable_copies() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for &(name, _) in OBJECTS {
        let copy = dir.path().join(name);
        std::fs::copy(object(name), &copy).unwrap();
        std::fs::set_permissions(&copy, Permissions::from_mode(0o644)).unwrap();
    }
    let secret = dir.path().join("root-only.o");
    std::fs::copy(object("rodata_knobs.o"), &secret).unwrap();
    std::fs::set_permissions(&secret, Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(dir.path(), Permissions::from_mode(0o755)).unwrap();
    dir
}

/// `rawbpf <args>` as `nobody` when the tests run as root (they do: tests/run.sh), else as
/// the unprivileged user running them.
fn unprivileged<S: AsRef<OsStr>>(args: &[S]) -> Output {
    let mut cmd = Command::new(RAWBPF);
    cmd.args(args);
    if geteuid().is_root() {
        cmd.uid(NOBODY).gid(NOBODY);
    }
    cli::rawbpf_with(&mut cmd)
}

#[test]
fn every_test_object_inspects_without_privileges_or_kernel() {
    let dir = world_readable_copies();
    for &(name, _) in OBJECTS {
        let copy = dir.path().join(name);
        let out = unprivileged(&[OsStr::new("inspect"), copy.as_os_str()]);
        // bad_trailing.o is refused by the parser itself; everything else parses.
        assert_eq!(
            out.status.success(),
            name != "bad_trailing.o",
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    if !geteuid().is_root() {
        eprintln!(
            "compat: inspected as uid {}, already unprivileged",
            geteuid()
        );
        return;
    }
    // The runs above really had neither root's files nor its capabilities: a root-only file
    // is unreadable to them, and a load is refused for want of CAP_BPF (exit 4).
    let secret = dir.path().join("root-only.o");
    let out = unprivileged(&[OsStr::new("inspect"), secret.as_os_str()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() == Some(5) && err.contains("Permission denied"),
        "inspect of a 0600 root file: exit {:?}: {err}",
        out.status.code()
    );
    let obj = dir.path().join("rodata_knobs.o");
    let load = [OsStr::new("load"), obj.as_os_str()];
    let out = unprivileged(&[&load[..], &["--no-attach", "--no-pin"].map(OsStr::new)].concat());
    assert_eq!(
        out.status.code(),
        Some(4),
        "load as nobody: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
