//! Attach types by number: their names (as libbpf and bpftool spell them) and which ones
//! attach to a cgroup with `BPF_PROG_ATTACH`, from `enum bpf_attach_type` in
//! `include/uapi/linux/bpf.h`.

/// Names of `enum bpf_attach_type`, indexed by value (libbpf's `attach_type_name`).
const NAMES: [&str; 58] = [
    "cgroup_inet_ingress",            // 0
    "cgroup_inet_egress",             // 1
    "cgroup_inet_sock_create",        // 2
    "cgroup_sock_ops",                // 3
    "sk_skb_stream_parser",           // 4
    "sk_skb_stream_verdict",          // 5
    "cgroup_device",                  // 6
    "sk_msg_verdict",                 // 7
    "cgroup_inet4_bind",              // 8
    "cgroup_inet6_bind",              // 9
    "cgroup_inet4_connect",           // 10
    "cgroup_inet6_connect",           // 11
    "cgroup_inet4_post_bind",         // 12
    "cgroup_inet6_post_bind",         // 13
    "cgroup_udp4_sendmsg",            // 14
    "cgroup_udp6_sendmsg",            // 15
    "lirc_mode2",                     // 16
    "flow_dissector",                 // 17
    "cgroup_sysctl",                  // 18
    "cgroup_udp4_recvmsg",            // 19
    "cgroup_udp6_recvmsg",            // 20
    "cgroup_getsockopt",              // 21
    "cgroup_setsockopt",              // 22
    "trace_raw_tp",                   // 23
    "trace_fentry",                   // 24
    "trace_fexit",                    // 25
    "modify_return",                  // 26
    "lsm_mac",                        // 27
    "trace_iter",                     // 28
    "cgroup_inet4_getpeername",       // 29
    "cgroup_inet6_getpeername",       // 30
    "cgroup_inet4_getsockname",       // 31
    "cgroup_inet6_getsockname",       // 32
    "xdp_devmap",                     // 33
    "cgroup_inet_sock_release",       // 34
    "xdp_cpumap",                     // 35
    "sk_lookup",                      // 36
    "xdp",                            // 37
    "sk_skb_verdict",                 // 38
    "sk_reuseport_select",            // 39
    "sk_reuseport_select_or_migrate", // 40
    "perf_event",                     // 41
    "trace_kprobe_multi",             // 42
    "lsm_cgroup",                     // 43
    "struct_ops",                     // 44
    "netfilter",                      // 45
    "tcx_ingress",                    // 46
    "tcx_egress",                     // 47
    "trace_uprobe_multi",             // 48
    "cgroup_unix_connect",            // 49
    "cgroup_unix_sendmsg",            // 50
    "cgroup_unix_recvmsg",            // 51
    "cgroup_unix_getpeername",        // 52
    "cgroup_unix_getsockname",        // 53
    "netkit_primary",                 // 54
    "netkit_peer",                    // 55
    "trace_kprobe_session",           // 56
    "trace_uprobe_session",           // 57
];

/// Attach types that `BPF_PROG_ATTACH` accepts with a cgroup fd as target (the list bpftool
/// queries for `cgroup show`, without `lsm_cgroup`, which needs an attach BTF id).
pub const CGROUP_ATTACH_TYPES: [u32; 28] = [
    0, 1, 2, 3, 6, 8, 9, 10, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22, 29, 30, 31, 32, 34, 49, 50,
    51, 52, 53,
];

/// `BPF_SK_SKB_STREAM_PARSER`, `BPF_SK_SKB_STREAM_VERDICT`, `BPF_SK_MSG_VERDICT`,
/// `BPF_SK_SKB_VERDICT`: attached to a SOCKMAP/SOCKHASH map fd.
pub const SOCKMAP_ATTACH_TYPES: [u32; 4] = [4, 5, 7, 38];

/// `BPF_SK_MSG_VERDICT`.
pub const SK_MSG_VERDICT: u32 = 7;

/// The name of attach type `t` ("type N" when unknown).
pub fn name(t: u32) -> String {
    NAMES
        .get(t as usize)
        .map_or_else(|| format!("type {t}"), |n| (*n).to_string())
}

/// True when `t` attaches to a cgroup.
pub fn is_cgroup(t: u32) -> bool {
    CGROUP_ATTACH_TYPES.contains(&t)
}

/// True when `t` attaches to a sockmap / sockhash.
pub fn is_sockmap(t: u32) -> bool {
    SOCKMAP_ATTACH_TYPES.contains(&t)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(super::name(3), "cgroup_sock_ops");
        assert_eq!(super::name(49), "cgroup_unix_connect");
        assert_eq!(super::name(999), "type 999");
        assert!(super::is_cgroup(3));
        assert!(!super::is_cgroup(17));
        assert!(super::is_sockmap(7));
    }
}
