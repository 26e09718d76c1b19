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

/// Short names for the tables below.
type P = ProgType;
type A = AttachType;

/// `BPF_F_SLEEPABLE`: `prog_flags` of `.s` section variants.
pub const BPF_F_SLEEPABLE: u32 = 1 << 4;
/// `BPF_F_XDP_HAS_FRAGS`: `prog_flags` of `xdp.frags` sections.
pub const BPF_F_XDP_HAS_FRAGS: u32 = 1 << 5;

const SLEEPABLE: u32 = BPF_F_SLEEPABLE;
const FRAGS: u32 = BPF_F_XDP_HAS_FRAGS;

/// One `SEC_DEF`: name pattern, `bpf_prog_type`, `expected_attach_type`, `prog_flags`.
struct SecDef {
    pattern: &'static str,
    prog_type: ProgType,
    attach: Option<AttachType>,
    flags: u32,
}

const fn def(
    pattern: &'static str,
    prog_type: ProgType,
    attach: Option<AttachType>,
    flags: u32,
) -> SecDef {
    SecDef {
        pattern,
        prog_type,
        attach,
        flags,
    }
}

/// libbpf 1.x `section_defs[]`, in its order (first match wins).
#[rustfmt::skip]
static SEC_DEFS: &[SecDef] = &[
    def("socket", P::SOCKET_FILTER, None, 0),
    def("sk_reuseport/migrate", P::SK_REUSEPORT, Some(A::SK_REUSEPORT_SELECT_OR_MIGRATE), 0),
    def("sk_reuseport", P::SK_REUSEPORT, Some(A::SK_REUSEPORT_SELECT), 0),
    def("kprobe+", P::KPROBE, None, 0),
    def("uprobe+", P::KPROBE, None, 0),
    def("uprobe.s+", P::KPROBE, None, SLEEPABLE),
    def("kretprobe+", P::KPROBE, None, 0),
    def("uretprobe+", P::KPROBE, None, 0),
    def("uretprobe.s+", P::KPROBE, None, SLEEPABLE),
    def("kprobe.multi+", P::KPROBE, Some(A::TRACE_KPROBE_MULTI), 0),
    def("kretprobe.multi+", P::KPROBE, Some(A::TRACE_KPROBE_MULTI), 0),
    def("uprobe.multi+", P::KPROBE, Some(A::TRACE_UPROBE_MULTI), 0),
    def("uretprobe.multi+", P::KPROBE, Some(A::TRACE_UPROBE_MULTI), 0),
    def("uprobe.multi.s+", P::KPROBE, Some(A::TRACE_UPROBE_MULTI), SLEEPABLE),
    def("uretprobe.multi.s+", P::KPROBE, Some(A::TRACE_UPROBE_MULTI), SLEEPABLE),
    def("ksyscall+", P::KPROBE, None, 0),
    def("kretsyscall+", P::KPROBE, None, 0),
    def("usdt+", P::KPROBE, None, 0),
    def("usdt.s+", P::KPROBE, None, SLEEPABLE),
    def("tc/ingress", P::SCHED_CLS, Some(A::TCX_INGRESS), 0),
    def("tc/egress", P::SCHED_CLS, Some(A::TCX_EGRESS), 0),
    def("tcx/ingress", P::SCHED_CLS, Some(A::TCX_INGRESS), 0),
    def("tcx/egress", P::SCHED_CLS, Some(A::TCX_EGRESS), 0),
    // libbpf matches `tc`, `classifier` and `action` exactly; iproute2-era objects also use
    // `tc/<name>` and `classifier/<name>`, which are accepted here.
    def("tc+", P::SCHED_CLS, None, 0),
    def("classifier+", P::SCHED_CLS, None, 0),
    def("action+", P::SCHED_ACT, None, 0),
    def("netkit/primary", P::SCHED_CLS, Some(A::NETKIT_PRIMARY), 0),
    def("netkit/peer", P::SCHED_CLS, Some(A::NETKIT_PEER), 0),
    def("tracepoint+", P::TRACEPOINT, None, 0),
    def("tp+", P::TRACEPOINT, None, 0),
    def("raw_tracepoint+", P::RAW_TRACEPOINT, None, 0),
    def("raw_tp+", P::RAW_TRACEPOINT, None, 0),
    def("raw_tracepoint.w+", P::RAW_TRACEPOINT_WRITABLE, None, 0),
    def("raw_tp.w+", P::RAW_TRACEPOINT_WRITABLE, None, 0),
    def("tp_btf+", P::TRACING, Some(A::TRACE_RAW_TP), 0),
    def("fentry+", P::TRACING, Some(A::TRACE_FENTRY), 0),
    def("fmod_ret+", P::TRACING, Some(A::MODIFY_RETURN), 0),
    def("fexit+", P::TRACING, Some(A::TRACE_FEXIT), 0),
    def("fentry.s+", P::TRACING, Some(A::TRACE_FENTRY), SLEEPABLE),
    def("fmod_ret.s+", P::TRACING, Some(A::MODIFY_RETURN), SLEEPABLE),
    def("fexit.s+", P::TRACING, Some(A::TRACE_FEXIT), SLEEPABLE),
    def("freplace+", P::EXT, None, 0),
    def("lsm+", P::LSM, Some(A::LSM_MAC), 0),
    def("lsm.s+", P::LSM, Some(A::LSM_MAC), SLEEPABLE),
    def("lsm_cgroup+", P::LSM, Some(A::LSM_CGROUP), 0),
    def("iter+", P::TRACING, Some(A::TRACE_ITER), 0),
    def("iter.s+", P::TRACING, Some(A::TRACE_ITER), SLEEPABLE),
    def("syscall", P::SYSCALL, None, SLEEPABLE),
    def("xdp.frags/devmap", P::XDP, Some(A::XDP_DEVMAP), FRAGS),
    def("xdp/devmap", P::XDP, Some(A::XDP_DEVMAP), 0),
    def("xdp.frags/cpumap", P::XDP, Some(A::XDP_CPUMAP), FRAGS),
    def("xdp/cpumap", P::XDP, Some(A::XDP_CPUMAP), 0),
    def("xdp.frags", P::XDP, Some(A::XDP), FRAGS),
    def("xdp", P::XDP, Some(A::XDP), 0),
    def("perf_event", P::PERF_EVENT, None, 0),
    def("lwt_in", P::LWT_IN, None, 0),
    def("lwt_out", P::LWT_OUT, None, 0),
    def("lwt_xmit", P::LWT_XMIT, None, 0),
    def("lwt_seg6local", P::LWT_SEG6LOCAL, None, 0),
    def("sockops", P::SOCK_OPS, Some(A::CGROUP_SOCK_OPS), 0),
    def("sk_skb/stream_parser", P::SK_SKB, Some(A::SK_SKB_STREAM_PARSER), 0),
    def("sk_skb/stream_verdict", P::SK_SKB, Some(A::SK_SKB_STREAM_VERDICT), 0),
    def("sk_skb/verdict", P::SK_SKB, Some(A::SK_SKB_VERDICT), 0),
    def("sk_skb", P::SK_SKB, None, 0),
    def("sk_msg", P::SK_MSG, Some(A::SK_MSG_VERDICT), 0),
    def("lirc_mode2", P::LIRC_MODE2, Some(A::LIRC_MODE2), 0),
    def("flow_dissector", P::FLOW_DISSECTOR, Some(A::FLOW_DISSECTOR), 0),
    def("cgroup_skb/ingress", P::CGROUP_SKB, Some(A::CGROUP_INET_INGRESS), 0),
    def("cgroup_skb/egress", P::CGROUP_SKB, Some(A::CGROUP_INET_EGRESS), 0),
    def("cgroup/skb", P::CGROUP_SKB, None, 0),
    def("cgroup/sock_create", P::CGROUP_SOCK, Some(A::CGROUP_INET_SOCK_CREATE), 0),
    def("cgroup/sock_release", P::CGROUP_SOCK, Some(A::CGROUP_INET_SOCK_RELEASE), 0),
    def("cgroup/sock", P::CGROUP_SOCK, Some(A::CGROUP_INET_SOCK_CREATE), 0),
    def("cgroup/post_bind4", P::CGROUP_SOCK, Some(A::CGROUP_INET4_POST_BIND), 0),
    def("cgroup/post_bind6", P::CGROUP_SOCK, Some(A::CGROUP_INET6_POST_BIND), 0),
    def("cgroup/bind4", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET4_BIND), 0),
    def("cgroup/bind6", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET6_BIND), 0),
    def("cgroup/connect4", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET4_CONNECT), 0),
    def("cgroup/connect6", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET6_CONNECT), 0),
    def("cgroup/connect_unix", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UNIX_CONNECT), 0),
    def("cgroup/sendmsg4", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UDP4_SENDMSG), 0),
    def("cgroup/sendmsg6", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UDP6_SENDMSG), 0),
    def("cgroup/sendmsg_unix", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UNIX_SENDMSG), 0),
    def("cgroup/recvmsg4", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UDP4_RECVMSG), 0),
    def("cgroup/recvmsg6", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UDP6_RECVMSG), 0),
    def("cgroup/recvmsg_unix", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UNIX_RECVMSG), 0),
    def("cgroup/getpeername4", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET4_GETPEERNAME), 0),
    def("cgroup/getpeername6", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET6_GETPEERNAME), 0),
    def("cgroup/getpeername_unix", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UNIX_GETPEERNAME), 0),
    def("cgroup/getsockname4", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET4_GETSOCKNAME), 0),
    def("cgroup/getsockname6", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_INET6_GETSOCKNAME), 0),
    def("cgroup/getsockname_unix", P::CGROUP_SOCK_ADDR, Some(A::CGROUP_UNIX_GETSOCKNAME), 0),
    def("cgroup/sysctl", P::CGROUP_SYSCTL, Some(A::CGROUP_SYSCTL), 0),
    def("cgroup/getsockopt", P::CGROUP_SOCKOPT, Some(A::CGROUP_GETSOCKOPT), 0),
    def("cgroup/setsockopt", P::CGROUP_SOCKOPT, Some(A::CGROUP_SETSOCKOPT), 0),
    def("cgroup/dev", P::CGROUP_DEVICE, Some(A::CGROUP_DEVICE), 0),
    def("struct_ops+", P::STRUCT_OPS, None, 0),
    def("struct_ops.s+", P::STRUCT_OPS, None, SLEEPABLE),
    def("sk_lookup", P::SK_LOOKUP, Some(A::SK_LOOKUP), 0),
    def("netfilter", P::NETFILTER, Some(A::NETFILTER), 0),
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
    prog_type: ProgType,
    attach: Option<AttachType>,
}

const fn loose(prefix: &'static str, prog_type: ProgType, attach: Option<AttachType>) -> Loose {
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
    loose("sk_skb", P::SK_SKB, None),
    loose("sk_msg", P::SK_MSG, Some(A::SK_MSG_VERDICT)),
    loose("sockops", P::SOCK_OPS, Some(A::CGROUP_SOCK_OPS)),
    loose("socket", P::SOCKET_FILTER, None),
    loose("classifier", P::SCHED_CLS, None),
    loose("action", P::SCHED_ACT, None),
    loose("xdp", P::XDP, Some(A::XDP)),
    loose("sk_reuseport", P::SK_REUSEPORT, Some(A::SK_REUSEPORT_SELECT)),
    loose("perf_event", P::PERF_EVENT, None),
    loose("lwt_in", P::LWT_IN, None),
    loose("lwt_out", P::LWT_OUT, None),
    loose("lwt_xmit", P::LWT_XMIT, None),
    loose("lwt_seg6local", P::LWT_SEG6LOCAL, None),
    loose("cgroup_skb/ingress", P::CGROUP_SKB, Some(A::CGROUP_INET_INGRESS)),
    loose("cgroup_skb/egress", P::CGROUP_SKB, Some(A::CGROUP_INET_EGRESS)),
    loose("cgroup/skb", P::CGROUP_SKB, None),
    loose("cgroup/dev", P::CGROUP_DEVICE, Some(A::CGROUP_DEVICE)),
    loose("flow_dissector", P::FLOW_DISSECTOR, Some(A::FLOW_DISSECTOR)),
    loose("lirc_mode2", P::LIRC_MODE2, Some(A::LIRC_MODE2)),
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
    let attach = if rule.prog_type == P::SK_SKB {
        let rest = &section[rule.prefix.len()..];
        if rest.contains("parser") {
            Some(A::SK_SKB_STREAM_PARSER)
        } else if rest.contains("verdict") {
            Some(A::SK_SKB_STREAM_VERDICT)
        } else {
            None
        }
    } else {
        rule.attach
    };
    Some(ProgramKind {
        prog_type: rule.prog_type,
        expected_attach_type: attach,
        attach_target: None,
    })
}

/// Classifies a section name: libbpf 1.x's table first, then the loose prefix rules (see the
/// module doc). `None` for sections that are not programs.
pub fn classify(section: &str) -> Option<ProgramKind> {
    let section = normalize(section);
    match lookup(&section) {
        Some((d, extra)) => Some(ProgramKind {
            prog_type: d.prog_type,
            expected_attach_type: d.attach,
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
    let known = ProgType::ALL.iter().copied().filter(|&t| t != P::UNSPEC);
    if let Some(t) = known.into_iter().find(|t| t.name() == Some(bare)) {
        // The attach type when the type has exactly one (sock_ops → cgroup_sock_ops,
        // sk_msg → sk_msg_verdict, xdp → xdp); none for types with several.
        let mut attaches = SEC_DEFS
            .iter()
            .filter(|d| d.prog_type == t)
            .map(|d| d.attach);
        let first = attaches.next().flatten();
        let attach = first.filter(|&a| attaches.all(|other| other.is_none_or(|o| o == a)));
        return Some(ProgramKind {
            prog_type: t,
            expected_attach_type: attach,
            attach_target: None,
        });
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
