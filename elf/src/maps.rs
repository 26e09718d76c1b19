//! Map definitions: BTF-defined maps from the `.maps` DATASEC, legacy `struct bpf_map_def`
//! and iproute2 `struct bpf_elf_map` entries from the `maps` and `maps/<name>` sections, as
//! plain data. [`fix_up`] applies the deterministic fix-ups the kernel needs (libbpf's).

use crate::MapType;

/// The `pinning` attribute of a map (`enum libbpf_pin_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pinning {
    /// `LIBBPF_PIN_NONE`: a fresh map on every load.
    #[default]
    None,
    /// `LIBBPF_PIN_BY_NAME`: pinned at `<pin root>/<map name>` and reused when present.
    ByName,
    /// iproute2 `PIN_OBJECT_NS` (1): pinned in a directory of this object
    /// (`<pin root>/tc/<object name>/<map name>`, see `docs/objects.md`).
    ObjectNs,
    /// iproute2 `PIN_GLOBAL_NS` (2): pinned at `<pin root>/tc/globals/<map name>`, shared by
    /// every object that names it.
    GlobalNs,
}

impl Pinning {
    /// Name for reports: `none`, `by_name`, `object_ns`, `global_ns`.
    pub fn name(self) -> &'static str {
        match self {
            Pinning::None => "none",
            Pinning::ByName => "by_name",
            Pinning::ObjectNs => "object_ns",
            Pinning::GlobalNs => "global_ns",
        }
    }
}

/// Where a map definition came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapSource {
    /// A variable in the BTF `.maps` DATASEC.
    BtfMaps,
    /// A `struct bpf_map_def` (20 to 28 bytes) in the legacy `maps` or `maps/<name>` section.
    Legacy,
    /// An iproute2 `struct bpf_elf_map` (36 bytes: `id`, `pinning`, `inner_id`, `inner_idx`).
    Iproute2,
}

impl MapSource {
    /// Name for reports: `btf`, `legacy`, `iproute2`.
    pub fn name(self) -> &'static str {
        match self {
            MapSource::BtfMaps => "btf",
            MapSource::Legacy => "legacy",
            MapSource::Iproute2 => "iproute2",
        }
    }
}

/// One static initialiser of a map-in-map or prog array (`.values = { [i] = &sym }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapInitialValue {
    pub index: u32,
    /// The map or program symbol the slot refers to.
    pub symbol: String,
}

/// A map definition as written in the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapDef {
    /// The map's symbol name (also its pin name).
    pub name: String,
    pub map_type: MapType,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub pinning: Pinning,
    pub numa_node: Option<u32>,
    pub map_extra: u64,
    /// BTF type id of the key type (from `__type(key, T)`), if declared by type.
    pub btf_key_type_id: Option<u32>,
    /// BTF type id of the value type (from `__type(value, T)`), if declared by type.
    pub btf_value_type_id: Option<u32>,
    /// Inner map template of a map-in-map (`__array(values, struct {...})`).
    pub inner: Option<Box<MapDef>>,
    /// Static `values` initialisers.
    pub initial_values: Vec<MapInitialValue>,
    pub source: MapSource,
}

/// The fix-ups libbpf makes to definitions before `BPF_MAP_CREATE`, for the parts that do
/// not depend on the running kernel: ring buffers declared with `__type(key/value, T)` get
/// key and value size 0 (the kernel refuses anything else), perf event arrays get 4-byte keys
/// and values (a CPU index and a perf event fd). A perf event array's `max_entries` of 0
/// (= one per possible CPU) depends on the machine and is left to the loader.
pub(crate) fn fix_up(def: &mut MapDef) {
    if def.map_type == MapType::RINGBUF || def.map_type == MapType::USER_RINGBUF {
        def.key_size = 0;
        def.value_size = 0;
        def.btf_key_type_id = None;
        def.btf_value_type_id = None;
    } else if def.map_type == MapType::PERF_EVENT_ARRAY {
        def.key_size = 4;
        def.value_size = 4;
        def.btf_key_type_id = None;
        def.btf_value_type_id = None;
    }
    if let Some(inner) = def.inner.as_deref_mut() {
        fix_up(inner);
    }
}
