//! Maps: create or reuse a pinned map (and the comparison behind reuse), global data maps,
//! and reading a loaded map's entries with their BTF types for `map dump`.
//! May import `host`, `error` and `report`.

pub mod access;
pub mod btf;
pub mod compat;
pub mod create;
pub mod decode;
pub mod global_data;
pub mod owned;
