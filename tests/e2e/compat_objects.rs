//! Every object of `tests/objects/` through `rawbpf load --no-attach --no-pin` on the real
//! kernel: the ones that must load do, the two that must not are refused with exit 5, and
//! the count is printed (`compat objects: N of M load`).

use crate::compat_common::object;
use crate::harness::TestEnv;

/// (object, loads?) — the refused ones are refused on purpose.
const OBJECTS: &[(&str, bool)] = &[
    ("iproute2_sockmesh.o", true),
    ("legacy_samples.o", true),
    ("ringbuf_events.o", true),
    ("tailcall_mim.o", true),
    ("core_vmlinux.o", true),
    ("externs_kernel.o", true),
    ("rodata_knobs.o", true),
    ("loose_sections.o", true),
    ("bad_trailing.o", false),
    ("rodata_knobs.be.o", false),
];

#[test]
fn every_test_object_loads_or_is_refused_with_a_reason() {
    let Some(env) = TestEnv::new("compat_all") else { return };
    let mut loaded = 0;
    for &(name, loads) in OBJECTS {
        let obj = object(name);
        let (_, out) = env.run(&["load", &obj, "--no-attach", "--no-pin"]);
        let code = out.status.code().unwrap_or(-1);
        if loads {
            assert_eq!(code, 0, "{name}: {}", String::from_utf8_lossy(&out.stderr));
            loaded += 1;
        } else {
            assert_eq!(code, 5, "{name}: {}", String::from_utf8_lossy(&out.stderr));
            eprintln!("compat: {name} refused: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
    }
    eprintln!("compat objects: {loaded} of {} load", OBJECTS.len());
}

#[test]
fn every_test_object_inspects_without_privileges_or_kernel() {
    for &(name, loads) in OBJECTS {
        let obj = object(name);
        let out = crate::harness::cli::rawbpf(["inspect", obj.as_str()]);
        let ok = out.status.success();
        // bad_trailing.o is refused by the parser itself; everything else parses.
        assert_eq!(ok, loads || name.ends_with(".be.o"), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
