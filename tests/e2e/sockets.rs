//! Established sockets of the test cgroup land in the pinned sockhash, survive reloads, and
//! leave it when they close.

use std::collections::BTreeMap;

use crate::harness::kernel;
use crate::harness::{Connections, SOCKOPS_O, TestEnv};

const N: usize = 3;

/// A decoded `struct sock_key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SockKey {
    sip4: [u8; 4],
    dip4: [u8; 4],
    sport: u32,
    dport: u32,
}

fn decode(key: &[u8]) -> SockKey {
    assert_eq!(key.len(), 16, "sock_key is 16 bytes, got {key:?}");
    let u32_at = |o: usize| u32::from_ne_bytes(key[o..o + 4].try_into().unwrap());
    SockKey {
        sip4: key[0..4].try_into().unwrap(),
        dip4: key[4..8].try_into().unwrap(),
        sport: u32_at(8),
        dport: u32_at(12),
    }
}

/// The map's entries as key → cookie.
fn entries(map_id: u32) -> BTreeMap<SockKey, u64> {
    kernel::map_entries(map_id)
        .into_iter()
        .map(|(k, v)| {
            assert_eq!(v.len(), 8, "value is the u64 socket cookie, got {v:?}");
            (decode(&k), u64::from_ne_bytes(v[..].try_into().unwrap()))
        })
        .collect()
}

/// Both ends of every connection: (client → server) and (server → client).
fn expected_keys(conns: &Connections) -> Vec<SockKey> {
    let lo = [127, 0, 0, 1];
    let mut keys: Vec<SockKey> = conns
        .conns
        .iter()
        .flat_map(|c| {
            let (cp, sp) = (u32::from(c.client_port), u32::from(c.server_port));
            [
                SockKey {
                    sip4: lo,
                    dip4: lo,
                    sport: cp,
                    dport: sp,
                },
                SockKey {
                    sip4: lo,
                    dip4: lo,
                    sport: sp,
                    dport: cp,
                },
            ]
        })
        .collect();
    keys.sort();
    keys
}

#[test]
fn sockets_enter_survive_reload_and_leave() {
    let Some(env) = TestEnv::new("sockets") else {
        return;
    };
    let first = env.load(SOCKOPS_O, &[]);
    let map_id = env.pinned_map_id();
    assert_eq!(first.map_id, map_id);
    assert!(
        entries(map_id).is_empty(),
        "a fresh map has entries: {:?}",
        entries(map_id)
    );

    let mut conns = Connections::open(&env.cgroup, N);
    assert!(
        env.cgroup.pids().contains(&(conns.pid() as i32)),
        "the connection child is not in the test cgroup"
    );
    let want = expected_keys(&conns);
    let seen = kernel::poll(|| {
        let e = entries(map_id);
        (e.keys().copied().collect::<Vec<_>>() == want).then_some(e)
    })
    .unwrap_or_else(|| {
        panic!(
            "map {map_id} never held both ends of {:?}: want {want:?}, has {:?}",
            conns.conns,
            entries(map_id)
        )
    });
    let cookies: Vec<u64> = seen.values().copied().collect();
    assert!(cookies.iter().all(|&c| c != 0), "zero cookie in {seen:?}");
    let mut distinct = cookies.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 2 * N, "cookies are not distinct: {seen:?}");

    // Load over load: the program is replaced, the map and its sockets stay.
    // --force: the same object again would otherwise be `unchanged`.
    let r = env.load(SOCKOPS_O, &["--force"]);
    assert_eq!(
        r.replaced_id,
        Some(first.prog_id),
        "replaced_id of the load over load"
    );
    assert_eq!(env.pinned_map_id(), map_id, "map id after load over load");
    assert_eq!(
        kernel::prog_sockhash_id(kernel::the_sockops_prog(env.cgroup_path())),
        map_id,
        "the sockhash the new program uses vs the pinned map, after load over load"
    );
    assert_eq!(entries(map_id), seen, "entries after load over load");

    // Detach + load: same.
    env.run_expect(&["detach"], &[0]);
    assert_eq!(entries(map_id), seen, "entries after detach");
    env.load(SOCKOPS_O, &[]);
    assert_eq!(env.pinned_map_id(), map_id, "map id after detach + load");
    assert_eq!(
        kernel::prog_sockhash_id(kernel::the_sockops_prog(env.cgroup_path())),
        map_id,
        "the sockhash the new program uses vs the pinned map, after detach + load"
    );
    assert_eq!(entries(map_id), seen, "entries after detach + load");

    // Closed sockets remove themselves.
    conns.close();
    let left = kernel::poll(|| entries(map_id).is_empty().then_some(()));
    assert!(
        left.is_some(),
        "closed sockets are still in map {map_id}: {:?}",
        entries(map_id)
    );
    assert_eq!(env.pinned_map_id(), map_id);
}
