//! Maps: create or reuse a pinned map (and the comparison behind reuse), global data maps,
//! and reading a loaded map's entries with their BTF types for `map dump`.
//! May import `host`, `error` and `report`.

pub mod access;
pub mod btf;
pub mod compat;
pub mod create;
pub mod decode;
pub mod encode;
pub mod global_data;
pub mod owned;
pub mod peer;
pub mod watch;

/// A map definition for tests: `name` of `map_type`, every size and option zero or absent;
/// a test sets what it needs with `MapDef { key_size: 4, ..test_def(..) }`.
#[cfg(test)]
pub(crate) fn test_def(name: &str, map_type: rawbpf_elf::MapType) -> rawbpf_elf::MapDef {
    rawbpf_elf::MapDef {
        name: name.into(),
        map_type,
        key_size: 0,
        value_size: 0,
        max_entries: 0,
        map_flags: 0,
        pinning: rawbpf_elf::Pinning::None,
        numa_node: None,
        map_extra: 0,
        btf_key_type_id: None,
        btf_value_type_id: None,
        inner: None,
        initial_values: vec![],
        source: rawbpf_elf::MapSource::BtfMaps,
    }
}
