//! Programs: one per function symbol in an executable section, typed by its `SEC()` name,
//! with subprograms appended and relocations resolved to instruction indices.

use crate::btf::{CoreRelo, FuncInfo, LineInfo};
use crate::{Insn, Relocation};

/// `enum bpf_prog_type` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProgType(pub u32);

impl ProgType {
    pub const SOCKET_FILTER: ProgType = ProgType(1);
    pub const KPROBE: ProgType = ProgType(2);
    pub const SCHED_CLS: ProgType = ProgType(3);
    pub const SCHED_ACT: ProgType = ProgType(4);
    pub const TRACEPOINT: ProgType = ProgType(5);
    pub const XDP: ProgType = ProgType(6);
    pub const PERF_EVENT: ProgType = ProgType(7);
    pub const CGROUP_SKB: ProgType = ProgType(8);
    pub const CGROUP_SOCK: ProgType = ProgType(9);
    pub const SOCK_OPS: ProgType = ProgType(13);
    pub const SK_SKB: ProgType = ProgType(14);
    pub const CGROUP_DEVICE: ProgType = ProgType(15);
    pub const SK_MSG: ProgType = ProgType(16);
    pub const RAW_TRACEPOINT: ProgType = ProgType(17);
    pub const CGROUP_SOCK_ADDR: ProgType = ProgType(18);
    pub const CGROUP_SYSCTL: ProgType = ProgType(23);
    pub const CGROUP_SOCKOPT: ProgType = ProgType(25);

    /// The kernel's name (`BPF_PROG_TYPE_` dropped, lower case), as bpftool prints it.
    pub fn name(self) -> Option<&'static str> {
        const NAMES: [&str; 33] = [
            "unspec",
            "socket_filter",
            "kprobe",
            "sched_cls",
            "sched_act",
            "tracepoint",
            "xdp",
            "perf_event",
            "cgroup_skb",
            "cgroup_sock",
            "lwt_in",
            "lwt_out",
            "lwt_xmit",
            "sock_ops",
            "sk_skb",
            "cgroup_device",
            "sk_msg",
            "raw_tracepoint",
            "cgroup_sock_addr",
            "lwt_seg6local",
            "lirc_mode2",
            "sk_reuseport",
            "flow_dissector",
            "cgroup_sysctl",
            "raw_tracepoint_writable",
            "cgroup_sockopt",
            "tracing",
            "struct_ops",
            "ext",
            "lsm",
            "sk_lookup",
            "syscall",
            "netfilter",
        ];
        NAMES.get(self.0 as usize).copied()
    }
}

impl std::fmt::Display for ProgType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "type {}", self.0),
        }
    }
}

/// `enum bpf_attach_type` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttachType(pub u32);

impl AttachType {
    pub const CGROUP_INET_INGRESS: AttachType = AttachType(0);
    pub const CGROUP_INET_EGRESS: AttachType = AttachType(1);
    pub const CGROUP_INET_SOCK_CREATE: AttachType = AttachType(2);
    pub const CGROUP_SOCK_OPS: AttachType = AttachType(3);
    pub const SK_SKB_STREAM_PARSER: AttachType = AttachType(4);
    pub const SK_SKB_STREAM_VERDICT: AttachType = AttachType(5);
    pub const CGROUP_DEVICE: AttachType = AttachType(6);
    pub const SK_MSG_VERDICT: AttachType = AttachType(7);
    pub const CGROUP_INET4_BIND: AttachType = AttachType(8);
    pub const CGROUP_INET6_BIND: AttachType = AttachType(9);
    pub const CGROUP_INET4_CONNECT: AttachType = AttachType(10);
    pub const CGROUP_INET6_CONNECT: AttachType = AttachType(11);
    pub const CGROUP_INET4_POST_BIND: AttachType = AttachType(12);
    pub const CGROUP_INET6_POST_BIND: AttachType = AttachType(13);
    pub const CGROUP_UDP4_SENDMSG: AttachType = AttachType(14);
    pub const CGROUP_UDP6_SENDMSG: AttachType = AttachType(15);
    pub const CGROUP_SYSCTL: AttachType = AttachType(18);
    pub const CGROUP_UDP4_RECVMSG: AttachType = AttachType(19);
    pub const CGROUP_UDP6_RECVMSG: AttachType = AttachType(20);
    pub const CGROUP_GETSOCKOPT: AttachType = AttachType(21);
    pub const CGROUP_SETSOCKOPT: AttachType = AttachType(22);
    pub const CGROUP_INET_SOCK_RELEASE: AttachType = AttachType(34);
    pub const CGROUP_INET4_GETPEERNAME: AttachType = AttachType(29);
    pub const CGROUP_INET6_GETPEERNAME: AttachType = AttachType(30);
    pub const CGROUP_INET4_GETSOCKNAME: AttachType = AttachType(31);
    pub const CGROUP_INET6_GETSOCKNAME: AttachType = AttachType(32);
    pub const SK_SKB_VERDICT: AttachType = AttachType(38);
    pub const XDP: AttachType = AttachType(37);
    pub const TCX_INGRESS: AttachType = AttachType(46);
    pub const TCX_EGRESS: AttachType = AttachType(47);
    pub const CGROUP_UNIX_CONNECT: AttachType = AttachType(49);
    pub const CGROUP_UNIX_SENDMSG: AttachType = AttachType(50);
    pub const CGROUP_UNIX_RECVMSG: AttachType = AttachType(51);
    pub const CGROUP_UNIX_GETPEERNAME: AttachType = AttachType(52);
    pub const CGROUP_UNIX_GETSOCKNAME: AttachType = AttachType(53);

    /// True when this attach type targets a cgroup (`BPF_PROG_ATTACH` with a cgroup fd).
    /// (16 is `BPF_LIRC_MODE2` and 17 `BPF_FLOW_DISSECTOR`: not cgroup hooks.)
    pub fn is_cgroup(self) -> bool {
        matches!(self.0, 0..=3 | 6 | 8..=15 | 18..=22 | 29..=32 | 34 | 49..=53)
    }
}

/// What a `SEC()` name says about a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramKind {
    pub prog_type: ProgType,
    /// `expected_attach_type` for `BPF_PROG_LOAD`, and the attach type for `BPF_PROG_ATTACH`.
    pub expected_attach_type: Option<AttachType>,
    /// What follows the prefix, e.g. the function of `kprobe/tcp_connect`.
    pub attach_target: Option<String>,
}

/// How a section name was classified (for `inspect`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionInfo {
    pub section: String,
    pub kind: Option<ProgramKind>,
}

/// One loadable program, linked: its own instructions followed by every subprogram it
/// calls (transitively), with call offsets already fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The function symbol's name (kernel name is this truncated to 15 bytes).
    pub name: String,
    /// The ELF section it came from (its `SEC()` name).
    pub section: String,
    pub kind: ProgramKind,
    pub insns: Vec<Insn>,
    /// Map and data relocations, indices into `insns`.
    pub relocations: Vec<Relocation>,
    /// Names of the subprograms appended after the program's own instructions.
    pub subprograms: Vec<String>,
    /// `.BTF.ext` func_info rebased to `insns` (instruction indices), main function first.
    pub func_info: Vec<FuncInfo>,
    /// `.BTF.ext` line_info rebased to `insns` (instruction indices).
    pub line_info: Vec<LineInfo>,
    /// `.BTF.ext` CO-RE relocations, `insn_off` rebased to `insns` (an instruction index,
    /// not bytes); type ids and access strings refer to the object's `.BTF`.
    pub core_relos: Vec<CoreRelo>,
    /// `attach_btf_id` for `BPF_PROG_LOAD`: the kernel BTF id of what a `tp_btf`, `fentry`,
    /// `fexit`, `fmod_ret`, `lsm` or `iter` program attaches to. The parser leaves it `None`;
    /// the loader fills it from the running kernel's BTF.
    pub attach_btf_id: Option<u32>,
}
