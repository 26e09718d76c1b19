//! Legacy maps: `struct bpf_map_def` entries in the `maps` section (pre-BTF objects, e.g. the
//! kernel's old `samples/bpf`). libbpf 1.x dropped them; they are read here for old objects.
//!
//! ```c
//! struct bpf_map_def {
//!     unsigned int type, key_size, value_size, max_entries, map_flags;
//!     unsigned int inner_map_idx;   // optional (24 bytes)
//!     unsigned int numa_node;       // optional (28 bytes)
//! };
//! ```

use crate::elf_file::{ElfFile, STT_SECTION};
use crate::{Error, MapDef, MapSource, MapType, Pinning, Result};

/// Size of the five mandatory fields.
const MIN_DEF_SIZE: u64 = 20;
/// `BPF_F_NUMA_NODE`: only then is `numa_node` meaningful.
const BPF_F_NUMA_NODE: u32 = 1 << 2;

/// Parses every map of the `maps` section: one per (non-section) symbol defined in it.
pub(crate) fn parse(elf: &ElfFile<'_>) -> Result<Vec<MapDef>> {
    let Some(section) = elf.section_by_name("maps") else { return Ok(Vec::new()) };
    let section_error = |reason: String| Error::Section { section: "maps".into(), reason };
    if section.is_nobits() {
        return Err(section_error("has no bytes in the file (NOBITS)".into()));
    }
    let mut symbols: Vec<_> = elf
        .symbols
        .iter()
        .filter(|s| s.section == Some(section.index) && s.kind != STT_SECTION && !s.name.is_empty())
        .collect();
    if symbols.is_empty() {
        return Ok(Vec::new());
    }
    symbols.sort_by_key(|s| s.value);
    let count = symbols.len() as u64;
    // Without st_size, libbpf's rule: the section holds `count` definitions of equal size.
    let default_size = if section.size % count == 0 { section.size / count } else { 0 };

    let mut maps = Vec::with_capacity(symbols.len());
    let mut inner_indices = Vec::with_capacity(symbols.len());
    for sym in symbols {
        let map_error = |reason: String| Error::Map { map: sym.name.clone(), reason };
        let size = if sym.size > 0 { sym.size } else { default_size };
        if size < MIN_DEF_SIZE {
            return Err(map_error(format!(
                "definition is {size} bytes; struct bpf_map_def needs at least {MIN_DEF_SIZE}"
            )));
        }
        let def = sym
            .value
            .checked_add(size)
            .filter(|&end| end <= section.data.len() as u64)
            .and_then(|end| section.data.get(usize::try_from(sym.value).ok()?..usize::try_from(end).ok()?))
            .ok_or_else(|| {
                map_error(format!(
                    "definition [{:#x}, +{size}) lies outside the maps section ({} bytes)",
                    sym.value,
                    section.data.len()
                ))
            })?;
        let field = |i: usize| elf.read_u32(def, i * 4);
        let (Some(map_type), Some(key_size), Some(value_size), Some(max_entries), Some(map_flags)) =
            (field(0), field(1), field(2), field(3), field(4))
        else {
            return Err(map_error("definition truncated".into()));
        };
        let numa_node = field(6).filter(|_| map_flags & BPF_F_NUMA_NODE != 0);
        inner_indices.push(field(5));
        maps.push(MapDef {
            name: sym.name.clone(),
            map_type: MapType(map_type),
            key_size,
            value_size,
            max_entries,
            map_flags,
            pinning: Pinning::None,
            numa_node,
            map_extra: 0,
            btf_key_type_id: None,
            btf_value_type_id: None,
            inner: None,
            initial_values: Vec::new(),
            source: MapSource::Legacy,
        });
    }

    // `inner_map_idx` names the template of a map-in-map by its position in the section.
    let templates = maps.clone();
    for (map, inner) in maps.iter_mut().zip(inner_indices) {
        if !map.map_type.is_map_in_map() {
            continue;
        }
        let Some(idx) = inner else {
            return Err(Error::Map {
                map: map.name.clone(),
                reason: "map-in-map definition has no inner_map_idx".into(),
            });
        };
        let template = templates.get(idx as usize).filter(|t| t.name != map.name).ok_or_else(|| {
            Error::Map {
                map: map.name.clone(),
                reason: format!("inner_map_idx {idx} does not name another map in the section"),
            }
        })?;
        map.inner = Some(Box::new(template.clone()));
    }
    Ok(maps)
}
