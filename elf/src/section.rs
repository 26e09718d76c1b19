//! Section names: `SEC("...")` to program type and expected attach type.
//!
//! The table follows libbpf 1.x's `section_defs[]` and its matching rule
//! (`sec_def_matches`): an entry ending in `+` matches the exact name or the name followed by
//! `/extras` (the extras become [`ProgramKind::attach_target`]); an entry ending in `/` matches
//! any name with that prefix; any other entry matches only the exact name. The first matching
//! entry wins, so longer names come before their prefixes.
//!
//! Names libbpf 1.x refuses but older loaders accepted are classified by the loose rules of
//! `LOOSE` (libbpf 0.x's "sloppy" prefixes, iproute2's `classifier`/`action`, and cilium's
//! `sk/skb/...` spelling), tried only when the strict table has no match: see
//! `docs/objects.md`.

use crate::{AttachType, ProgType, ProgramKind};

/// `BPF_F_SLEEPABLE`: `prog_flags` of `.s` section variants.
pub const BPF_F_SLEEPABLE: u32 = 1 << 4;
/// `BPF_F_XDP_HAS_FRAGS`: `prog_flags` of `xdp.frags` sections.
pub const BPF_F_XDP_HAS_FRAGS: u32 = 1 << 5;

const SLEEPABLE: u32 = BPF_F_SLEEPABLE;
const FRAGS: u32 = BPF_F_XDP_HAS_FRAGS;

/// One `SEC_DEF`: name pattern, `bpf_prog_type`, `expected_attach_type`, `prog_flags`.
struct SecDef {
    pattern: &'static str,
    prog_type: u32,
    attach: Option<u32>,
    flags: u32,
}

const fn def(pattern: &'static str, prog_type: u32, attach: Option<u32>, flags: u32) -> SecDef {
    SecDef {
        pattern,
        prog_type,
        attach,
        flags,
    }
}

// `enum bpf_prog_type` (include/uapi/linux/bpf.h).
const SOCKET_FILTER: u32 = 1;
const KPROBE: u32 = 2;
const SCHED_CLS: u32 = 3;
const SCHED_ACT: u32 = 4;
const TRACEPOINT: u32 = 5;
const XDP: u32 = 6;
const PERF_EVENT: u32 = 7;
const CGROUP_SKB: u32 = 8;
const CGROUP_SOCK: u32 = 9;
const LWT_IN: u32 = 10;
const LWT_OUT: u32 = 11;
const LWT_XMIT: u32 = 12;
const SOCK_OPS: u32 = 13;
const SK_SKB: u32 = 14;
const CGROUP_DEVICE: u32 = 15;
const SK_MSG: u32 = 16;
const RAW_TRACEPOINT: u32 = 17;
const CGROUP_SOCK_ADDR: u32 = 18;
const LWT_SEG6LOCAL: u32 = 19;
const LIRC_MODE2: u32 = 20;
const SK_REUSEPORT: u32 = 21;
const FLOW_DISSECTOR: u32 = 22;
const CGROUP_SYSCTL: u32 = 23;
const RAW_TRACEPOINT_WRITABLE: u32 = 24;
const CGROUP_SOCKOPT: u32 = 25;
const TRACING: u32 = 26;
const STRUCT_OPS: u32 = 27;
const EXT: u32 = 28;
const LSM: u32 = 29;
const SK_LOOKUP: u32 = 30;
const SYSCALL: u32 = 31;
const NETFILTER: u32 = 32;

// `enum bpf_attach_type` (include/uapi/linux/bpf.h).
const A_INET_INGRESS: u32 = 0;
const A_INET_EGRESS: u32 = 1;
const A_INET_SOCK_CREATE: u32 = 2;
const A_SOCK_OPS: u32 = 3;
const A_SK_SKB_STREAM_PARSER: u32 = 4;
const A_SK_SKB_STREAM_VERDICT: u32 = 5;
const A_CGROUP_DEVICE: u32 = 6;
const A_SK_MSG_VERDICT: u32 = 7;
const A_INET4_BIND: u32 = 8;
const A_INET6_BIND: u32 = 9;
const A_INET4_CONNECT: u32 = 10;
const A_INET6_CONNECT: u32 = 11;
const A_INET4_POST_BIND: u32 = 12;
const A_INET6_POST_BIND: u32 = 13;
const A_UDP4_SENDMSG: u32 = 14;
const A_UDP6_SENDMSG: u32 = 15;
const A_LIRC_MODE2: u32 = 16;
const A_FLOW_DISSECTOR: u32 = 17;
const A_CGROUP_SYSCTL: u32 = 18;
const A_UDP4_RECVMSG: u32 = 19;
const A_UDP6_RECVMSG: u32 = 20;
const A_GETSOCKOPT: u32 = 21;
const A_SETSOCKOPT: u32 = 22;
const A_TRACE_RAW_TP: u32 = 23;
const A_TRACE_FENTRY: u32 = 24;
const A_TRACE_FEXIT: u32 = 25;
const A_MODIFY_RETURN: u32 = 26;
const A_LSM_MAC: u32 = 27;
const A_TRACE_ITER: u32 = 28;
const A_INET4_GETPEERNAME: u32 = 29;
const A_INET6_GETPEERNAME: u32 = 30;
const A_INET4_GETSOCKNAME: u32 = 31;
const A_INET6_GETSOCKNAME: u32 = 32;
const A_XDP_DEVMAP: u32 = 33;
const A_INET_SOCK_RELEASE: u32 = 34;
const A_XDP_CPUMAP: u32 = 35;
const A_SK_LOOKUP: u32 = 36;
const A_XDP: u32 = 37;
const A_SK_SKB_VERDICT: u32 = 38;
const A_SK_REUSEPORT_SELECT: u32 = 39;
const A_SK_REUSEPORT_SELECT_OR_MIGRATE: u32 = 40;
const A_TRACE_KPROBE_MULTI: u32 = 42;
const A_LSM_CGROUP: u32 = 43;
const A_NETFILTER: u32 = 45;
const A_TCX_INGRESS: u32 = 46;
const A_TCX_EGRESS: u32 = 47;
const A_TRACE_UPROBE_MULTI: u32 = 48;
const A_UNIX_CONNECT: u32 = 49;
const A_UNIX_SENDMSG: u32 = 50;
const A_UNIX_RECVMSG: u32 = 51;
const A_UNIX_GETPEERNAME: u32 = 52;
const A_UNIX_GETSOCKNAME: u32 = 53;
const A_NETKIT_PRIMARY: u32 = 54;
const A_NETKIT_PEER: u32 = 55;

/// libbpf 1.x `section_defs[]`, in its order (first match wins).
#[rustfmt::skip]
static SEC_DEFS: &[SecDef] = &[
    def("socket", SOCKET_FILTER, None, 0),
    def("sk_reuseport/migrate", SK_REUSEPORT, Some(A_SK_REUSEPORT_SELECT_OR_MIGRATE), 0),
    def("sk_reuseport", SK_REUSEPORT, Some(A_SK_REUSEPORT_SELECT), 0),
    def("kprobe+", KPROBE, None, 0),
    def("uprobe+", KPROBE, None, 0),
    def("uprobe.s+", KPROBE, None, SLEEPABLE),
    def("kretprobe+", KPROBE, None, 0),
    def("uretprobe+", KPROBE, None, 0),
    def("uretprobe.s+", KPROBE, None, SLEEPABLE),
    def("kprobe.multi+", KPROBE, Some(A_TRACE_KPROBE_MULTI), 0),
    def("kretprobe.multi+", KPROBE, Some(A_TRACE_KPROBE_MULTI), 0),
    def("uprobe.multi+", KPROBE, Some(A_TRACE_UPROBE_MULTI), 0),
    def("uretprobe.multi+", KPROBE, Some(A_TRACE_UPROBE_MULTI), 0),
    def("uprobe.multi.s+", KPROBE, Some(A_TRACE_UPROBE_MULTI), SLEEPABLE),
    def("uretprobe.multi.s+", KPROBE, Some(A_TRACE_UPROBE_MULTI), SLEEPABLE),
    def("ksyscall+", KPROBE, None, 0),
    def("kretsyscall+", KPROBE, None, 0),
    def("usdt+", KPROBE, None, 0),
    def("usdt.s+", KPROBE, None, SLEEPABLE),
    def("tc/ingress", SCHED_CLS, Some(A_TCX_INGRESS), 0),
    def("tc/egress", SCHED_CLS, Some(A_TCX_EGRESS), 0),
    def("tcx/ingress", SCHED_CLS, Some(A_TCX_INGRESS), 0),
    def("tcx/egress", SCHED_CLS, Some(A_TCX_EGRESS), 0),
    // libbpf matches `tc`, `classifier` and `action` exactly; iproute2-era objects also use
    // `tc/<name>` and `classifier/<name>`, which are accepted here.
    def("tc+", SCHED_CLS, None, 0),
    def("classifier+", SCHED_CLS, None, 0),
    def("action+", SCHED_ACT, None, 0),
    def("netkit/primary", SCHED_CLS, Some(A_NETKIT_PRIMARY), 0),
    def("netkit/peer", SCHED_CLS, Some(A_NETKIT_PEER), 0),
    def("tracepoint+", TRACEPOINT, None, 0),
    def("tp+", TRACEPOINT, None, 0),
    def("raw_tracepoint+", RAW_TRACEPOINT, None, 0),
    def("raw_tp+", RAW_TRACEPOINT, None, 0),
    def("raw_tracepoint.w+", RAW_TRACEPOINT_WRITABLE, None, 0),
    def("raw_tp.w+", RAW_TRACEPOINT_WRITABLE, None, 0),
    def("tp_btf+", TRACING, Some(A_TRACE_RAW_TP), 0),
    def("fentry+", TRACING, Some(A_TRACE_FENTRY), 0),
    def("fmod_ret+", TRACING, Some(A_MODIFY_RETURN), 0),
    def("fexit+", TRACING, Some(A_TRACE_FEXIT), 0),
    def("fentry.s+", TRACING, Some(A_TRACE_FENTRY), SLEEPABLE),
    def("fmod_ret.s+", TRACING, Some(A_MODIFY_RETURN), SLEEPABLE),
    def("fexit.s+", TRACING, Some(A_TRACE_FEXIT), SLEEPABLE),
    def("freplace+", EXT, None, 0),
    def("lsm+", LSM, Some(A_LSM_MAC), 0),
    def("lsm.s+", LSM, Some(A_LSM_MAC), SLEEPABLE),
    def("lsm_cgroup+", LSM, Some(A_LSM_CGROUP), 0),
    def("iter+", TRACING, Some(A_TRACE_ITER), 0),
    def("iter.s+", TRACING, Some(A_TRACE_ITER), SLEEPABLE),
    def("syscall", SYSCALL, None, SLEEPABLE),
    def("xdp.frags/devmap", XDP, Some(A_XDP_DEVMAP), FRAGS),
    def("xdp/devmap", XDP, Some(A_XDP_DEVMAP), 0),
    def("xdp.frags/cpumap", XDP, Some(A_XDP_CPUMAP), FRAGS),
    def("xdp/cpumap", XDP, Some(A_XDP_CPUMAP), 0),
    def("xdp.frags", XDP, Some(A_XDP), FRAGS),
    def("xdp", XDP, Some(A_XDP), 0),
    def("perf_event", PERF_EVENT, None, 0),
    def("lwt_in", LWT_IN, None, 0),
    def("lwt_out", LWT_OUT, None, 0),
    def("lwt_xmit", LWT_XMIT, None, 0),
    def("lwt_seg6local", LWT_SEG6LOCAL, None, 0),
    def("sockops", SOCK_OPS, Some(A_SOCK_OPS), 0),
    def("sk_skb/stream_parser", SK_SKB, Some(A_SK_SKB_STREAM_PARSER), 0),
    def("sk_skb/stream_verdict", SK_SKB, Some(A_SK_SKB_STREAM_VERDICT), 0),
    def("sk_skb/verdict", SK_SKB, Some(A_SK_SKB_VERDICT), 0),
    def("sk_skb", SK_SKB, None, 0),
    def("sk_msg", SK_MSG, Some(A_SK_MSG_VERDICT), 0),
    def("lirc_mode2", LIRC_MODE2, Some(A_LIRC_MODE2), 0),
    def("flow_dissector", FLOW_DISSECTOR, Some(A_FLOW_DISSECTOR), 0),
    def("cgroup_skb/ingress", CGROUP_SKB, Some(A_INET_INGRESS), 0),
    def("cgroup_skb/egress", CGROUP_SKB, Some(A_INET_EGRESS), 0),
    def("cgroup/skb", CGROUP_SKB, None, 0),
    def("cgroup/sock_create", CGROUP_SOCK, Some(A_INET_SOCK_CREATE), 0),
    def("cgroup/sock_release", CGROUP_SOCK, Some(A_INET_SOCK_RELEASE), 0),
    def("cgroup/sock", CGROUP_SOCK, Some(A_INET_SOCK_CREATE), 0),
    def("cgroup/post_bind4", CGROUP_SOCK, Some(A_INET4_POST_BIND), 0),
    def("cgroup/post_bind6", CGROUP_SOCK, Some(A_INET6_POST_BIND), 0),
    def("cgroup/bind4", CGROUP_SOCK_ADDR, Some(A_INET4_BIND), 0),
    def("cgroup/bind6", CGROUP_SOCK_ADDR, Some(A_INET6_BIND), 0),
    def("cgroup/connect4", CGROUP_SOCK_ADDR, Some(A_INET4_CONNECT), 0),
    def("cgroup/connect6", CGROUP_SOCK_ADDR, Some(A_INET6_CONNECT), 0),
    def("cgroup/connect_unix", CGROUP_SOCK_ADDR, Some(A_UNIX_CONNECT), 0),
    def("cgroup/sendmsg4", CGROUP_SOCK_ADDR, Some(A_UDP4_SENDMSG), 0),
    def("cgroup/sendmsg6", CGROUP_SOCK_ADDR, Some(A_UDP6_SENDMSG), 0),
    def("cgroup/sendmsg_unix", CGROUP_SOCK_ADDR, Some(A_UNIX_SENDMSG), 0),
    def("cgroup/recvmsg4", CGROUP_SOCK_ADDR, Some(A_UDP4_RECVMSG), 0),
    def("cgroup/recvmsg6", CGROUP_SOCK_ADDR, Some(A_UDP6_RECVMSG), 0),
    def("cgroup/recvmsg_unix", CGROUP_SOCK_ADDR, Some(A_UNIX_RECVMSG), 0),
    def("cgroup/getpeername4", CGROUP_SOCK_ADDR, Some(A_INET4_GETPEERNAME), 0),
    def("cgroup/getpeername6", CGROUP_SOCK_ADDR, Some(A_INET6_GETPEERNAME), 0),
    def("cgroup/getpeername_unix", CGROUP_SOCK_ADDR, Some(A_UNIX_GETPEERNAME), 0),
    def("cgroup/getsockname4", CGROUP_SOCK_ADDR, Some(A_INET4_GETSOCKNAME), 0),
    def("cgroup/getsockname6", CGROUP_SOCK_ADDR, Some(A_INET6_GETSOCKNAME), 0),
    def("cgroup/getsockname_unix", CGROUP_SOCK_ADDR, Some(A_UNIX_GETSOCKNAME), 0),
    def("cgroup/sysctl", CGROUP_SYSCTL, Some(A_CGROUP_SYSCTL), 0),
    def("cgroup/getsockopt", CGROUP_SOCKOPT, Some(A_GETSOCKOPT), 0),
    def("cgroup/setsockopt", CGROUP_SOCKOPT, Some(A_SETSOCKOPT), 0),
    def("cgroup/dev", CGROUP_DEVICE, Some(A_CGROUP_DEVICE), 0),
    def("struct_ops+", STRUCT_OPS, None, 0),
    def("struct_ops.s+", STRUCT_OPS, None, SLEEPABLE),
    def("sk_lookup", SK_LOOKUP, Some(A_SK_LOOKUP), 0),
    def("netfilter", NETFILTER, Some(A_NETFILTER), 0),
];

/// Matches `section` against one pattern; `Some(extras)` on a match (`None` extras when the
/// name has nothing after the pattern).
fn matches<'s>(pattern: &str, section: &'s str) -> Option<Option<&'s str>> {
    if let Some(prefix) = pattern.strip_suffix('+') {
        let rest = section.strip_prefix(prefix)?;
        if rest.is_empty() {
            return Some(None);
        }
        return rest
            .strip_prefix('/')
            .map(|extra| Some(extra).filter(|e| !e.is_empty()));
    }
    if pattern.ends_with('/') {
        let rest = section.strip_prefix(pattern)?;
        return Some(Some(rest).filter(|r| !r.is_empty()));
    }
    (pattern == section).then_some(None)
}

fn lookup(section: &str) -> Option<(&'static SecDef, Option<&str>)> {
    SEC_DEFS
        .iter()
        .find_map(|d| matches(d.pattern, section).map(|extra| (d, extra)))
}

/// One loose rule: a section name starting with `prefix` is a program of this type; for
/// `sk_skb`, the attach type comes from the rest of the name (`parser` / `verdict`).
struct Loose {
    prefix: &'static str,
    prog_type: u32,
    attach: Option<u32>,
}

const fn loose(prefix: &'static str, prog_type: u32, attach: Option<u32>) -> Loose {
    Loose {
        prefix,
        prog_type,
        attach,
    }
}

/// Loose prefixes, tried in order after the strict table (first match wins). These are the
/// names libbpf 0.x matched by prefix (`SEC_SLOPPY_PFX`: `sk_skb1`, `sk_msg3`, `socket/2`,
/// `xdp_prog`, `sockops_v4`) plus iproute2's `classifier*`/`action*`.
#[rustfmt::skip]
static LOOSE: &[Loose] = &[
    loose("sk_skb", SK_SKB, None),
    loose("sk_msg", SK_MSG, Some(A_SK_MSG_VERDICT)),
    loose("sockops", SOCK_OPS, Some(A_SOCK_OPS)),
    loose("socket", SOCKET_FILTER, None),
    loose("classifier", SCHED_CLS, None),
    loose("action", SCHED_ACT, None),
    loose("xdp", XDP, Some(A_XDP)),
    loose("sk_reuseport", SK_REUSEPORT, Some(A_SK_REUSEPORT_SELECT)),
    loose("perf_event", PERF_EVENT, None),
    loose("lwt_in", LWT_IN, None),
    loose("lwt_out", LWT_OUT, None),
    loose("lwt_xmit", LWT_XMIT, None),
    loose("lwt_seg6local", LWT_SEG6LOCAL, None),
    loose("cgroup_skb/ingress", CGROUP_SKB, Some(A_INET_INGRESS)),
    loose("cgroup_skb/egress", CGROUP_SKB, Some(A_INET_EGRESS)),
    loose("cgroup/skb", CGROUP_SKB, None),
    loose("cgroup/dev", CGROUP_DEVICE, Some(A_CGROUP_DEVICE)),
    loose("flow_dissector", FLOW_DISSECTOR, Some(A_FLOW_DISSECTOR)),
    loose("lirc_mode2", LIRC_MODE2, Some(A_LIRC_MODE2)),
];

/// `sk/skb/...` and `sk/msg...` (cilium's and some service meshes' spelling) read as
/// `sk_skb/...` and `sk_msg...`.
fn normalize(section: &str) -> std::borrow::Cow<'_, str> {
    match section.strip_prefix("sk/") {
        Some(rest) if rest.starts_with("skb") || rest.starts_with("msg") => {
            format!("sk_{rest}").into()
        }
        _ => section.into(),
    }
}

/// The loose classification of a name the strict table does not know.
fn classify_loose(section: &str) -> Option<ProgramKind> {
    let rule = LOOSE.iter().find(|r| section.starts_with(r.prefix))?;
    let attach = if rule.prog_type == SK_SKB {
        let rest = &section[rule.prefix.len()..];
        if rest.contains("parser") {
            Some(A_SK_SKB_STREAM_PARSER)
        } else if rest.contains("verdict") {
            Some(A_SK_SKB_STREAM_VERDICT)
        } else {
            None
        }
    } else {
        rule.attach
    };
    Some(ProgramKind {
        prog_type: ProgType(rule.prog_type),
        expected_attach_type: attach.map(AttachType),
        attach_target: None,
    })
}

/// Classifies a section name: libbpf 1.x's table first, then the loose prefix rules (see the
/// module doc). `None` for sections that are not programs.
pub fn classify(section: &str) -> Option<ProgramKind> {
    let section = normalize(section);
    match lookup(&section) {
        Some((d, extra)) => Some(ProgramKind {
            prog_type: ProgType(d.prog_type),
            expected_attach_type: d.attach.map(AttachType),
            attach_target: extra.map(str::to_owned),
        }),
        None => classify_loose(&section),
    }
}

/// True when `section` is classified only by the loose rules (libbpf 1.x would refuse it).
pub fn is_loose(section: &str) -> bool {
    lookup(&normalize(section)).is_none() && classify_loose(&normalize(section)).is_some()
}

/// The program type for a name given on the command line (`--prog-type NAME=TYPE`): the
/// kernel's names as bpftool prints them (`sched_cls`, `socket_filter`, ...), also with
/// the `BPF_PROG_TYPE_` prefix in any case, or a `SEC()` name (`classifier`, `sk_skb/stream_verdict`).
pub fn kind_for_type_name(name: &str) -> Option<ProgramKind> {
    let lower = name.to_ascii_lowercase();
    let bare = lower.strip_prefix("bpf_prog_type_").unwrap_or(&lower);
    for t in 1..=NETFILTER {
        if ProgType(t).name() == Some(bare) {
            // The attach type when the type has exactly one (sock_ops → cgroup_sock_ops,
            // sk_msg → sk_msg_verdict, xdp → xdp); none for types with several.
            let mut attaches = SEC_DEFS
                .iter()
                .filter(|d| d.prog_type == t)
                .map(|d| d.attach);
            let first = attaches.next().flatten();
            let attach = first.filter(|&a| attaches.all(|other| other.is_none_or(|o| o == a)));
            return Some(ProgramKind {
                prog_type: ProgType(t),
                expected_attach_type: attach.map(AttachType),
                attach_target: None,
            });
        }
    }
    classify(name)
}

/// `prog_flags` for `BPF_PROG_LOAD` implied by the section name: [`BPF_F_SLEEPABLE`] for the
/// `.s` variants and `syscall`, [`BPF_F_XDP_HAS_FRAGS`] for `xdp.frags*`; 0 otherwise.
pub fn prog_flags(section: &str) -> u32 {
    lookup(section).map_or(0, |(d, _)| d.flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_libbpf() {
        assert_eq!(matches("kprobe+", "kprobe"), Some(None));
        assert_eq!(
            matches("kprobe+", "kprobe/tcp_connect"),
            Some(Some("tcp_connect"))
        );
        assert_eq!(matches("kprobe+", "kprobex"), None);
        assert_eq!(matches("sockops", "sockops"), Some(None));
        assert_eq!(matches("sockops", "sockops/x"), None);
        assert_eq!(matches("xdp", "xdp_foo"), None);
    }

    #[test]
    fn every_pattern_classifies_as_its_own_entry() {
        // A shorter pattern listed before a longer one would shadow it.
        for (i, d) in SEC_DEFS.iter().enumerate() {
            let name = d.pattern.trim_end_matches('+');
            let (found, _) = lookup(name).unwrap_or_else(|| panic!("{name} not found"));
            assert!(
                std::ptr::eq(found, &SEC_DEFS[i]),
                "{name} shadowed by {}",
                found.pattern
            );
        }
    }
}
