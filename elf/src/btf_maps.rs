//! BTF-defined maps: the variables of the `.maps` DATASEC, each a struct whose members encode
//! the attributes (`__uint(name, N)` is `int (*name)[N]`, `__type(key, T)` is `T *key`,
//! `__array(values, struct {...})` is a zero-length array of pointers to the inner template).
//! Mirrors libbpf's `parse_btf_map_def`.

use crate::btf::{Btf, BtfType, Composite, Member};
use crate::elf_file::{ElfFile, STT_FUNC, STT_SECTION};
use crate::link::{R_BPF_64_64, R_BPF_64_ABS64};
use crate::{Error, MapDef, MapInitialValue, MapSource, MapType, Pinning, Result};

/// `LIBBPF_PIN_BY_NAME`.
const PIN_BY_NAME: u32 = 1;

fn map_error(map: &str, reason: impl Into<String>) -> Error {
    Error::Map {
        map: map.to_owned(),
        reason: reason.into(),
    }
}

/// A parsed definition plus where its `values` array sits inside the struct (in bytes).
struct Parsed {
    def: MapDef,
    values_offset: Option<u32>,
}

/// Parses every map of the `.maps` section. No `.maps` section: no maps.
pub(crate) fn parse(elf: &ElfFile<'_>, btf: Option<&Btf>) -> Result<Vec<MapDef>> {
    let Some(section) = elf.section_by_name(".maps") else {
        return Ok(Vec::new());
    };
    let Some(btf) = btf else {
        return Err(Error::Section {
            section: ".maps".into(),
            reason: "BTF-defined maps need a .BTF section".into(),
        });
    };
    let Some((_, datasec)) = btf.datasec(".maps") else {
        if section.size == 0 {
            return Ok(Vec::new());
        }
        return Err(Error::Section {
            section: ".maps".into(),
            reason: "no DATASEC .maps in .BTF".into(),
        });
    };

    let mut parsed = Vec::new();
    for var_info in &datasec.vars {
        let BtfType::Var(var) = btf.type_by_id(var_info.type_id)? else {
            return Err(Error::BtfType {
                type_id: var_info.type_id,
                reason: "entry of DATASEC .maps is not a VAR".into(),
            });
        };
        let name = btf.string(var.name_off)?.to_owned();
        let (_, ty) = btf.resolve(var.type_id)?;
        let BtfType::Struct(def) = ty else {
            return Err(map_error(
                &name,
                format!("type is {}, not a struct", ty.kind_name()),
            ));
        };
        parsed.push(parse_def(btf, &name, def, false)?);
    }
    initial_values(elf, section.index, &mut parsed)?;
    Ok(parsed.into_iter().map(|p| p.def).collect())
}

/// `int (*name)[N]` → N.
fn uint_member(btf: &Btf, map: &str, attr: &str, member: &Member) -> Result<u32> {
    let not_uint = || {
        map_error(
            map,
            format!("`{attr}` is not declared with __uint (pointer to array)"),
        )
    };
    let (_, ptr) = btf.resolve(member.type_id)?;
    let BtfType::Ptr(ptr) = ptr else {
        return Err(not_uint());
    };
    let (_, arr) = btf.resolve(ptr.type_id)?;
    let BtfType::Array(arr) = arr else {
        return Err(not_uint());
    };
    Ok(arr.nelems)
}

/// `T *name` → (id of T, size of T).
fn type_member(btf: &Btf, map: &str, attr: &str, member: &Member) -> Result<(u32, u32)> {
    let (_, ptr) = btf.resolve(member.type_id)?;
    let BtfType::Ptr(ptr) = ptr else {
        return Err(map_error(
            map,
            format!("`{attr}` is not declared with __type (pointer)"),
        ));
    };
    Ok((ptr.type_id, btf.size_of(ptr.type_id)?))
}

fn set_size(map: &str, attr: &str, slot: &mut Option<u32>, size: u32) -> Result<()> {
    match *slot {
        Some(old) if old != size => Err(map_error(
            map,
            format!("conflicting {attr}: {old} from one attribute, {size} from another"),
        )),
        _ => {
            *slot = Some(size);
            Ok(())
        }
    }
}

fn parse_def(btf: &Btf, name: &str, def: &Composite, inner: bool) -> Result<Parsed> {
    let mut map_type = None;
    let (mut key_size, mut value_size) = (None, None);
    let (mut key_id, mut value_id) = (None, None);
    let mut max_entries = 0;
    let mut map_flags = 0;
    let mut numa_node = None;
    let mut pinning = Pinning::None;
    let mut map_extra = 0u64;
    let mut values = None;

    let mut seen: Vec<&str> = Vec::new();
    for member in &def.members {
        let attr = btf.string(member.name_off)?;
        // C cannot declare a member twice; refusing repeats also bounds this loop to the
        // dozen known attributes however many members a crafted struct has.
        if seen.contains(&attr) {
            return Err(map_error(name, format!("attribute `{attr}` given twice")));
        }
        seen.push(attr);
        match attr {
            "type" => map_type = Some(uint_member(btf, name, attr, member)?),
            "max_entries" => max_entries = uint_member(btf, name, attr, member)?,
            "map_flags" => map_flags = uint_member(btf, name, attr, member)?,
            "numa_node" => numa_node = Some(uint_member(btf, name, attr, member)?),
            "map_extra" => map_extra = u64::from(uint_member(btf, name, attr, member)?),
            "key_size" => set_size(
                name,
                "key size",
                &mut key_size,
                uint_member(btf, name, attr, member)?,
            )?,
            "value_size" => {
                set_size(
                    name,
                    "value size",
                    &mut value_size,
                    uint_member(btf, name, attr, member)?,
                )?;
            }
            "pinning" => {
                pinning = match uint_member(btf, name, attr, member)? {
                    0 => Pinning::None,
                    PIN_BY_NAME => Pinning::ByName,
                    other => return Err(map_error(name, format!("unsupported pinning {other}"))),
                };
            }
            "key" => {
                let (id, size) = type_member(btf, name, attr, member)?;
                set_size(name, "key size", &mut key_size, size)?;
                key_id = Some(id);
            }
            "value" => {
                let (id, size) = type_member(btf, name, attr, member)?;
                set_size(name, "value size", &mut value_size, size)?;
                value_id = Some(id);
            }
            "values" => values = Some(member),
            other => return Err(map_error(name, format!("unknown attribute `{other}`"))),
        }
    }

    let Some(map_type) = map_type.map(MapType) else {
        return Err(map_error(name, "no `type` attribute"));
    };
    let mut parsed = Parsed {
        def: MapDef {
            name: name.to_owned(),
            map_type,
            key_size: key_size.unwrap_or(0),
            value_size: value_size.unwrap_or(0),
            max_entries,
            map_flags,
            pinning,
            numa_node,
            map_extra,
            btf_key_type_id: key_id,
            btf_value_type_id: value_id,
            inner: None,
            initial_values: Vec::new(),
            source: MapSource::BtfMaps,
        },
        values_offset: None,
    };
    if let Some(member) = values {
        if inner {
            return Err(map_error(
                name,
                "an inner map template cannot itself have `values`",
            ));
        }
        values_member(btf, &mut parsed, member, def.kind_flag)?;
    }
    Ok(parsed)
}

/// `__array(values, ...)`: the inner map template of a map-in-map, or the (empty) slot type
/// of a prog array. Records where the array starts so relocations can fill it.
fn values_member(btf: &Btf, parsed: &mut Parsed, member: &Member, kind_flag: bool) -> Result<()> {
    let name = parsed.def.name.clone();
    let (_, arr) = btf.resolve(member.type_id)?;
    let BtfType::Array(arr) = arr else {
        return Err(map_error(&name, "`values` is not an array"));
    };
    if arr.nelems != 0 {
        return Err(map_error(&name, "`values` must be a zero-length array"));
    }
    let (_, ptr) = btf.resolve(arr.elem_type)?;
    let BtfType::Ptr(ptr) = ptr else {
        return Err(map_error(&name, "`values` elements are not pointers"));
    };
    let (_, target) = btf.resolve(ptr.type_id)?;
    // Slots of both kinds hold a 4-byte id (a map fd or a program fd on update).
    if parsed.def.value_size != 0 && parsed.def.value_size != 4 {
        return Err(map_error(
            &name,
            format!(
                "value size {} conflicts with `values` (4)",
                parsed.def.value_size
            ),
        ));
    }
    parsed.def.value_size = 4;
    let map_type = parsed.def.map_type;
    if map_type.is_map_in_map() {
        let BtfType::Struct(inner) = target else {
            return Err(map_error(
                &name,
                "`values` of a map-in-map must point to a map definition",
            ));
        };
        let inner = parse_def(btf, &format!("{name}.inner"), inner, true)?;
        parsed.def.inner = Some(Box::new(inner.def));
    } else if map_type == MapType::PROG_ARRAY {
        if !matches!(target, BtfType::FuncProto(_)) {
            return Err(map_error(
                &name,
                "`values` of a prog array must point to functions",
            ));
        }
    } else {
        return Err(map_error(
            &name,
            "`values` is only for map-in-map and prog array maps",
        ));
    }
    parsed.values_offset = Some(member.bit_offset(kind_flag) / 8);
    Ok(())
}

/// Fills `initial_values` from the relocations of `.maps` (`.values = { [i] = &sym }`).
fn initial_values(elf: &ElfFile<'_>, maps_section: usize, parsed: &mut [Parsed]) -> Result<()> {
    let relocations = elf.relocations_of(maps_section);
    if relocations.is_empty() {
        return Ok(());
    }
    // The byte range of each map's `values` array in the section, found once.
    let mut variables = std::collections::HashMap::new();
    for s in &elf.symbols {
        if s.section == Some(maps_section) && s.kind != STT_SECTION {
            variables
                .entry(s.name.as_str())
                .or_insert((s.value, s.size));
        }
    }
    let ranges: Vec<Option<(u64, u64)>> = parsed
        .iter()
        .map(|p| {
            let values = u64::from(p.values_offset?);
            let &(value, size) = variables.get(p.def.name.as_str())?;
            Some((value.checked_add(values)?, value.checked_add(size)?))
        })
        .collect();
    for rel in relocations {
        let symbol = elf.symbol(rel.symbol).filter(|_| rel.symbol != 0);
        let label = symbol.map_or_else(|| format!("symbol #{}", rel.symbol), |s| s.name.clone());
        let fail = |reason: String| Error::Relocation {
            section: ".maps".into(),
            offset: rel.offset,
            symbol: label.clone(),
            reason,
        };
        if rel.r_type != R_BPF_64_64 && rel.r_type != R_BPF_64_ABS64 {
            return Err(Error::UnsupportedRelocation {
                section: ".maps".into(),
                offset: rel.offset,
                r_type: rel.r_type,
                symbol: label,
            });
        }
        let Some(symbol) = symbol else {
            return Err(fail("symbol index out of range".into()));
        };
        // The map whose `values` array holds this offset.
        let slot = parsed.iter_mut().zip(&ranges).find_map(|(p, range)| {
            let (start, end) = (*range)?;
            (rel.offset >= start && rel.offset < end).then(|| (rel.offset - start, p))
        });
        let Some((delta, p)) = slot else {
            return Err(fail(
                "relocation in .maps outside any map's `values` array".into(),
            ));
        };
        if delta % 8 != 0 {
            return Err(fail("not on a `values` slot (8-byte pointers)".into()));
        }
        let index = u32::try_from(delta / 8).map_err(|_| fail("slot index too large".into()))?;
        if index >= p.def.max_entries {
            return Err(fail(format!(
                "slot {index} is past max_entries {} of {}",
                p.def.max_entries, p.def.name
            )));
        }
        let expected_ok = if p.def.map_type.is_map_in_map() {
            symbol.section.is_some_and(|s| s == maps_section)
        } else {
            symbol.kind == STT_FUNC
        };
        if !expected_ok {
            let want = if p.def.map_type.is_map_in_map() {
                "a map"
            } else {
                "a program"
            };
            return Err(fail(format!(
                "slot {index} of {} must refer to {want}",
                p.def.name
            )));
        }
        if p.def.initial_values.iter().any(|v| v.index == index) {
            return Err(fail(format!("slot {index} of {} set twice", p.def.name)));
        }
        p.def.initial_values.push(MapInitialValue {
            index,
            symbol: symbol.name.clone(),
        });
    }
    for p in parsed.iter_mut() {
        p.def.initial_values.sort_by_key(|v| v.index);
    }
    Ok(())
}
