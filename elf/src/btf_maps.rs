//! BTF-defined maps: the variables of the `.maps` DATASEC, each a struct whose members encode
//! the attributes (`__uint(name, N)` is `int (*name)[N]`, `__ulong(name, N)` an enum whose one
//! value is N, `__type(key, T)` is `T *key`, `__array(values, struct {...})` is a zero-length
//! array of pointers to the inner template).
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

/// An integer attribute: `__uint(name, N)` is `int (*name)[N]` (at most 32 bits, an array
/// length); `__ulong(name, N)` (libbpf 1.4+) is `enum { __unique_valueK = N } name`, an enum
/// whose one enumerator is the value (64 bits with `BTF_KIND_ENUM64`).
fn number_member(btf: &Btf, map: &str, attr: &str, member: &Member) -> Result<u64> {
    let (_, t) = btf.resolve(member.type_id)?;
    match t {
        BtfType::Ptr(ptr) => {
            let (_, arr) = btf.resolve(ptr.type_id)?;
            let BtfType::Array(arr) = arr else {
                return Err(map_error(
                    map,
                    format!("`{attr}` is a pointer, but not to an array as __uint declares it"),
                ));
            };
            Ok(u64::from(arr.nelems))
        }
        BtfType::Enum(e) => {
            let [value] = e.values.as_slice() else {
                return Err(ulong_arity(map, attr, e.values.len()));
            };
            if e.size > 4 {
                // clang before 15 has no ENUM64: it writes an 8-byte enum as BTF_KIND_ENUM
                // and keeps only the low 32 bits of the value (clang 15+ writes ENUM64).
                return Err(map_error(
                    map,
                    format!(
                        "`{attr}` is a 64-bit __ulong stored as a 32-bit BTF enum (the compiler \
                         kept only its low 32 bits, {:#x}; clang before 15 has no \
                         BTF_KIND_ENUM64): rebuild with clang 15 or later",
                        value.val as u32
                    ),
                ));
            }
            if e.signed {
                non_negative(map, attr, i64::from(value.val))
            } else {
                Ok(u64::from(value.val as u32))
            }
        }
        BtfType::Enum64(e) => {
            let [value] = e.values.as_slice() else {
                return Err(ulong_arity(map, attr, e.values.len()));
            };
            if e.signed {
                non_negative(map, attr, value.val as i64)
            } else {
                Ok(value.val)
            }
        }
        other => Err(map_error(
            map,
            format!(
                "`{attr}` is a {}, neither __uint (pointer to array) nor __ulong (enum)",
                other.kind_name()
            ),
        )),
    }
}

fn ulong_arity(map: &str, attr: &str, n: usize) -> Error {
    map_error(
        map,
        format!("`{attr}` is an enum of {n} values; __ulong declares exactly one"),
    )
}

fn non_negative(map: &str, attr: &str, v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| map_error(map, format!("`{attr}` is negative ({v})")))
}

/// A 32-bit attribute (`type`, `max_entries`, ...) given by `__uint` or `__ulong`.
fn uint_member(btf: &Btf, map: &str, attr: &str, member: &Member) -> Result<u32> {
    let v = number_member(btf, map, attr, member)?;
    u32::try_from(v).map_err(|_| {
        map_error(
            map,
            format!("`{attr}` is {v:#x}, more than its 32 bits in BPF_MAP_CREATE"),
        )
    })
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
            "map_extra" => map_extra = number_member(btf, name, attr, member)?,
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const INT: u32 = 1;
    const PTR: u32 = 2;
    const ARRAY: u32 = 3;
    const STRUCT: u32 = 4;
    const ENUM: u32 = 6;
    const ENUM64: u32 = 19;

    /// A BTF blob: `int`, `int (*)[33]` (type 3, `__uint(type, ARENA)`), then `extra`
    /// (each a type's words, ids from 4), then a struct of members (name, type id).
    fn btf(extra: &[Vec<u32>], members: &[(&str, u32)]) -> Btf {
        let mut strings = b"\0int\0v\0".to_vec();
        let mut words = vec![
            1,
            INT << 24,
            4,
            (1 << 24) | 32, // [1] int
            0,
            ARRAY << 24,
            0,
            1,
            1,
            33, // [2] int[33]
            0,
            PTR << 24,
            2, // [3] int (*)[33]
        ];
        for t in extra {
            words.extend(t);
        }
        let vlen = u32::try_from(members.len()).unwrap();
        words.extend([0, (STRUCT << 24) | vlen, 8 * vlen]);
        for (i, (name, ty)) in members.iter().enumerate() {
            let off = u32::try_from(strings.len()).unwrap();
            strings.extend(name.as_bytes());
            strings.push(0);
            words.extend([off, *ty, 64 * u32::try_from(i).unwrap()]);
        }
        let types: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let (tl, sl) = (types.len() as u32, strings.len() as u32);
        let mut blob = vec![0x9f, 0xeb, 1, 0];
        for v in [24, 0, tl, tl, sl] {
            blob.extend(u32::to_le_bytes(v));
        }
        blob.extend(types);
        blob.extend(strings);
        Btf::parse(&blob).unwrap()
    }

    /// `enum { v = val } name` of `size` bytes (kind_flag: signed).
    fn enum32(size: u32, signed: bool, vals: &[u32]) -> Vec<u32> {
        let mut w = vec![
            0,
            (u32::from(signed) << 31) | (ENUM << 24) | vals.len() as u32,
            size,
        ];
        for v in vals {
            w.extend([5, *v]);
        }
        w
    }

    fn enum64(signed: bool, val: u64) -> Vec<u32> {
        let (lo, hi) = (val as u32, (val >> 32) as u32);
        vec![
            0,
            (u32::from(signed) << 31) | (ENUM64 << 24) | 1,
            8,
            5,
            lo,
            hi,
        ]
    }

    fn parse_struct(btf: &Btf) -> Result<MapDef> {
        let last = u32::try_from(btf.types().len() - 1).unwrap();
        let BtfType::Struct(def) = btf.type_by_id(last).unwrap() else {
            panic!("no struct")
        };
        parse_def(btf, "arena", def, false).map(|p| p.def)
    }

    #[test]
    fn ulong_gives_64_bit_map_extra_and_any_integer_attribute() {
        let btf = btf(
            &[
                enum64(false, 0x7f00_0000_0000),
                enum32(4, false, &[0x8000_0010]),
            ],
            &[("type", 3), ("map_extra", 4), ("max_entries", 5)],
        );
        let def = parse_struct(&btf).unwrap();
        assert_eq!(def.map_type, MapType::ARENA);
        assert_eq!(def.map_extra, 0x7f00_0000_0000);
        // An unsigned 32-bit enum above i32::MAX is not sign-extended (libbpf's s32 is).
        assert_eq!(def.max_entries, 0x8000_0010);
    }

    #[test]
    fn ulong_refusals_name_the_attribute_and_why() {
        let cases: [(Vec<u32>, &str, &str); 5] = [
            (enum32(8, false, &[0]), "map_extra", "rebuild with clang 15"),
            (
                enum64(false, 1 << 32),
                "max_entries",
                "more than its 32 bits",
            ),
            (enum32(4, true, &[u32::MAX]), "map_extra", "negative (-1)"),
            (enum64(true, u64::MAX), "numa_node", "negative (-1)"),
            (enum32(4, false, &[1, 2]), "map_flags", "enum of 2 values"),
        ];
        for (ty, attr, want) in cases {
            let btf = btf(&[ty], &[("type", 3), (attr, 4)]);
            let err = parse_struct(&btf).unwrap_err().to_string();
            assert!(err.contains(attr) && err.contains(want), "{attr}: {err}");
        }
    }
}
