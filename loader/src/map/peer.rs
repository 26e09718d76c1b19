//! Pairing the two ends of one connection in a socket map: the entry whose key is this
//! key with its source and destination fields swapped (`sip4`↔`dip4`, `sport`↔`dport`,
//! `src_*`↔`dst_*`, `local_*`↔`remote_*`), as the sockops program stores both sockets of a
//! loopback connection. Pure.

use std::collections::HashMap;

use super::decode::Shown;

/// The name of the field on the other end, when `name` starts like a source or destination.
fn counterpart(name: &str) -> Option<String> {
    const PAIRS: [(&str, &str); 3] = [("src", "dst"), ("local", "remote"), ("s", "d")];
    PAIRS.iter().find_map(|(a, b)| {
        if let Some(rest) = name.strip_prefix(a) {
            Some(format!("{b}{rest}"))
        } else {
            name.strip_prefix(b).map(|rest| format!("{a}{rest}"))
        }
    })
}

/// `key` with every field that has a counterpart in the same struct swapped with it;
/// `None` when no field has one (then there is no peer to look for).
fn swapped(key: &Shown) -> Option<Shown> {
    let Shown::Fields(fields) = key else {
        return None;
    };
    let mut out = fields.clone();
    let mut any = false;
    for (i, (name, _)) in fields.iter().enumerate() {
        let Some(other) = counterpart(name) else {
            continue;
        };
        if let Some((_, v)) = fields.iter().find(|(n, _)| *n == other) {
            out[i].1 = v.clone();
            any = true;
        }
    }
    any.then_some(Shown::Fields(out))
}

/// For each key, the index of its peer among `keys` (never itself).
pub fn peers(keys: &[&Shown]) -> Vec<Option<usize>> {
    let index: HashMap<String, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.to_text(), i))
        .collect();
    keys.iter()
        .enumerate()
        .map(|(i, k)| {
            let other = swapped(k)?;
            index.get(&other.to_text()).copied().filter(|&j| j != i)
        })
        .collect()
}

/// The order to print entries in: each one followed by its peer when it has one.
pub fn grouped(peers: &[Option<usize>]) -> Vec<usize> {
    let mut done = vec![false; peers.len()];
    let mut order = Vec::with_capacity(peers.len());
    for i in 0..peers.len() {
        if done[i] {
            continue;
        }
        done[i] = true;
        order.push(i);
        if let Some(j) = peers[i].filter(|&j| !done[j]) {
            done[j] = true;
            order.push(j);
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str, d: &str, sp: u32, dp: u32) -> Shown {
        Shown::Fields(vec![
            ("sip4".into(), Shown::Symbol(s.into())),
            ("dip4".into(), Shown::Symbol(d.into())),
            ("sport".into(), Shown::Number(sp.to_string())),
            ("dport".into(), Shown::Number(dp.to_string())),
        ])
    }

    #[test]
    fn pairs_both_ends() {
        let a = key("127.0.0.1", "127.0.0.2", 40000, 8080);
        let lone = key("127.0.0.1", "127.0.0.1", 1, 2);
        let b = key("127.0.0.2", "127.0.0.1", 8080, 40000);
        let p = peers(&[&a, &lone, &b]);
        assert_eq!(p, vec![Some(2), None, Some(0)]);
        assert_eq!(grouped(&p), vec![0, 2, 1]);
    }

    #[test]
    fn counterparts() {
        assert_eq!(counterpart("sport").as_deref(), Some("dport"));
        assert_eq!(counterpart("dip4").as_deref(), Some("sip4"));
        assert_eq!(counterpart("remote_ip4").as_deref(), Some("local_ip4"));
        assert_eq!(counterpart("family"), None);
        assert!(swapped(&Shown::Number("1".into())).is_none());
    }
}
