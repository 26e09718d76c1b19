//! Every object of `tests/objects/` through `rawbpf load --no-attach --no-pin` on the real
//! kernel: the ones that must load do, the two that must not are refused with exit 5, and
//! the count is printed (`compat objects: N of M load`).

use crate::compat_common::object;
use crate::harness::TestEnv;
use crate::harness::features;
use crate::harness::kernel::kernel_config;

/// What a test object must do.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Loads,
    /// rawbpf refuses it on purpose (exit 5, with a reason).
    Refused,
    /// Loads where the kernel allows BPF trampolines; some kernels refuse with EPERM.
    KernelMayRefuse,
    /// Loads where the kernel's configuration is readable; refused with exit 5 elsewhere.
    NeedsKernelConfig,
    /// Loads where the kernel has the `bpf_loop` helper (5.17+); refused with exit 4, the
    /// helper named, elsewhere.
    NeedsBpfLoop,
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
    ("loose_sections.o", Loads),
    ("tracing_btf.o", Loads),
    ("tracing_fentry.o", KernelMayRefuse),
    ("bad_trailing.o", Refused),
    ("rodata_knobs.be.o", Refused),
];

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
            NeedsBpfLoop => assert_eq!(code, 4, "{name}: {err}"),
            KernelMayRefuse if code == 0 => loaded += 1,
            KernelMayRefuse => {
                // EPERM with no verifier log (this kernel's answer to the trampoline
                // programs) is the environment's refusal, exit 4, not a verdict.
                assert!(
                    code == 4
                        && err.contains("operation not permitted")
                        && err.contains("without a verifier verdict"),
                    "{name}: exit {code}: {err}"
                );
                eprintln!(
                    "compat: {name} refused by the kernel (EPERM, no verifier log): {}",
                    err.trim()
                );
            }
        }
    }
    eprintln!("compat objects: {loaded} of {} load", OBJECTS.len());
}

#[test]
fn every_test_object_inspects_without_privileges_or_kernel() {
    for &(name, _) in OBJECTS {
        let obj = object(name);
        let out = crate::harness::cli::rawbpf(["inspect", obj.as_str()]);
        // bad_trailing.o is refused by the parser itself; everything else parses.
        assert_eq!(
            out.status.success(),
            name != "bad_trailing.o",
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
