//! Where `load` attaches each program of an object: to the cgroup (cgroup attach types),
//! to the object's sockmap/sockhash (`sk_msg` / `sk_skb`), or nowhere (and why). Shared by
//! `load`, the unchanged-reload check and `detach OBJ`, so that all three agree. And how a
//! reload's programs pair with those an earlier load recorded under other names ([`pair`]:
//! renamed, removed, or ambiguous), which `cmd/load/program_set.rs` acts on.

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
    /// Attach to the interface of `--iface` through a link (XDP).
    Iface {
        attach_type: u32,
    },
    /// Attach to this raw tracepoint (`raw_tp/NAME`) through a pinned link.
    RawTp {
        tracepoint: String,
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
    if ty == ProgType::XDP && at.is_none_or(|at| at == AttachType::XDP) {
        return Plan::Iface {
            attach_type: AttachType::XDP.0,
        };
    }
    if let Some(at) = at.filter(|at| [AttachType::TCX_INGRESS, AttachType::TCX_EGRESS].contains(at))
    {
        return Plan::Iface { attach_type: at.0 };
    }
    if [ProgType::RAW_TRACEPOINT, ProgType::RAW_TRACEPOINT_WRITABLE].contains(&ty) {
        return raw_tp(p);
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

/// A raw tracepoint program attaches to the tracepoint its section names
/// (`raw_tp/NAME`, `raw_tracepoint/NAME`, their `.w` forms); a bare section names none.
fn raw_tp(p: &Program) -> Plan {
    let name = p
        .section
        .split_once('/')
        .map(|(_, name)| name)
        .filter(|name| !name.is_empty() && !name.contains('/'));
    match name {
        Some(name) => Plan::RawTp {
            tracepoint: name.to_string(),
        },
        None => Plan::NotAttached(format!(
            "section {} names no tracepoint (raw_tp/NAME attaches to NAME); loaded only (it \
             is unloaded when rawbpf exits)",
            p.section
        )),
    }
}

/// A program an earlier load recorded at one attach point (a cgroup and attach type) under a
/// name the object no longer has, and that is still attached there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Orphan {
    pub(crate) name: String,
    pub(crate) id: u32,
}

/// What a reload whose program set changed does at one attach point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pairing {
    /// Nothing recorded under an old name: a plain reload.
    Same,
    /// One old program, one new one: the new (index into the object's programs) replaces
    /// the old in place (a rename).
    Replace { old: Orphan, new: usize },
    /// No new program without a record: the old ones were removed from the source and are
    /// detached.
    Remove(Vec<Orphan>),
    /// More than one way to pair them: the load refuses rather than guess.
    Ambiguous { old: Vec<Orphan>, new: Vec<String> },
}

/// Pairs the `orphans` of one attach point with the object's programs of that attach point
/// that have no attached record there (`unmatched`: index and name).
pub(crate) fn pair(orphans: Vec<Orphan>, unmatched: &[(usize, String)]) -> Pairing {
    match (orphans.len(), unmatched) {
        (0, _) => Pairing::Same,
        (_, []) => Pairing::Remove(orphans),
        (1, [(new, _)]) => match orphans.into_iter().next() {
            Some(old) => Pairing::Replace { old, new: *new },
            None => Pairing::Same,
        },
        _ => Pairing::Ambiguous {
            old: orphans,
            new: unmatched.iter().map(|(_, n)| n.clone()).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orphan(name: &str, id: u32) -> Orphan {
        Orphan {
            name: name.to_string(),
            id,
        }
    }

    #[test]
    fn pairs_a_rename_removes_what_went_and_refuses_to_guess() {
        let new = |v: &[(usize, &str)]| -> Vec<(usize, String)> {
            v.iter().map(|(i, n)| (*i, n.to_string())).collect()
        };
        assert_eq!(pair(vec![], &new(&[(0, "a")])), Pairing::Same);
        assert_eq!(
            pair(vec![orphan("old", 7)], &new(&[(2, "a")])),
            Pairing::Replace {
                old: orphan("old", 7),
                new: 2
            }
        );
        assert_eq!(
            pair(vec![orphan("x", 1), orphan("y", 2)], &[]),
            Pairing::Remove(vec![orphan("x", 1), orphan("y", 2)])
        );
        assert_eq!(
            pair(vec![orphan("x", 1), orphan("y", 2)], &new(&[(0, "a")])),
            Pairing::Ambiguous {
                old: vec![orphan("x", 1), orphan("y", 2)],
                new: vec!["a".into()]
            }
        );
        assert!(matches!(
            pair(vec![orphan("x", 1)], &new(&[(0, "a"), (1, "b")])),
            Pairing::Ambiguous { .. }
        ));
    }
}
