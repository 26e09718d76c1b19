//! Access paths (`struct bpf_core_spec`): the local spec parsed from the access string
//! (`0:1:2`), and the accessor steps a target spec is built from.

use super::kinds::{
    enum_len, enum_name_off, is_any_enum, is_composite, is_enumval, is_field, is_type, skip,
};
use super::{Fail, MAX_SPEC_LEN, R, fail};
use crate::btf::types::BtfType;
use crate::btf::{BtfTypes, CoreReloKind};

/// One step of an access path.
#[derive(Debug, Clone)]
pub(super) struct Accessor {
    /// For a named member: the composite's id; for an array element (and the first
    /// accessor): the element type's id; for an enumerator: the enum's id.
    pub(super) type_id: u32,
    pub(super) idx: u32,
    pub(super) name: Option<String>,
}

/// A parsed access path in one BTF (`struct bpf_core_spec`).
#[derive(Debug, Clone)]
pub(super) struct Spec {
    pub(super) root_type_id: u32,
    pub(super) acc: Vec<Accessor>,
    pub(super) raw_len: usize,
    pub(super) bit_offset: u64,
}

impl Spec {
    pub(super) fn new(root: u32) -> Spec {
        Spec {
            root_type_id: root,
            acc: Vec::new(),
            raw_len: 0,
            bit_offset: 0,
        }
    }

    /// Moves the offset `bits` further; an offset past `u64::MAX` bits (only hand-made BTF
    /// gets there: huge indexes into huge types) is an error, not an overflow.
    pub(super) fn add_bits(&mut self, bits: u64) -> R<()> {
        match self.bit_offset.checked_add(bits) {
            Some(b) => {
                self.bit_offset = b;
                Ok(())
            }
            None => fail("field offset overflows 64 bits"),
        }
    }

    /// Moves the offset `idx` elements of `size` bytes further (checked, like [`Self::add_bits`]).
    pub(super) fn add_elems(&mut self, idx: u32, size: u32) -> R<()> {
        match (u64::from(idx) * u64::from(size)).checked_mul(8) {
            Some(bits) => self.add_bits(bits),
            None => fail("field offset overflows 64 bits"),
        }
    }
}

/// `bpf_core_parse_spec`: the local access path.
pub(super) fn parse_spec(
    btf: &dyn BtfTypes,
    type_id: u32,
    access: &str,
    kind: CoreReloKind,
) -> R<Spec> {
    let raw: Vec<u32> = access
        .split(':')
        .map(|p| {
            p.parse::<u32>()
                .map_err(|_| Fail::Error(format!("bad access string {access:?}")))
        })
        .collect::<R<_>>()?;
    if raw.is_empty() || raw.len() > MAX_SPEC_LEN {
        return fail(format!("bad access string {access:?}"));
    }
    let mut spec = Spec::new(type_id);
    spec.raw_len = raw.len();
    if is_type(kind) {
        if access != "0" {
            return fail(format!(
                "type relocation with access string {access:?}, expected \"0\""
            ));
        }
        return Ok(spec);
    }
    let (mut id, t) = skip(btf, type_id)?;
    let first = raw[0];
    if is_enumval(kind) {
        if !is_any_enum(t) || raw.len() > 1 || first as usize >= enum_len(t) {
            return fail(format!(
                "enum value relocation with access string {access:?} on a {}",
                t.kind_name()
            ));
        }
        let name = btf
            .string(enum_name_off(t, first as usize).unwrap_or(0))?
            .to_owned();
        spec.acc.push(Accessor {
            type_id: id,
            idx: first,
            name: Some(name),
        });
        return Ok(spec);
    }
    if !is_field(kind) {
        return fail(format!("unknown relocation kind {}", kind.to_u32()));
    }
    spec.acc.push(Accessor {
        type_id: id,
        idx: first,
        name: None,
    });
    spec.add_elems(first, btf.size_of(id)?)?;
    for &idx in &raw[1..] {
        let (tid, t) = skip(btf, id)?;
        id = tid;
        if let Some(c) = is_composite(t) {
            let Some(m) = c.members.get(idx as usize) else {
                return fail(format!("member {idx} past the end of type {id}"));
            };
            spec.add_bits(u64::from(m.bit_offset(c.kind_flag)))?;
            if m.name_off != 0 {
                let name = btf.string(m.name_off)?;
                if name.is_empty() {
                    return fail("member with an empty name");
                }
                spec.acc.push(Accessor {
                    type_id: id,
                    idx,
                    name: Some(name.to_owned()),
                });
            }
            id = m.type_id;
        } else if let BtfType::Array(a) = t {
            let (elem, _) = skip(btf, a.elem_type)?;
            let flex = spec
                .acc
                .last()
                .is_some_and(|prev| is_flex_arr(btf, prev, a.nelems));
            if !flex && idx >= a.nelems {
                return fail(format!("array index {idx} past {} elements", a.nelems));
            }
            spec.acc.push(Accessor {
                type_id: elem,
                idx,
                name: None,
            });
            spec.add_elems(idx, btf.size_of(elem)?)?;
            id = elem;
        } else {
            return fail(format!(
                "access string {access:?} goes into a {}",
                t.kind_name()
            ));
        }
    }
    Ok(spec)
}

/// The access path in C words, as libbpf prints it: `struct task_struct.pid`,
/// `struct sk_buff.cb[2]`, `enum bpf_map_type::BPF_MAP_TYPE_RINGBUF`.
pub(super) fn describe(btf: &dyn BtfTypes, spec: &Spec) -> String {
    let root = btf.type_by_id(spec.root_type_id).ok();
    let keyword = match root {
        Some(BtfType::Struct(_)) => "struct ",
        Some(BtfType::Union(_)) => "union ",
        Some(BtfType::Enum(_) | BtfType::Enum64(_)) => "enum ",
        _ => "",
    };
    let name = btf.type_name(spec.root_type_id).unwrap_or_default();
    let mut out = format!("{keyword}{name}");
    let enumval = root.is_some_and(is_any_enum) && !spec.acc.is_empty();
    for (i, a) in spec.acc.iter().enumerate() {
        match (&a.name, enumval) {
            (Some(n), true) => out.push_str(&format!("::{n}")),
            (Some(n), false) => out.push_str(&format!(".{n}")),
            // The first accessor indexes the root as an array: shown only when not 0.
            (None, _) if i == 0 && a.idx == 0 => {}
            (None, _) => out.push_str(&format!("[{}]", a.idx)),
        }
    }
    out
}

/// A zero-length array that is the last member of its struct (flexible array member).
pub(super) fn is_flex_arr(btf: &dyn BtfTypes, acc: &Accessor, nelems: u32) -> bool {
    if acc.name.is_none() || nelems > 0 {
        return false;
    }
    match btf.type_by_id(acc.type_id) {
        Ok(t) => is_composite(t)
            .is_some_and(|c| c.members.len().checked_sub(1) == Some(acc.idx as usize)),
        Err(_) => false,
    }
}
