//! `enum bpf_map_type`: the kind of a map, and which kinds share a behaviour user space
//! must know about (per-CPU values, index keys, maps of maps).

use crate::kernel_enum::kernel_enum;

kernel_enum! {
    /// `enum bpf_map_type` value (`BPF_MAP_CREATE`'s `map_type`, `bpf_map_info.type`).
    MapType, prefix "BPF_MAP_TYPE_";
    UNSPEC = 0, "unspec";
    HASH = 1, "hash";
    ARRAY = 2, "array";
    PROG_ARRAY = 3, "prog_array";
    PERF_EVENT_ARRAY = 4, "perf_event_array";
    PERCPU_HASH = 5, "percpu_hash";
    PERCPU_ARRAY = 6, "percpu_array";
    STACK_TRACE = 7, "stack_trace";
    CGROUP_ARRAY = 8, "cgroup_array";
    LRU_HASH = 9, "lru_hash";
    LRU_PERCPU_HASH = 10, "lru_percpu_hash";
    LPM_TRIE = 11, "lpm_trie";
    ARRAY_OF_MAPS = 12, "array_of_maps";
    HASH_OF_MAPS = 13, "hash_of_maps";
    DEVMAP = 14, "devmap";
    SOCKMAP = 15, "sockmap";
    CPUMAP = 16, "cpumap";
    XSKMAP = 17, "xskmap";
    SOCKHASH = 18, "sockhash";
    CGROUP_STORAGE = 19, "cgroup_storage";
    REUSEPORT_SOCKARRAY = 20, "reuseport_sockarray";
    PERCPU_CGROUP_STORAGE = 21, "percpu_cgroup_storage";
    QUEUE = 22, "queue";
    STACK = 23, "stack";
    SK_STORAGE = 24, "sk_storage";
    DEVMAP_HASH = 25, "devmap_hash";
    STRUCT_OPS = 26, "struct_ops";
    RINGBUF = 27, "ringbuf";
    INODE_STORAGE = 28, "inode_storage";
    TASK_STORAGE = 29, "task_storage";
    BLOOM_FILTER = 30, "bloom_filter";
    USER_RINGBUF = 31, "user_ringbuf";
    CGRP_STORAGE = 32, "cgrp_storage";
    ARENA = 33, "arena";
}

impl MapType {
    /// True for map types whose values are other maps.
    pub const fn is_map_in_map(self) -> bool {
        matches!(self, Self::ARRAY_OF_MAPS | Self::HASH_OF_MAPS)
    }

    /// True for map types whose user-space value holds one slot per possible CPU.
    pub const fn is_percpu(self) -> bool {
        matches!(
            self,
            Self::PERCPU_HASH
                | Self::PERCPU_ARRAY
                | Self::LRU_PERCPU_HASH
                | Self::PERCPU_CGROUP_STORAGE
        )
    }

    /// True for map types whose keys are the indices `0..max_entries`, all present.
    pub const fn is_array(self) -> bool {
        matches!(
            self,
            Self::ARRAY
                | Self::PROG_ARRAY
                | Self::PERF_EVENT_ARRAY
                | Self::PERCPU_ARRAY
                | Self::CGROUP_ARRAY
                | Self::ARRAY_OF_MAPS
                | Self::DEVMAP
                | Self::SOCKMAP
                | Self::CPUMAP
                | Self::XSKMAP
                | Self::REUSEPORT_SOCKARRAY
        )
    }

    /// True for the maps programs of the sockmap attach types attach to.
    pub const fn is_sockmap(self) -> bool {
        matches!(self, Self::SOCKMAP | Self::SOCKHASH)
    }

    /// The Linux release that introduced this map type, for the types newer than 5.10 (the
    /// oldest kernel rawbpf supports): what a refusal names when the running kernel's BTF
    /// shows it lacks the type. Whether the kernel has it is always probed, never read from
    /// its version.
    pub const fn since(self) -> Option<&'static str> {
        Some(match self {
            Self::TASK_STORAGE => "5.11",
            Self::BLOOM_FILTER => "5.16",
            Self::USER_RINGBUF => "6.1",
            Self::CGRP_STORAGE => "6.2",
            Self::ARENA => "6.9",
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::MapType;

    #[test]
    fn type_classes() {
        let is_array = |t| MapType(t).is_array();
        assert!(is_array(2) && is_array(15) && !is_array(1) && !is_array(18));
        assert!(MapType(6).is_percpu() && !MapType(2).is_percpu());
        assert!(MapType::HASH_OF_MAPS.is_map_in_map());
        assert!(MapType::SOCKHASH.is_sockmap() && !MapType::ARRAY.is_sockmap());
        assert_eq!(MapType::ARENA.since(), Some("6.9"));
        assert_eq!(MapType::HASH.since(), None);
    }
}
