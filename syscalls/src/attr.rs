//! `#[repr(C)]` attribute structs, one per command, sizes checked at compile time.
//!
//! Each struct is the anonymous member of `union bpf_attr` (or the info struct) that its
//! command reads, field for field as in `include/uapi/linux/bpf.h` of Linux 6.18 (checked
//! against the running kernel's BTF by `tests/attr_layout.rs`, on every kernel of the
//! matrix: see `docs/kernels.md`). Unions inside a member are flattened to their `__u32`
//! slot (the name says which meaning rawbpf uses); `__aligned_u64` pointers are `u64`
//! holding a user-space address (`ptr as u64`); padding the C compiler would insert is an
//! explicit `_pad*` field, so `Default` zeroes every byte the kernel reads. The struct's own
//! `size_of` is passed to the kernel, which zero-extends shorter structs and accepts longer
//! ones when the extra tail is zero.

use std::mem::size_of;

/// `BPF_MAP_CREATE` (`map_type` … `excl_prog_hash_size`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapCreateAttr {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub inner_map_fd: u32,
    pub numa_node: u32,
    pub map_name: [u8; 16],
    pub map_ifindex: u32,
    pub btf_fd: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub map_extra: u64,
    pub value_type_btf_obj_fd: i32,
    pub map_token_fd: i32,
    pub excl_prog_hash: u64,
    pub excl_prog_hash_size: u32,
    pub _pad0: u32,
}
const _: () = assert!(size_of::<MapCreateAttr>() == 96);

/// `BPF_MAP_{LOOKUP,UPDATE,DELETE}_ELEM`, `BPF_MAP_GET_NEXT_KEY` (`map_fd`, `key`,
/// `value`/`next_key`, `flags`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapElemAttr {
    pub map_fd: u32,
    pub _pad0: u32,
    pub key: u64,
    /// `value`, or `next_key` for `BPF_MAP_GET_NEXT_KEY`.
    pub value_or_next_key: u64,
    pub flags: u64,
}
const _: () = assert!(size_of::<MapElemAttr>() == 32);

/// `BPF_MAP_FREEZE` (`map_fd`, the first field of the element-command struct; the
/// kernel's `BPF_MAP_FREEZE_LAST_FIELD` is `map_fd`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapFreezeAttr {
    pub map_fd: u32,
}
const _: () = assert!(size_of::<MapFreezeAttr>() == 4);

/// `BPF_PROG_LOAD` (`prog_type` … `keyring_id`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgLoadAttr {
    pub prog_type: u32,
    pub insn_cnt: u32,
    pub insns: u64,
    pub license: u64,
    pub log_level: u32,
    pub log_size: u32,
    pub log_buf: u64,
    pub kern_version: u32,
    pub prog_flags: u32,
    pub prog_name: [u8; 16],
    pub prog_ifindex: u32,
    pub expected_attach_type: u32,
    pub prog_btf_fd: u32,
    pub func_info_rec_size: u32,
    pub func_info: u64,
    pub func_info_cnt: u32,
    pub line_info_rec_size: u32,
    pub line_info: u64,
    pub line_info_cnt: u32,
    pub attach_btf_id: u32,
    /// `attach_prog_fd` / `attach_btf_obj_fd`.
    pub attach_prog_fd: u32,
    pub core_relo_cnt: u32,
    pub fd_array: u64,
    pub core_relos: u64,
    pub core_relo_rec_size: u32,
    /// Output: the full log size the verifier wanted, including the NUL.
    pub log_true_size: u32,
    pub prog_token_fd: i32,
    pub fd_array_cnt: u32,
    pub signature: u64,
    pub signature_size: u32,
    pub keyring_id: i32,
}
const _: () = assert!(size_of::<ProgLoadAttr>() == 168);

/// `BPF_OBJ_PIN`, `BPF_OBJ_GET` (`pathname`, `bpf_fd`, `file_flags`, `path_fd`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObjPinAttr {
    pub pathname: u64,
    pub bpf_fd: u32,
    pub file_flags: u32,
    pub path_fd: i32,
    pub _pad0: u32,
}
const _: () = assert!(size_of::<ObjPinAttr>() == 24);

/// `BPF_PROG_ATTACH` and `BPF_PROG_DETACH` (`target_fd` … `expected_revision`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgAttachAttr {
    /// `target_fd` / `target_ifindex`.
    pub target_fd: u32,
    pub attach_bpf_fd: u32,
    pub attach_type: u32,
    pub attach_flags: u32,
    pub replace_bpf_fd: u32,
    /// `relative_fd` / `relative_id`.
    pub relative_fd: u32,
    pub expected_revision: u64,
}
const _: () = assert!(size_of::<ProgAttachAttr>() == 32);

/// `BPF_PROG_DETACH` reads the same struct as `BPF_PROG_ATTACH`.
pub type ProgDetachAttr = ProgAttachAttr;

/// `BPF_PROG_QUERY` (`query` member: `target_fd` … `revision`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgQueryAttr {
    /// `target_fd` / `target_ifindex`.
    pub target_fd: u32,
    pub attach_type: u32,
    pub query_flags: u32,
    /// Output: flags of the attachment (`BPF_F_ALLOW_*`).
    pub attach_flags: u32,
    pub prog_ids: u64,
    /// In: capacity of `prog_ids`; out: number of attached programs (`prog_cnt` / `count`).
    pub prog_cnt: u32,
    pub _pad0: u32,
    pub prog_attach_flags: u64,
    pub link_ids: u64,
    pub link_attach_flags: u64,
    pub revision: u64,
}
const _: () = assert!(size_of::<ProgQueryAttr>() == 64);

/// `BPF_OBJ_GET_INFO_BY_FD` (`info` member: `bpf_fd`, `info_len`, `info`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InfoByFdAttr {
    pub bpf_fd: u32,
    /// In: size of our info struct; out: bytes the kernel filled.
    pub info_len: u32,
    pub info: u64,
}
const _: () = assert!(size_of::<InfoByFdAttr>() == 16);

/// `BPF_*_GET_NEXT_ID` and `BPF_*_GET_FD_BY_ID` (`start_id` … `fd_by_id_token_fd`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GetIdAttr {
    /// `start_id` / `prog_id` / `map_id` / `btf_id` / `link_id`.
    pub id: u32,
    /// Output of `GET_NEXT_ID`.
    pub next_id: u32,
    pub open_flags: u32,
    pub fd_by_id_token_fd: i32,
}
const _: () = assert!(size_of::<GetIdAttr>() == 16);

/// `BPF_BTF_LOAD` (`btf` … `btf_token_fd`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BtfLoadAttr {
    pub btf: u64,
    pub btf_log_buf: u64,
    pub btf_size: u32,
    pub btf_log_size: u32,
    pub btf_log_level: u32,
    /// Output: the full log size the BTF verifier wanted, including the NUL.
    pub btf_log_true_size: u32,
    pub btf_flags: u32,
    pub btf_token_fd: i32,
}
const _: () = assert!(size_of::<BtfLoadAttr>() == 40);

/// `BPF_LINK_CREATE` (`link_create` member: `prog_fd` … `flags`, then the first slot of the
/// per-type union). rawbpf creates cgroup and sockmap links, which read nothing past
/// `flags` but the cgroup part's `relative_fd` / `expected_revision` (6.12+, left zero: no
/// ordering, any revision); the shorter struct is zero-extended by the kernel.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCreateAttr {
    /// `prog_fd` / `map_fd`.
    pub prog_fd: u32,
    /// `target_fd` / `target_ifindex`: the cgroup fd, or the SOCKMAP/SOCKHASH map fd.
    pub target_fd: u32,
    pub attach_type: u32,
    pub flags: u32,
    /// `target_btf_id`, first slot of the per-type union (`cgroup.relative_fd` there); 0.
    pub target_btf_id: u32,
    pub _pad0: u32,
}
const _: () = assert!(size_of::<LinkCreateAttr>() == 24);

/// `BPF_LINK_UPDATE` (`link_update` member: `link_fd`, `new_prog_fd`, `flags`,
/// `old_prog_fd`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkUpdateAttr {
    pub link_fd: u32,
    /// `new_prog_fd` / `new_map_fd`.
    pub new_prog_fd: u32,
    /// `BPF_F_REPLACE`: swap only if the link still runs `old_prog_fd`.
    pub flags: u32,
    /// `old_prog_fd` / `old_map_fd`.
    pub old_prog_fd: u32,
}
const _: () = assert!(size_of::<LinkUpdateAttr>() == 16);

/// `BPF_LINK_DETACH` (`link_detach` member: `link_fd`), 5.9+.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkDetachAttr {
    pub link_fd: u32,
}
const _: () = assert!(size_of::<LinkDetachAttr>() == 4);

/// `BPF_RAW_TRACEPOINT_OPEN` (`raw_tracepoint` member: `name` — a pointer to the
/// tracepoint's NUL-terminated name —, `prog_fd`; since 6.10 a 32-bit hole and `cookie`
/// follow, left 0 by the struct's size).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RawTracepointOpenAttr {
    pub name: u64,
    pub prog_fd: u32,
    pub _pad: u32,
}
const _: () = assert!(size_of::<RawTracepointOpenAttr>() == 16);

/// `struct bpf_link_info` as of Linux 6.18 (`type`, `id`, `prog_id`, then the per-type
/// union at offset 16, 48 bytes). The union is laid out as the two parts rawbpf reads:
/// `cgroup { __u64 cgroup_id; __u32 attach_type; }` and `sockmap { __u32 map_id; __u32
/// attach_type; }`; `target_lo`/`target_hi` are `sockmap`'s two fields and together the
/// bytes of `cgroup.cgroup_id` ([`BpfLinkInfo::cgroup_id`]).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BpfLinkInfo {
    pub link_type: u32,
    pub id: u32,
    pub prog_id: u32,
    pub _pad0: u32,
    /// `sockmap.map_id`, `xdp.ifindex`, `tcx.ifindex`; the first half (in memory) of `cgroup.cgroup_id`.
    pub target_lo: u32,
    /// `sockmap.attach_type`, `tcx.attach_type`; the second half of `cgroup.cgroup_id`.
    pub target_hi: u32,
    /// `cgroup.attach_type`.
    pub cgroup_attach_type: u32,
    pub _pad1: u32,
    pub _pad2: [u64; 4],
}
const _: () = assert!(size_of::<BpfLinkInfo>() == 64);

impl BpfLinkInfo {
    /// `cgroup.cgroup_id`: the `__u64` whose bytes `target_lo` and `target_hi` hold.
    pub fn cgroup_id(&self) -> u64 {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&self.target_lo.to_ne_bytes());
        b[4..].copy_from_slice(&self.target_hi.to_ne_bytes());
        u64::from_ne_bytes(b)
    }
}

/// `struct bpf_map_info` as of Linux 6.18 (`type` … `hash_size`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BpfMapInfo {
    pub map_type: u32,
    pub id: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub name: [u8; 16],
    pub ifindex: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub netns_dev: u64,
    pub netns_ino: u64,
    pub btf_id: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_id: u32,
    pub map_extra: u64,
    pub hash: u64,
    pub hash_size: u32,
    pub _pad0: u32,
}
const _: () = assert!(size_of::<BpfMapInfo>() == 104);

/// `struct bpf_prog_info` as of Linux 6.18 (`type` … `attach_btf_id`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BpfProgInfo {
    pub prog_type: u32,
    pub id: u32,
    pub tag: [u8; 8],
    pub jited_prog_len: u32,
    pub xlated_prog_len: u32,
    pub jited_prog_insns: u64,
    pub xlated_prog_insns: u64,
    pub load_time: u64,
    pub created_by_uid: u32,
    pub nr_map_ids: u32,
    pub map_ids: u64,
    pub name: [u8; 16],
    pub ifindex: u32,
    /// Bit 0: `gpl_compatible` (a C bitfield `__u32 gpl_compatible:1`).
    pub gpl_compatible_bits: u32,
    pub netns_dev: u64,
    pub netns_ino: u64,
    pub nr_jited_ksyms: u32,
    pub nr_jited_func_lens: u32,
    pub jited_ksyms: u64,
    pub jited_func_lens: u64,
    pub btf_id: u32,
    pub func_info_rec_size: u32,
    pub func_info: u64,
    pub nr_func_info: u32,
    pub nr_line_info: u32,
    pub line_info: u64,
    pub jited_line_info: u64,
    pub nr_jited_line_info: u32,
    pub line_info_rec_size: u32,
    pub jited_line_info_rec_size: u32,
    pub nr_prog_tags: u32,
    pub prog_tags: u64,
    pub run_time_ns: u64,
    pub run_cnt: u64,
    pub recursion_misses: u64,
    pub verified_insns: u32,
    pub attach_btf_obj_id: u32,
    pub attach_btf_id: u32,
    pub _pad0: u32,
}
const _: () = assert!(size_of::<BpfProgInfo>() == 232);

/// `struct bpf_btf_info` as of Linux 6.18 (`btf` … `kernel_btf`), the info struct of
/// `BPF_OBJ_GET_INFO_BY_FD` on a BTF fd.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BpfBtfInfo {
    /// User-space address of a buffer for the raw BTF (`__aligned_u64 btf`), or 0.
    pub btf: u64,
    /// In: size of that buffer; out: size of the whole blob.
    pub btf_size: u32,
    pub id: u32,
    /// User-space address of a buffer for the NUL-terminated name, or 0.
    pub name: u64,
    /// In: size of that buffer (0 exactly when `name` is 0); out: the name's length
    /// without the NUL.
    pub name_len: u32,
    /// 1 for the kernel's own BTF (`vmlinux`, modules).
    pub kernel_btf: u32,
}
const _: () = assert!(size_of::<BpfBtfInfo>() == 32);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    //! Offsets from `offsetof()` on the 6.18 `union bpf_attr`, `struct bpf_map_info` and
    //! `struct bpf_prog_info` (as dumped from `/sys/kernel/btf/vmlinux` and compiled).
    use super::*;
    use std::mem::offset_of;

    #[test]
    fn map_create_offsets() {
        assert_eq!(offset_of!(MapCreateAttr, map_flags), 16);
        assert_eq!(offset_of!(MapCreateAttr, inner_map_fd), 20);
        assert_eq!(offset_of!(MapCreateAttr, numa_node), 24);
        assert_eq!(offset_of!(MapCreateAttr, map_name), 28);
        assert_eq!(offset_of!(MapCreateAttr, map_ifindex), 44);
        assert_eq!(offset_of!(MapCreateAttr, btf_fd), 48);
        assert_eq!(offset_of!(MapCreateAttr, btf_key_type_id), 52);
        assert_eq!(offset_of!(MapCreateAttr, btf_value_type_id), 56);
        assert_eq!(offset_of!(MapCreateAttr, btf_vmlinux_value_type_id), 60);
        assert_eq!(offset_of!(MapCreateAttr, map_extra), 64);
        assert_eq!(offset_of!(MapCreateAttr, value_type_btf_obj_fd), 72);
        assert_eq!(offset_of!(MapCreateAttr, map_token_fd), 76);
        assert_eq!(offset_of!(MapCreateAttr, excl_prog_hash), 80);
        assert_eq!(offset_of!(MapCreateAttr, excl_prog_hash_size), 88);
    }

    #[test]
    fn map_elem_offsets() {
        assert_eq!(offset_of!(MapElemAttr, map_fd), 0);
        assert_eq!(offset_of!(MapElemAttr, key), 8);
        assert_eq!(offset_of!(MapElemAttr, value_or_next_key), 16);
        assert_eq!(offset_of!(MapElemAttr, flags), 24);
    }

    #[test]
    fn prog_load_offsets() {
        assert_eq!(offset_of!(ProgLoadAttr, insn_cnt), 4);
        assert_eq!(offset_of!(ProgLoadAttr, insns), 8);
        assert_eq!(offset_of!(ProgLoadAttr, license), 16);
        assert_eq!(offset_of!(ProgLoadAttr, log_level), 24);
        assert_eq!(offset_of!(ProgLoadAttr, log_size), 28);
        assert_eq!(offset_of!(ProgLoadAttr, log_buf), 32);
        assert_eq!(offset_of!(ProgLoadAttr, kern_version), 40);
        assert_eq!(offset_of!(ProgLoadAttr, prog_flags), 44);
        assert_eq!(offset_of!(ProgLoadAttr, prog_name), 48);
        assert_eq!(offset_of!(ProgLoadAttr, prog_ifindex), 64);
        assert_eq!(offset_of!(ProgLoadAttr, expected_attach_type), 68);
        assert_eq!(offset_of!(ProgLoadAttr, prog_btf_fd), 72);
        assert_eq!(offset_of!(ProgLoadAttr, func_info_rec_size), 76);
        assert_eq!(offset_of!(ProgLoadAttr, func_info), 80);
        assert_eq!(offset_of!(ProgLoadAttr, func_info_cnt), 88);
        assert_eq!(offset_of!(ProgLoadAttr, line_info_rec_size), 92);
        assert_eq!(offset_of!(ProgLoadAttr, line_info), 96);
        assert_eq!(offset_of!(ProgLoadAttr, line_info_cnt), 104);
        assert_eq!(offset_of!(ProgLoadAttr, attach_btf_id), 108);
        assert_eq!(offset_of!(ProgLoadAttr, attach_prog_fd), 112);
        assert_eq!(offset_of!(ProgLoadAttr, core_relo_cnt), 116);
        assert_eq!(offset_of!(ProgLoadAttr, fd_array), 120);
        assert_eq!(offset_of!(ProgLoadAttr, core_relos), 128);
        assert_eq!(offset_of!(ProgLoadAttr, core_relo_rec_size), 136);
        assert_eq!(offset_of!(ProgLoadAttr, log_true_size), 140);
        assert_eq!(offset_of!(ProgLoadAttr, prog_token_fd), 144);
        assert_eq!(offset_of!(ProgLoadAttr, fd_array_cnt), 148);
        assert_eq!(offset_of!(ProgLoadAttr, signature), 152);
        assert_eq!(offset_of!(ProgLoadAttr, signature_size), 160);
        assert_eq!(offset_of!(ProgLoadAttr, keyring_id), 164);
    }

    #[test]
    fn obj_attach_query_offsets() {
        assert_eq!(offset_of!(ObjPinAttr, pathname), 0);
        assert_eq!(offset_of!(ObjPinAttr, bpf_fd), 8);
        assert_eq!(offset_of!(ObjPinAttr, file_flags), 12);
        assert_eq!(offset_of!(ObjPinAttr, path_fd), 16);

        assert_eq!(offset_of!(ProgAttachAttr, attach_bpf_fd), 4);
        assert_eq!(offset_of!(ProgAttachAttr, attach_type), 8);
        assert_eq!(offset_of!(ProgAttachAttr, attach_flags), 12);
        assert_eq!(offset_of!(ProgAttachAttr, replace_bpf_fd), 16);
        assert_eq!(offset_of!(ProgAttachAttr, relative_fd), 20);
        assert_eq!(offset_of!(ProgAttachAttr, expected_revision), 24);

        assert_eq!(offset_of!(ProgQueryAttr, attach_type), 4);
        assert_eq!(offset_of!(ProgQueryAttr, query_flags), 8);
        assert_eq!(offset_of!(ProgQueryAttr, attach_flags), 12);
        assert_eq!(offset_of!(ProgQueryAttr, prog_ids), 16);
        assert_eq!(offset_of!(ProgQueryAttr, prog_cnt), 24);
        assert_eq!(offset_of!(ProgQueryAttr, prog_attach_flags), 32);
        assert_eq!(offset_of!(ProgQueryAttr, link_ids), 40);
        assert_eq!(offset_of!(ProgQueryAttr, link_attach_flags), 48);
        assert_eq!(offset_of!(ProgQueryAttr, revision), 56);

        assert_eq!(offset_of!(InfoByFdAttr, info_len), 4);
        assert_eq!(offset_of!(InfoByFdAttr, info), 8);

        assert_eq!(offset_of!(GetIdAttr, next_id), 4);
        assert_eq!(offset_of!(GetIdAttr, open_flags), 8);
        assert_eq!(offset_of!(GetIdAttr, fd_by_id_token_fd), 12);

        assert_eq!(offset_of!(BtfLoadAttr, btf_log_buf), 8);
        assert_eq!(offset_of!(BtfLoadAttr, btf_size), 16);
        assert_eq!(offset_of!(BtfLoadAttr, btf_log_size), 20);
        assert_eq!(offset_of!(BtfLoadAttr, btf_log_level), 24);
        assert_eq!(offset_of!(BtfLoadAttr, btf_log_true_size), 28);
        assert_eq!(offset_of!(BtfLoadAttr, btf_flags), 32);
        assert_eq!(offset_of!(BtfLoadAttr, btf_token_fd), 36);
    }

    #[test]
    fn info_offsets() {
        assert_eq!(offset_of!(BpfMapInfo, name), 24);
        assert_eq!(offset_of!(BpfMapInfo, ifindex), 40);
        assert_eq!(offset_of!(BpfMapInfo, netns_dev), 48);
        assert_eq!(offset_of!(BpfMapInfo, btf_id), 64);
        assert_eq!(offset_of!(BpfMapInfo, btf_vmlinux_id), 76);
        assert_eq!(offset_of!(BpfMapInfo, map_extra), 80);
        assert_eq!(offset_of!(BpfMapInfo, hash), 88);
        assert_eq!(offset_of!(BpfMapInfo, hash_size), 96);

        assert_eq!(offset_of!(BpfProgInfo, tag), 8);
        assert_eq!(offset_of!(BpfProgInfo, jited_prog_len), 16);
        assert_eq!(offset_of!(BpfProgInfo, jited_prog_insns), 24);
        assert_eq!(offset_of!(BpfProgInfo, load_time), 40);
        assert_eq!(offset_of!(BpfProgInfo, created_by_uid), 48);
        assert_eq!(offset_of!(BpfProgInfo, nr_map_ids), 52);
        assert_eq!(offset_of!(BpfProgInfo, map_ids), 56);
        assert_eq!(offset_of!(BpfProgInfo, name), 64);
        assert_eq!(offset_of!(BpfProgInfo, ifindex), 80);
        assert_eq!(offset_of!(BpfProgInfo, netns_dev), 88);
        assert_eq!(offset_of!(BpfProgInfo, netns_ino), 96);
        assert_eq!(offset_of!(BpfProgInfo, nr_jited_ksyms), 104);
        assert_eq!(offset_of!(BpfProgInfo, jited_ksyms), 112);
        assert_eq!(offset_of!(BpfProgInfo, btf_id), 128);
        assert_eq!(offset_of!(BpfProgInfo, func_info), 136);
        assert_eq!(offset_of!(BpfProgInfo, nr_func_info), 144);
        assert_eq!(offset_of!(BpfProgInfo, line_info), 152);
        assert_eq!(offset_of!(BpfProgInfo, jited_line_info), 160);
        assert_eq!(offset_of!(BpfProgInfo, nr_jited_line_info), 168);
        assert_eq!(offset_of!(BpfProgInfo, nr_prog_tags), 180);
        assert_eq!(offset_of!(BpfProgInfo, prog_tags), 184);
        assert_eq!(offset_of!(BpfProgInfo, run_time_ns), 192);
        assert_eq!(offset_of!(BpfProgInfo, run_cnt), 200);
        assert_eq!(offset_of!(BpfProgInfo, recursion_misses), 208);
        assert_eq!(offset_of!(BpfProgInfo, verified_insns), 216);
        assert_eq!(offset_of!(BpfProgInfo, attach_btf_obj_id), 220);
        assert_eq!(offset_of!(BpfProgInfo, attach_btf_id), 224);

        assert_eq!(offset_of!(LinkCreateAttr, target_fd), 4);
        assert_eq!(offset_of!(LinkCreateAttr, attach_type), 8);
        assert_eq!(offset_of!(LinkCreateAttr, flags), 12);
        assert_eq!(offset_of!(LinkCreateAttr, target_btf_id), 16);
        assert_eq!(offset_of!(LinkUpdateAttr, new_prog_fd), 4);
        assert_eq!(offset_of!(LinkUpdateAttr, flags), 8);
        assert_eq!(offset_of!(LinkUpdateAttr, old_prog_fd), 12);
        assert_eq!(offset_of!(BpfLinkInfo, prog_id), 8);
        assert_eq!(offset_of!(BpfLinkInfo, target_lo), 16);
        assert_eq!(offset_of!(BpfLinkInfo, target_hi), 20);
        assert_eq!(offset_of!(BpfLinkInfo, cgroup_attach_type), 24);
        let info = BpfLinkInfo {
            target_lo: u32::from_ne_bytes(7u64.to_ne_bytes()[..4].try_into().unwrap()),
            target_hi: u32::from_ne_bytes(7u64.to_ne_bytes()[4..].try_into().unwrap()),
            ..BpfLinkInfo::default()
        };
        assert_eq!(info.cgroup_id(), 7);

        assert_eq!(offset_of!(BpfBtfInfo, btf_size), 8);
        assert_eq!(offset_of!(BpfBtfInfo, id), 12);
        assert_eq!(offset_of!(BpfBtfInfo, name), 16);
        assert_eq!(offset_of!(BpfBtfInfo, name_len), 24);
        assert_eq!(offset_of!(BpfBtfInfo, kernel_btf), 28);
    }
}
