//! `map_flags` bits of `BPF_MAP_CREATE` and `bpf_map_info` (the anonymous enum after
//! `BPF_F_NO_PREALLOC` in `include/uapi/linux/bpf.h`) that rawbpf sets or compares.

/// `BPF_F_NUMA_NODE`: `numa_node` is valid.
pub const BPF_F_NUMA_NODE: u32 = 1 << 2;
/// `BPF_F_RDONLY`: the creating fd may only read (a flag of the fd, not kept by the map).
pub const BPF_F_RDONLY: u32 = 1 << 3;
/// `BPF_F_WRONLY`: the creating fd may only write (a flag of the fd, not kept by the map).
pub const BPF_F_WRONLY: u32 = 1 << 4;
/// `BPF_F_RDONLY_PROG`: programs may only read the map.
pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;
/// `BPF_F_TOKEN_FD`: says `map_token_fd` is set; cleared by the kernel before creation.
pub const BPF_F_TOKEN_FD: u32 = 1 << 16;
