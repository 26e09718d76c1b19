//! Object forms of libbpf 1.4+ and its headers, on the real kernel: an arena map whose
//! `map_extra` is given with `__ulong()` (`arena_pages.o`), and a USDT object built against
//! libbpf's `usdt.bpf.h` (`usdt_probe.o`), with its spec maps and libbpf's own `__kconfig`
//! externs.

use crate::compat_common::{data_of, error_of, load_pinned, named, object, pinned_prog};
use crate::harness::report::id;
use crate::harness::{TestEnv, features, kernel};

/// `BPF_MAP_TYPE_ARENA`, `BPF_F_MMAPABLE`.
const ARENA: u32 = 33;
const MMAPABLE: u32 = 1 << 10;

#[test]
fn arena_map_takes_its_pages_flags_and_ulong_map_extra() {
    let Some(env) = TestEnv::new("compat_arena") else {
        return;
    };
    let obj = object("arena_pages.o");
    let args = ["load", obj.as_str(), "--no-attach", "--no-pin"];
    if !features::arena_maps() {
        // Before 6.9 the kfunc is missing too; the refusal names the map type first.
        let err = error_of(&env, &args, 4);
        assert!(
            err.contains("map arena") && err.contains("arena maps need Linux 6.9"),
            "{err}"
        );
        eprintln!("compat: arena_pages.o refused as expected: {err}");
        return;
    }
    if let Err(errno) = features::arena_creatable() {
        // The kernel has arena maps but will not let this process create one.
        assert_eq!(errno, libc::EPERM, "arena probe");
        let err = error_of(&env, &args, 4);
        assert!(
            err.contains("map arena: the kernel refused to create arena maps (EPERM)"),
            "{err}"
        );
        eprintln!("compat: arena_pages.o refused as the kernel refuses arenas here: {err}");
        return;
    }
    let report = load_pinned(&env, "arena_pages.o", &[]);
    let arena = id(&named(&report, "maps", "arena")["id"]);
    let info = kernel::map_info(arena).unwrap();
    assert_eq!(
        (
            info.map_type,
            info.key_size,
            info.value_size,
            info.max_entries,
            info.map_flags,
            info.map_extra
        ),
        (ARENA, 0, 0, 4, MMAPABLE, 0x4000_0000),
        "{report}"
    );
    // The syscall program (bpf_arena_alloc_pages on it) holds the arena.
    let prog = pinned_prog(&env, "arena_alloc");
    let prog_info = rawbpf_syscalls::prog_info(std::os::fd::AsFd::as_fd(&prog)).unwrap();
    assert!(
        prog_info.map_ids.iter().any(|m| m.0 == arena),
        "{:?}",
        prog_info.map_ids
    );
}

/// The value of `__kconfig` extern `name` in the `.kconfig` map of the pinned program
/// (its offset from the object's own layout), as a little number of `size` bytes.
fn kconfig_value(obj: &str, prog: &std::os::fd::OwnedFd, name: &str) -> u64 {
    let parsed = rawbpf_elf::Object::parse(&std::fs::read(obj).unwrap()).unwrap();
    let e = parsed.externs.iter().find(|e| e.name == name).unwrap();
    let rawbpf_elf::ExternKind::Kconfig { offset, size, .. } = e.kind else {
        panic!("{name} is not a __kconfig extern: {:?}", e.kind)
    };
    let data = data_of(prog, ".kconfig");
    let bytes = &data[offset as usize..(offset + size) as usize];
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// True when `/proc/kallsyms` names `symbol`.
fn kallsyms_names(symbol: &str) -> bool {
    std::fs::read_to_string("/proc/kallsyms")
        .unwrap()
        .lines()
        .any(|l| l.split_whitespace().nth(2) == Some(symbol))
}

#[test]
fn usdt_object_loads_with_its_spec_maps_and_libbpf_externs() {
    let Some(env) = TestEnv::new("compat_usdt") else {
        return;
    };
    // uprobe-typed programs rawbpf loads but does not attach (no USDT note parsing yet):
    // --pin-progs keeps them, and their maps, for the checks.
    let report = load_pinned(&env, "usdt_probe.o", &["--no-pin"]);
    for (map, map_type, key, value, max) in [
        ("__bpf_usdt_specs", 2, 4, 208, 256),
        ("__bpf_usdt_ip_to_spec_id", 1, 8, 4, 1024),
    ] {
        let info = kernel::map_info(id(&named(&report, "maps", map)["id"])).unwrap();
        assert_eq!(
            (
                info.map_type,
                info.key_size,
                info.value_size,
                info.max_entries
            ),
            (map_type, key, value, max),
            "{map}"
        );
    }
    for name in ["usdt_auto_attach", "usdt_manual_attach"] {
        let prog = pinned_prog(&env, name);
        let info = rawbpf_syscalls::prog_info(std::os::fd::AsFd::as_fd(&prog)).unwrap();
        assert_eq!(info.prog_type, 2, "{name} is a kprobe (uprobe) program");
    }
    // The externs libbpf itself provides, as libbpf computes them on this kernel.
    let obj = object("usdt_probe.o");
    let prog = pinned_prog(&env, "usdt_manual_attach");
    let cookie = features::enum_has("bpf_func_id", "BPF_FUNC_get_attach_cookie");
    assert_eq!(
        kconfig_value(&obj, &prog, "LINUX_HAS_BPF_COOKIE"),
        u64::from(cookie)
    );
    assert_eq!(
        kconfig_value(&obj, &prog, "LINUX_HAS_SYSCALL_WRAPPER"),
        u64::from(kallsyms_names("__x64_sys_bpf"))
    );
    assert_eq!(
        kconfig_value(&obj, &prog, "LINUX_KERNEL_VERSION"),
        kernel::libbpf_kernel_version()
    );
}
