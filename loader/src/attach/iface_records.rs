//! Attach records of interface attachments (XDP through a bpf_link): `load --iface NAME`
//! pins each program it attached at
//! `<pin root>/attached-progs/if<ifindex>-<attach type>-<program name>`, with the link
//! pinned beside it as `<record>%link[-owner]` ([`crate::attach::links`]). The link is the
//! attachment: it outlives rawbpf through its pin, a reload swaps its program with
//! `BPF_LINK_UPDATE` + `BPF_F_REPLACE`, and `detach --iface NAME` detaches exactly it. As
//! for cgroup records, the program is pinned as `pending-if…` before the attach and renamed
//! over the final name after it, so whatever moment a run dies at, one of the two names
//! the attached program. The `if` prefix keeps these apart from cgroup records (names
//! starting with a digit) and map records (`map…`).

use std::path::{Path, PathBuf};

use crate::attach::tagged;
use crate::error::{Error, Result};

/// How an XDP program runs on the interface (`--xdp-mode`): the `flags` of the XDP link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XdpMode {
    /// Flags 0: the driver's native mode where it has one, generic otherwise.
    #[default]
    Auto,
    /// `XDP_FLAGS_DRV_MODE`: in the driver; refused where the driver has no XDP.
    Native,
    /// `XDP_FLAGS_SKB_MODE`: on the socket buffer, after the driver (any interface).
    Generic,
    /// `XDP_FLAGS_HW_MODE`: offloaded to the NIC (needs a program loaded for that device).
    Offload,
}

impl XdpMode {
    pub fn flags(self) -> u32 {
        match self {
            XdpMode::Auto => 0,
            XdpMode::Native => 4,
            XdpMode::Generic => 2,
            XdpMode::Offload => 8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            XdpMode::Auto => "auto",
            XdpMode::Native => "native",
            XdpMode::Generic => "generic",
            XdpMode::Offload => "offload",
        }
    }
}

/// Tag of an interface record's name.
const IF: &str = "if";

/// The record of `program` attached to interface `ifindex` for `attach_type`.
pub fn path(pin_root: &Path, ifindex: u32, attach_type: u32, program: &str) -> PathBuf {
    tagged::path(
        pin_root,
        IF,
        false,
        &tagged::keyed(ifindex, attach_type, program),
    )
}

/// The pending record: pinned before the attach, renamed over [`path`] after.
pub fn pending_path(pin_root: &Path, ifindex: u32, attach_type: u32, program: &str) -> PathBuf {
    tagged::path(
        pin_root,
        IF,
        true,
        &tagged::keyed(ifindex, attach_type, program),
    )
}

/// An interface record parsed back from its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfaceRecord {
    pub path: PathBuf,
    pub ifindex: u32,
    pub attach_type: u32,
    pub program: String,
    pub pending: bool,
}

/// `if<ifindex>-<attach type>-<name>` or its pending form; `None` for any other name.
fn parse(name: &str) -> Option<(u32, u32, String, bool)> {
    let (rest, pending) = tagged::rest(name, IF)?;
    let (ifindex, at, prog) = tagged::parse_keyed(rest)?;
    Some((ifindex, at, prog, pending))
}

/// Every interface record (final and pending) under `pin_root`, sorted by name; with
/// `ifindex`, only that interface's. A missing directory means none.
pub fn list(pin_root: &Path, ifindex: Option<u32>) -> Vec<IfaceRecord> {
    tagged::entries(pin_root)
        .into_iter()
        .filter_map(|(name, path)| {
            let (idx, attach_type, program, pending) = parse(&name)?;
            ifindex
                .is_none_or(|want| want == idx)
                .then_some(IfaceRecord {
                    path,
                    ifindex: idx,
                    attach_type,
                    program,
                    pending,
                })
        })
        .collect()
}

/// The index of network interface `name` (in this process's network namespace); an unknown
/// name is a usage error that names it.
pub fn ifindex(name: &str) -> Result<u32> {
    let bad = |why: &str| Error::BadArgument {
        what: format!("--iface {name:?}: {why} (see `ip link show`)"),
    };
    let c = std::ffi::CString::new(name).map_err(|_| bad("not an interface name"))?;
    rawbpf_syscalls::if_nametoindex(&c)
        .ok_or_else(|| bad("no such network interface in this network namespace"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_stay_apart_from_other_records() {
        let root = Path::new("/r");
        assert_eq!(
            path(root, 3, 37, "xdp.count"),
            root.join("attached-progs/if3-37-xdp%2Ecount")
        );
        assert_eq!(
            pending_path(root, 3, 37, "x"),
            root.join("attached-progs/pending-if3-37-x")
        );
        assert_eq!(
            parse("if3-37-xdp%2Ecount"),
            Some((3, 37, "xdp.count".into(), false))
        );
        assert_eq!(parse("pending-if3-37-x"), Some((3, 37, "x".into(), true)));
        for other in [
            "3-37-x",
            "map3-37-x",
            "if3-37-",
            "ifx-37-p",
            "if3-37-x%link",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
        assert_eq!(crate::attach::records::parse_name("if3-37-x"), None);
        assert!(ifindex("lo").is_ok());
        assert!(ifindex("rawbpf-no-such0").is_err());
        assert!(ifindex("a\0b").is_err());
    }
}
