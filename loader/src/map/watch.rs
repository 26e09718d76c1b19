//! `map dump --watch`: what changed between two dumps of a map, as events. Pure.

use std::collections::HashMap;

use serde::Serialize;

use crate::cmd::map_dump::DumpEntry;

/// What happened to one entry between two rounds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// A key that was not there (`+`).
    Added,
    /// A key that is gone (`-`).
    Removed,
    /// A key whose value differs (`~`).
    Changed,
}

impl Change {
    /// The sign the human output starts the line with.
    pub fn sign(self) -> char {
        match self {
            Change::Added => '+',
            Change::Removed => '-',
            Change::Changed => '~',
        }
    }
}

/// One change: the entry as it is now (as it was, for a removed one).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WatchEvent {
    pub event: Change,
    /// The round (from 1) that saw the change; round 1 reports every entry as added.
    pub round: u64,
    pub entry: DumpEntry,
}

/// The changes from `old` to `new`, keys compared by their bytes: removals first, then
/// additions and changes in `new`'s order.
pub fn diff(old: &[DumpEntry], new: &[DumpEntry], round: u64) -> Vec<WatchEvent> {
    let event = |event, e: &DumpEntry| WatchEvent {
        event,
        round,
        entry: e.clone(),
    };
    // Keyed lookups: a sockhash can hold 65535 entries, compared every round.
    let index = |list: &'_ [DumpEntry]| -> HashMap<String, usize> {
        list.iter()
            .enumerate()
            .map(|(i, e)| (e.key_hex.clone(), i))
            .collect()
    };
    let (old_at, new_at) = (index(old), index(new));
    let mut out: Vec<WatchEvent> = old
        .iter()
        .filter(|o| !new_at.contains_key(&o.key_hex))
        .map(|o| event(Change::Removed, o))
        .collect();
    for n in new {
        match old_at.get(&n.key_hex).map(|&i| &old[i]) {
            None => out.push(event(Change::Added, n)),
            Some(o) if o.value_hex != n.value_hex => out.push(event(Change::Changed, n)),
            Some(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::decode::Shown;

    fn e(key: &str, value: &str) -> DumpEntry {
        DumpEntry {
            key: Shown::Text(key.into()),
            value: Shown::Text(value.into()),
            key_hex: key.into(),
            value_hex: serde_json::Value::String(value.into()),
            cookie_hex: None,
            peer: None,
            key_text: key.into(),
            value_text: value.into(),
        }
    }

    #[test]
    fn added_removed_changed() {
        let old = [e("01", "aa"), e("02", "bb"), e("03", "cc")];
        let new = [e("02", "bb"), e("03", "dd"), e("04", "ee")];
        let d = diff(&old, &new, 2);
        let got: Vec<(Change, &str)> = d
            .iter()
            .map(|w| (w.event, w.entry.key_hex.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (Change::Removed, "01"),
                (Change::Changed, "03"),
                (Change::Added, "04")
            ]
        );
        assert!(d.iter().all(|w| w.round == 2));
        assert!(diff(&new, &new, 3).is_empty());
        assert_eq!(diff(&[], &new, 1).len(), 3);
    }
}
