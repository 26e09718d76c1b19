//! What the running kernel has, read from its own BTF (`/sys/kernel/btf/vmlinux`) with the
//! rawbpf-elf parser, never from a version number: a test of a feature newer than the
//! kernel asserts rawbpf's documented behaviour without it instead.

use std::sync::OnceLock;

use rawbpf_elf::btf::{Btf, BtfType};

/// The kernel's BTF, parsed once per test process.
pub fn vmlinux() -> &'static Btf {
    static BTF: OnceLock<Btf> = OnceLock::new();
    BTF.get_or_init(|| {
        let bytes = std::fs::read("/sys/kernel/btf/vmlinux")
            .unwrap_or_else(|e| panic!("/sys/kernel/btf/vmlinux: {e} (the kernel needs BTF)"));
        Btf::parse(&bytes).unwrap_or_else(|e| panic!("/sys/kernel/btf/vmlinux: {e}"))
    })
}

/// True when the kernel's `enum <name>` has the enumerator `value` (e.g. `bpf_func_id`,
/// `BPF_FUNC_loop`).
pub fn enum_has(name: &str, value: &str) -> bool {
    let btf = vmlinux();
    btf.types().iter().any(|t| match t {
        BtfType::Enum(e) if btf.string(e.name_off).ok() == Some(name) => e
            .values
            .iter()
            .any(|v| btf.string(v.name_off).ok() == Some(value)),
        _ => false,
    })
}

/// True when the kernel's `struct <name>` has a member `member` (top level).
pub fn struct_has(name: &str, member: &str) -> bool {
    let btf = vmlinux();
    btf.types().iter().any(|t| match t {
        BtfType::Struct(s) if btf.string(s.name_off).ok() == Some(name) => s
            .members
            .iter()
            .any(|m| btf.string(m.name_off).ok() == Some(member)),
        _ => false,
    })
}

/// True when the kernel has a function `name` (a `FUNC` in its BTF).
pub fn has_function(name: &str) -> bool {
    let btf = vmlinux();
    btf.types()
        .iter()
        .any(|t| matches!(t, BtfType::Func(f) if btf.string(f.name_off).ok() == Some(name)))
}

/// `BPF_PROG_QUERY` with a SOCKMAP/SOCKHASH as target (5.19+, `sock_map_bpf_prog_query`).
pub fn sockmap_prog_query() -> bool {
    has_function("sock_map_bpf_prog_query")
}

/// Bloom filter maps (5.16+).
pub fn bloom_filter_maps() -> bool {
    enum_has("bpf_map_type", "BPF_MAP_TYPE_BLOOM_FILTER")
}

/// The `bpf_loop` helper (5.17+), with its callback subprogram.
pub fn bpf_loop() -> bool {
    enum_has("bpf_func_id", "BPF_FUNC_loop")
}

/// `bpf_prog_info.attach_btf_id` (5.16+): older kernels do not report the attach point.
pub fn prog_info_attach_btf_id() -> bool {
    struct_has("bpf_prog_info", "attach_btf_id")
}

/// Sockmap links (6.10+): `BPF_LINK_CREATE` on a SOCKMAP/SOCKHASH.
pub fn sockmap_links() -> bool {
    enum_has("bpf_link_type", "BPF_LINK_TYPE_SOCKMAP")
}

/// `BPF_MAP_TYPE_ARENA` (6.9+).
pub fn arena_maps() -> bool {
    enum_has("bpf_map_type", "BPF_MAP_TYPE_ARENA")
}

/// Whether this process may create an arena map here, asked of the kernel directly (a
/// one-page arena, `BPF_F_MMAPABLE`, no address hint): `Err(errno)` when it refuses (EPERM
/// under this project's test VM's lockdown, though the kernel knows the type).
pub fn arena_creatable() -> Result<(), i32> {
    rawbpf_syscalls::map_create(&rawbpf_syscalls::MapCreate {
        map_type: 33,
        key_size: 0,
        value_size: 0,
        max_entries: 1,
        map_flags: 1 << 10, // BPF_F_MMAPABLE
        name: rawbpf_syscalls::ObjName::new("arena_probe"),
        inner_map_fd: None,
        numa_node: None,
        btf_fd: None,
        btf_key_type_id: 0,
        btf_value_type_id: 0,
        map_extra: 0,
    })
    .map(drop)
    .map_err(|e| e.errno)
}
