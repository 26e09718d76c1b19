//! Pre-BTF map definitions: fixed-layout structs in the `maps` section, or one per
//! `maps/<name>` section. libbpf 1.x dropped them; old objects (the kernel's samples/bpf,
//! iproute2/tc programs, service-mesh sockops code) still use them.
//!
//! The layout of each definition is chosen by its size (the symbol's `st_size`; without one,
//! the section divided evenly between its symbols, libbpf's rule):
//!
//! ```c
//! struct bpf_map_def {              // 20 to 28 bytes (libbpf, samples/bpf)
//!     unsigned int type, key_size, value_size, max_entries, map_flags;
//!     unsigned int inner_map_idx;   // optional (24 bytes): template's position in the section
//!     unsigned int numa_node;       // optional (28 bytes)
//! };
//! struct bpf_elf_map {              // exactly 36 bytes (iproute2's include/bpf_elf.h)
//!     __u32 type, size_key, size_value, max_elem, flags;
//!     __u32 id, pinning, inner_id, inner_idx;
//! };
//! ```
//!
//! A definition longer than 28 bytes that is not 36 is a `bpf_map_def` followed by fields
//! rawbpf does not know: they must be zero (libbpf's rule), otherwise it is an error naming
//! the map. iproute2 map-in-map: an outer map's `inner_id` names the template map by its `id`;
//! every map with an `id`, no `inner_id` and `inner_idx != -1` is put into each outer map
//! whose `inner_id` is its `id`, at key `inner_idx` (as `tc` does).

use crate::elf_file::{ElfFile, STT_SECTION, Section};
use crate::{Error, MapDef, MapInitialValue, MapSource, MapType, Pinning, Result};
use rawbpf_abi::map_flags::BPF_F_NUMA_NODE;

/// Size of the five mandatory fields.
const MIN_DEF_SIZE: u64 = 20;
/// Size of the largest `struct bpf_map_def` rawbpf knows.
const MAX_DEF_SIZE: u64 = 28;
/// Size of iproute2's `struct bpf_elf_map`.
const ELF_MAP_SIZE: u64 = 36;
/// iproute2 `PIN_OBJECT_NS` / `PIN_GLOBAL_NS`.
const PIN_OBJECT_NS: u32 = 1;
const PIN_GLOBAL_NS: u32 = 2;
/// Definitions per section above which a crafted file is refused (bounds the work).
const MAX_MAPS: usize = 1 << 16;

/// What a definition says beyond [`MapDef`], for linking map-in-maps afterwards.
#[derive(Debug, Clone, Copy, Default)]
struct Links {
    /// `bpf_map_def.inner_map_idx`.
    inner_map_idx: Option<u32>,
    /// `bpf_elf_map` `id`, `inner_id`, `inner_idx`.
    id: u32,
    inner_id: u32,
    inner_idx: u32,
}

/// Parses every legacy map: the `maps` section, then each `maps/<name>` section.
pub(crate) fn parse(elf: &ElfFile<'_>) -> Result<Vec<MapDef>> {
    let mut out = Vec::new();
    for section in &elf.sections {
        let single = match section.name.as_str() {
            "maps" => None,
            name => match name.strip_prefix("maps/") {
                Some(rest) if !rest.is_empty() => Some(rest),
                _ => continue,
            },
        };
        let mut parsed = parse_section(elf, section, single)?;
        link_inner_maps(&mut parsed)?;
        out.extend(parsed.into_iter().map(|(def, _)| def));
    }
    Ok(out)
}

/// The definitions of one section. `single` is the `<name>` of a `maps/<name>` section, used
/// as the map name when the section has no symbol.
fn parse_section(
    elf: &ElfFile<'_>,
    section: &Section<'_>,
    single: Option<&str>,
) -> Result<Vec<(MapDef, Links)>> {
    let section_error = |reason: String| Error::Section {
        section: section.name.clone(),
        reason,
    };
    if section.is_nobits() {
        return Err(section_error("has no bytes in the file (NOBITS)".into()));
    }
    let mut symbols: Vec<(String, u64, u64)> = elf
        .symbols
        .iter()
        .filter(|s| s.section == Some(section.index) && s.kind != STT_SECTION && !s.name.is_empty())
        .map(|s| (s.name.clone(), s.value, s.size))
        .collect();
    if symbols.is_empty() {
        match single {
            Some(name) if section.size > 0 => symbols.push((name.to_owned(), 0, section.size)),
            _ => return Ok(Vec::new()),
        }
    }
    if symbols.len() > MAX_MAPS {
        return Err(section_error(format!(
            "{} map symbols, more than {MAX_MAPS}",
            symbols.len()
        )));
    }
    symbols.sort_by_key(|s| s.1);
    let count = symbols.len() as u64;
    let default_size = if section.size.is_multiple_of(count) {
        section.size / count
    } else {
        0
    };

    let mut maps = Vec::with_capacity(symbols.len());
    for (name, value, sym_size) in symbols {
        let map_error = |reason: String| Error::Map {
            map: name.clone(),
            reason,
        };
        let size = if sym_size > 0 { sym_size } else { default_size };
        if size < MIN_DEF_SIZE {
            return Err(map_error(format!(
                "definition is {size} bytes; struct bpf_map_def needs at least {MIN_DEF_SIZE}"
            )));
        }
        let def = value
            .checked_add(size)
            .filter(|&end| end <= section.data.len() as u64)
            .and_then(|end| {
                section
                    .data
                    .get(usize::try_from(value).ok()?..usize::try_from(end).ok()?)
            })
            .ok_or_else(|| {
                map_error(format!(
                    "definition [{value:#x}, +{size}) lies outside section {} ({} bytes)",
                    section.name,
                    section.data.len()
                ))
            })?;
        maps.push(parse_def(elf, &name, def)?);
    }
    Ok(maps)
}

/// One definition, its layout chosen by its size.
fn parse_def(elf: &ElfFile<'_>, name: &str, def: &[u8]) -> Result<(MapDef, Links)> {
    let map_error = |reason: String| Error::Map {
        map: name.to_owned(),
        reason,
    };
    let field = |i: usize| elf.read_u32(def, i * 4);
    let (Some(map_type), Some(key_size), Some(value_size), Some(max_entries), Some(map_flags)) =
        (field(0), field(1), field(2), field(3), field(4))
    else {
        return Err(map_error("definition truncated".into()));
    };
    let mut map = MapDef {
        name: name.to_owned(),
        map_type: MapType(map_type),
        key_size,
        value_size,
        max_entries,
        map_flags,
        pinning: Pinning::None,
        numa_node: None,
        map_extra: 0,
        btf_key_type_id: None,
        btf_value_type_id: None,
        inner: None,
        initial_values: Vec::new(),
        source: MapSource::Legacy,
    };
    let mut links = Links::default();
    let size = def.len() as u64;
    if size == ELF_MAP_SIZE {
        map.source = MapSource::Iproute2;
        let (Some(id), Some(pinning), Some(inner_id), Some(inner_idx)) =
            (field(5), field(6), field(7), field(8))
        else {
            return Err(map_error("definition truncated".into()));
        };
        map.pinning = match pinning {
            0 => Pinning::None,
            PIN_OBJECT_NS => Pinning::ObjectNs,
            PIN_GLOBAL_NS => Pinning::GlobalNs,
            other => {
                return Err(map_error(format!(
                    "iproute2 pinning {other} is a custom namespace from /etc/iproute2/bpf_pinning, \
                     which rawbpf does not read (supported: 0 none, 1 PIN_OBJECT_NS, 2 PIN_GLOBAL_NS)"
                )));
            }
        };
        links = Links {
            inner_map_idx: None,
            id,
            inner_id,
            inner_idx,
        };
        return Ok((map, links));
    }
    links.inner_map_idx = field(5);
    map.numa_node = field(6).filter(|_| map_flags & BPF_F_NUMA_NODE != 0);
    if size > MAX_DEF_SIZE {
        let extra = def.get(MAX_DEF_SIZE as usize..).unwrap_or_default();
        if let Some(at) = extra.iter().position(|&b| b != 0) {
            return Err(map_error(format!(
                "definition is {size} bytes: byte {} is not zero, and rawbpf knows the fields of \
                 the first {MAX_DEF_SIZE} (struct bpf_map_def) or of a {ELF_MAP_SIZE}-byte \
                 iproute2 struct bpf_elf_map only",
                MAX_DEF_SIZE as usize + at
            )));
        }
    }
    Ok((map, links))
}

/// Gives each map-in-map of one section its inner template, and iproute2 maps their slots.
fn link_inner_maps(maps: &mut [(MapDef, Links)]) -> Result<()> {
    let templates: Vec<MapDef> = maps.iter().map(|(d, _)| d.clone()).collect();
    let all_links: Vec<Links> = maps.iter().map(|(_, l)| *l).collect();
    for (map, links) in maps.iter_mut() {
        if !map.map_type.is_map_in_map() {
            continue;
        }
        let fail = |reason: String| Error::Map {
            map: map.name.clone(),
            reason,
        };
        let template = if map.source == MapSource::Iproute2 {
            if links.inner_id == 0 {
                return Err(fail(
                    "iproute2 map-in-map without inner_id (the id of its template map)".into(),
                ));
            }
            let t = all_links
                .iter()
                .position(|l| l.id == links.inner_id && l.inner_id == 0)
                .and_then(|i| templates.get(i))
                .ok_or_else(|| {
                    fail(format!(
                        "inner_id {} names no map with that id",
                        links.inner_id
                    ))
                })?;
            // Every map with this id and an inner_idx goes into the outer map at that key.
            for (i, l) in all_links.iter().enumerate() {
                if l.id == links.inner_id && l.inner_id == 0 && l.inner_idx != u32::MAX {
                    let Some(inner) = templates.get(i) else {
                        continue;
                    };
                    if map.initial_values.iter().any(|v| v.index == l.inner_idx) {
                        return Err(fail(format!("slot {} set twice", l.inner_idx)));
                    }
                    map.initial_values.push(MapInitialValue {
                        index: l.inner_idx,
                        symbol: inner.name.clone(),
                    });
                }
            }
            map.initial_values.sort_by_key(|v| v.index);
            t
        } else {
            let Some(idx) = links.inner_map_idx else {
                return Err(fail("map-in-map definition has no inner_map_idx".into()));
            };
            templates
                .get(idx as usize)
                .filter(|t| t.name != map.name)
                .ok_or_else(|| {
                    fail(format!(
                        "inner_map_idx {idx} does not name another map in the section"
                    ))
                })?
        };
        map.inner = Some(Box::new(template.clone()));
    }
    Ok(())
}
