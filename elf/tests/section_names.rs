//! `section::classify`: libbpf 1.x's `SEC()` name table, one row per name.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use rawbpf_elf::section::{self, BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS};
use rawbpf_elf::{AttachType, ProgType};

/// (section name, prog type, expected attach type, attach target).
#[rustfmt::skip]
const TABLE: &[(&str, u32, Option<u32>, Option<&str>)] = &[
    ("sockops", 13, Some(3), None),
    ("sk_msg", 16, Some(7), None),
    ("sk_skb/stream_parser", 14, Some(4), None),
    ("sk_skb/stream_verdict", 14, Some(5), None),
    ("sk_skb/verdict", 14, Some(38), None),
    ("sk_skb", 14, None, None),
    ("cgroup_skb/ingress", 8, Some(0), None),
    ("cgroup_skb/egress", 8, Some(1), None),
    ("cgroup/skb", 8, None, None),
    ("cgroup/sock", 9, Some(2), None),
    ("cgroup/sock_create", 9, Some(2), None),
    ("cgroup/sock_release", 9, Some(34), None),
    ("cgroup/post_bind4", 9, Some(12), None),
    ("cgroup/post_bind6", 9, Some(13), None),
    ("cgroup/bind4", 18, Some(8), None),
    ("cgroup/bind6", 18, Some(9), None),
    ("cgroup/connect4", 18, Some(10), None),
    ("cgroup/connect6", 18, Some(11), None),
    ("cgroup/connect_unix", 18, Some(49), None),
    ("cgroup/sendmsg4", 18, Some(14), None),
    ("cgroup/sendmsg6", 18, Some(15), None),
    ("cgroup/sendmsg_unix", 18, Some(50), None),
    ("cgroup/recvmsg4", 18, Some(19), None),
    ("cgroup/recvmsg6", 18, Some(20), None),
    ("cgroup/recvmsg_unix", 18, Some(51), None),
    ("cgroup/getpeername4", 18, Some(29), None),
    ("cgroup/getpeername6", 18, Some(30), None),
    ("cgroup/getsockname4", 18, Some(31), None),
    ("cgroup/getsockname6", 18, Some(32), None),
    ("cgroup/getsockopt", 25, Some(21), None),
    ("cgroup/setsockopt", 25, Some(22), None),
    ("cgroup/sysctl", 23, Some(18), None),
    ("cgroup/dev", 15, Some(6), None),
    ("socket", 1, None, None),
    ("xdp", 6, Some(37), None),
    ("xdp.frags", 6, Some(37), None),
    ("xdp/devmap", 6, Some(33), None),
    ("xdp/cpumap", 6, Some(35), None),
    ("tc", 3, None, None),
    ("tc/classifier", 3, None, Some("classifier")),
    ("classifier", 3, None, None),
    ("tc/ingress", 3, Some(46), None),
    ("tcx/egress", 3, Some(47), None),
    ("action", 4, None, None),
    ("kprobe/tcp_connect", 2, None, Some("tcp_connect")),
    ("kprobe", 2, None, None),
    ("kretprobe/tcp_v4_connect", 2, None, Some("tcp_v4_connect")),
    ("uprobe//bin/bash:readline", 2, None, Some("/bin/bash:readline")),
    ("uprobe", 2, None, None),
    ("uretprobe/libc.so.6:malloc", 2, None, Some("libc.so.6:malloc")),
    ("tracepoint/syscalls/sys_enter_openat", 5, None, Some("syscalls/sys_enter_openat")),
    ("tp/sched/sched_switch", 5, None, Some("sched/sched_switch")),
    ("raw_tracepoint/sys_enter", 17, None, Some("sys_enter")),
    ("raw_tp/sched_switch", 17, None, Some("sched_switch")),
    ("raw_tp.w/foo", 24, None, Some("foo")),
    ("perf_event", 7, None, None),
    ("fentry/do_unlinkat", 26, Some(24), Some("do_unlinkat")),
    ("fexit/do_unlinkat", 26, Some(25), Some("do_unlinkat")),
    ("lsm/file_open", 29, Some(27), Some("file_open")),
    ("sk_lookup", 30, Some(36), None),
    ("flow_dissector", 22, Some(17), None),
    ("lwt_xmit", 12, None, None),
];

#[test]
fn every_table_row_classifies_as_libbpf_does() {
    for &(name, prog_type, attach, target) in TABLE {
        let kind = section::classify(name).unwrap_or_else(|| panic!("{name}: not classified"));
        assert_eq!(kind.prog_type, ProgType(prog_type), "{name}: prog type");
        assert_eq!(
            kind.expected_attach_type,
            attach.map(AttachType),
            "{name}: attach type"
        );
        assert_eq!(
            kind.attach_target.as_deref(),
            target,
            "{name}: attach target"
        );
    }
}

#[test]
fn names_that_are_not_programs() {
    for name in [
        ".text",
        ".maps",
        "maps",
        "license",
        ".rodata",
        "",
        "kprobex/foo",
        "cgroup/unknown",
        "weird_section",
        "tracepoints/x",
        "ingress",
        "tcp_filter",
    ] {
        assert_eq!(section::classify(name), None, "{name:?}");
    }
}

#[test]
fn section_implied_prog_flags() {
    assert_eq!(section::prog_flags("xdp.frags"), BPF_F_XDP_HAS_FRAGS);
    assert_eq!(section::prog_flags("xdp"), 0);
    assert_eq!(section::prog_flags("fentry.s/foo"), BPF_F_SLEEPABLE);
    assert_eq!(section::prog_flags("sockops"), 0);
    assert_eq!(section::prog_flags("nonsense"), 0);
}

#[test]
fn cgroup_attach_types_are_cgroup() {
    for name in [
        "sockops",
        "cgroup_skb/ingress",
        "cgroup/connect4",
        "cgroup/sock_release",
        "cgroup/connect_unix",
        "cgroup/dev",
        "cgroup/sysctl",
    ] {
        let attach = section::classify(name)
            .unwrap()
            .expected_attach_type
            .unwrap();
        assert!(attach.is_cgroup(), "{name}");
    }
    for name in [
        "sk_msg",
        "xdp",
        "flow_dissector",
        "sk_skb/stream_verdict",
        "tc/ingress",
    ] {
        let attach = section::classify(name)
            .unwrap()
            .expected_attach_type
            .unwrap();
        assert!(!attach.is_cgroup(), "{name}");
    }
}

#[test]
fn loose_names_of_older_loaders() {
    // (section, prog type, attach type): libbpf 0.x sloppy prefixes, iproute2, cilium.
    for (name, prog_type, attach) in [
        ("sk_skb1", 14, None),
        ("sk_skb/parser_v1", 14, Some(4)),
        ("sk/skb/parser/ingress", 14, Some(4)),
        ("sk/skb/verdict/ingress", 14, Some(5)),
        ("sk_msg3", 16, Some(7)),
        ("sk_msgs", 16, Some(7)),
        ("socket/2", 1, None),
        ("socketx", 1, None),
        ("classifier_ingress", 3, None),
        ("action_drop", 4, None),
        ("xdp_foo", 6, Some(37)),
        ("sockops/extra", 13, Some(3)),
        ("cgroup_skb/ingress_v2", 8, Some(0)),
    ] {
        let kind = section::classify(name).unwrap_or_else(|| panic!("{name}: not classified"));
        assert_eq!(kind.prog_type, ProgType(prog_type), "{name}");
        assert_eq!(kind.expected_attach_type, attach.map(AttachType), "{name}");
        assert!(section::is_loose(name), "{name} should be loose");
    }
    assert!(!section::is_loose("sockops"));
}

#[test]
fn type_names_for_overrides() {
    let k = section::kind_for_type_name("sched_cls").unwrap();
    assert_eq!(k.prog_type, ProgType(3));
    let k = section::kind_for_type_name("BPF_PROG_TYPE_SOCK_OPS").unwrap();
    assert_eq!(
        (k.prog_type, k.expected_attach_type),
        (ProgType(13), Some(AttachType(3)))
    );
    let k = section::kind_for_type_name("sk_skb/stream_verdict").unwrap();
    assert_eq!(k.expected_attach_type, Some(AttachType(5)));
    assert!(section::kind_for_type_name("nonsense").is_none());
}
