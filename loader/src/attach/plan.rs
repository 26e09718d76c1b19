//! Where `load` attaches each program of an object: to the cgroup (cgroup attach types),
//! to the object's sockmap/sockhash (`sk_msg` / `sk_skb`), or nowhere (and why). Shared by
//! `load`, the unchanged-reload check and `detach OBJ`, so that all three agree.

use rawbpf_abi::{AttachType, ProgType};
use rawbpf_elf::{Object, Program};

/// Where a program will be attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// `--no-attach`.
    None,
    /// Not attachable automatically; the reason.
    NotAttached(String),
    Cgroup {
        attach_type: u32,
    },
    /// Attach to the sockmap/sockhash with this name.
    Map {
        attach_type: u32,
        map: String,
    },
}

/// The plan for program `p` of `obj`; [`Plan::None`] when `attach` is off (`--no-attach`).
pub(crate) fn plan(obj: &Object, p: &Program, attach: bool) -> Plan {
    if !attach {
        return Plan::None;
    }
    let at = p.kind.expected_attach_type;
    let ty = p.kind.prog_type;
    if let Some(at) = at.filter(|at| at.is_cgroup()) {
        return Plan::Cgroup { attach_type: at.0 };
    }
    let sockmap_at = match at {
        Some(at) if at.is_sockmap() => Some(at),
        None if ty == ProgType::SK_MSG => Some(AttachType::SK_MSG_VERDICT),
        _ => None,
    };
    if let Some(AttachType(at)) = sockmap_at {
        let map = p.relocations.iter().find_map(|r| match r {
            rawbpf_elf::Relocation::MapFd { map, .. } => obj
                .map(map)
                .filter(|d| d.map_type.is_sockmap())
                .map(|d| d.name.clone()),
            _ => None,
        });
        // A stream parser rarely refers to its map: with exactly one sockmap/sockhash in the
        // object, that one is meant.
        let map = map.or_else(|| {
            let mut socks = obj.maps.iter().filter(|d| d.map_type.is_sockmap());
            match (socks.next(), socks.next()) {
                (Some(only), None) => Some(only.name.clone()),
                _ => None,
            }
        });
        return match map {
            Some(map) => Plan::Map {
                attach_type: at,
                map,
            },
            None => Plan::NotAttached(format!(
                "{} program refers to no SOCKMAP/SOCKHASH map to attach to; loaded only (it is \
                 unloaded when rawbpf exits)",
                ty
            )),
        };
    }
    if p.section == "usdt" || p.section.starts_with("usdt/") || p.section.starts_with("usdt.s") {
        return Plan::NotAttached(format!(
            "USDT probe ({}): attaching needs the target's USDT notes and a uprobe, which \
             rawbpf does not do; loaded only (it is unloaded when rawbpf exits, as nothing \
             attaches or pins it)",
            p.section
        ));
    }
    Plan::NotAttached(format!(
        "type {ty} has no automatic attach; loaded only (it is unloaded when rawbpf exits, as \
         nothing attaches or pins it)"
    ))
}
