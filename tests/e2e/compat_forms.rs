//! Object forms of libbpf 1.4+ and its headers, on the real kernel: an arena map whose
//! `map_extra` is given with `__ulong()` (`arena_pages.o`), and a USDT object built against
//! libbpf's `usdt.bpf.h` (`usdt_probe.o`), with its spec maps and libbpf's own `__kconfig`
//! externs.

use crate::compat_common::{error_of, load_pinned, named, object, pinned_prog};
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
