//! `load --btf FILE`: CO-RE resolved against a given BTF (raw, or an ELF file's `.BTF`)
//! instead of the running kernel's.

use crate::compat_common::{data_of, error_of, load_pinned, object, pinned_prog, run_once};
use crate::harness::{TestEnv, cli};

/// `--btf /sys/kernel/btf/vmlinux` gives the program the very values the default does.
#[test]
fn btf_file_of_the_kernel_resolves_as_the_default() {
    let (Some(default), Some(given)) = (
        TestEnv::new("compat_btf_default"),
        TestEnv::new("compat_btf_given"),
    ) else {
        return;
    };
    let out = |env: &TestEnv, extra: &[&str]| {
        load_pinned(env, "core_vmlinux.o", extra);
        let prog = pinned_prog(env, "core_probe");
        assert_eq!(run_once(&prog), 1);
        data_of(&prog, ".bss")
    };
    let expected = out(&default, &[]);
    assert_eq!(
        out(&given, &["--btf", "/sys/kernel/btf/vmlinux"]),
        expected,
        "CO-RE results against --btf vmlinux"
    );
}

/// A target BTF without the object's types (another object's `.BTF`) poisons the
/// unguarded relocations: the verifier refuses (exit 6) and nothing is left behind. A file
/// that is no BTF is a usage error naming it.
#[test]
fn btf_file_without_the_types_poisons_and_bad_files_are_usage_errors() {
    let Some(env) = TestEnv::new("compat_btf_foreign") else {
        return;
    };
    let foreign = object("rodata_knobs.o");
    let mut full = vec!["--json".to_string()];
    full.extend(env.args(&[
        "load",
        &object("core_vmlinux.o"),
        "--no-attach",
        "--btf",
        &foreign,
    ]));
    let out = cli::rawbpf(&full);
    cli::assert_exit(&full, &out, &[6]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = v["error"].as_str().unwrap_or_default();
    // The first instruction is out[0] = bpf_core_field_offset(struct task_struct, pid).
    assert!(
        e.contains("struct task_struct.pid") && e.contains(&foreign),
        "{e}"
    );
    assert!(env.pins.contents().is_empty(), "{:?}", env.pins.contents());

    let script = object("build.sh");
    for bad in ["/nonexistent/vmlinux", script.as_str()] {
        let e = error_of(&env, &["load", &object("core_vmlinux.o"), "--btf", bad], 2);
        assert!(e.contains(bad), "{e}");
    }
}

/// An unguarded CO-RE read of a field the kernel lacks: the verifier refuses the poisoned
/// instruction (exit 6) and the error names the relocation's type and field, not the
/// "unknown helper" the kernel saw; nothing is left loaded or pinned.
#[test]
fn unguarded_poisoned_relocation_is_named_in_the_error() {
    let Some(env) = TestEnv::new("compat_btf_poisoned") else {
        return;
    };
    let mut full = vec!["--json".to_string()];
    full.extend(env.args(&["load", &object("core_unguarded.o"), "--no-attach"]));
    let out = cli::rawbpf(&full);
    cli::assert_exit(&full, &out, &[6]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = v["error"].as_str().unwrap_or_default();
    assert!(
        e.contains("struct task_struct___fake.rawbpf_no_such_field")
            && e.contains("insn 0")
            && e.contains("/sys/kernel/btf/vmlinux"),
        "{e}"
    );
    // The poisoning warning is printed although the load failed.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("was poisoned"), "{stderr}");
    assert!(env.pins.contents().is_empty(), "{:?}", env.pins.contents());
    assert!(
        crate::harness::kernel::live_prog_ids_named("core_unguarded").is_empty(),
        "a program left loaded"
    );
}
