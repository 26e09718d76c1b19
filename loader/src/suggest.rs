//! "Did you mean": the closest of the names that exist to a name the user typed.

/// The candidate closest to `typed` by Damerau–Levenshtein distance (a swapped pair of
/// letters counts once), if it is close enough to be a typo: at most a third of the typed
/// name's length, and at least one edit. Ties go to the first candidate in order.
pub fn closest<'a, I>(typed: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (typed.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != typed)
        .map(|c| (strsim::damerau_levenshtein(typed, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_name_and_strangers_find_none() {
        let names = ["sock_ops_map", "bpf_sock.rodata", "counters"];
        assert_eq!(closest("sock_ops_mpa", names), Some("sock_ops_map"));
        assert_eq!(closest("sockops_map", names), Some("sock_ops_map"));
        assert_eq!(closest("countrs", names), Some("counters"));
        assert_eq!(closest("xyz", names), None);
        assert_eq!(closest("counters", names), None);
    }
}
