//! Checks run once after parsing, so later lookups can trust ids and names: every type id a
//! record refers to is inside the table, and every name offset points at a NUL-terminated
//! string inside the string section.

use super::types::BtfType;
use crate::{Error, Result};

/// Type ids `t` refers to (targets, members, params, secinfo vars, ...).
pub(super) fn referenced_ids(t: &BtfType) -> Vec<u32> {
    match t {
        BtfType::Void
        | BtfType::Int(_)
        | BtfType::Enum(_)
        | BtfType::Enum64(_)
        | BtfType::Fwd(_)
        | BtfType::Float(_) => Vec::new(),
        BtfType::Ptr(r)
        | BtfType::Typedef(r)
        | BtfType::Volatile(r)
        | BtfType::Const(r)
        | BtfType::Restrict(r)
        | BtfType::TypeTag(r) => vec![r.type_id],
        BtfType::Array(a) => vec![a.elem_type, a.index_type],
        BtfType::Struct(c) | BtfType::Union(c) => c.members.iter().map(|m| m.type_id).collect(),
        BtfType::Func(f) => vec![f.proto],
        BtfType::FuncProto(p) => std::iter::once(p.return_type)
            .chain(p.params.iter().map(|p| p.type_id))
            .collect(),
        BtfType::Var(v) => vec![v.type_id],
        BtfType::Datasec(d) => d.vars.iter().map(|v| v.type_id).collect(),
        BtfType::DeclTag(d) => vec![d.type_id],
    }
}

/// String offsets `t` uses as names (its own, its members', values', params').
pub(super) fn name_offsets(t: &BtfType) -> Vec<u32> {
    let own = std::iter::once(t.name_off());
    match t {
        BtfType::Struct(c) | BtfType::Union(c) => {
            own.chain(c.members.iter().map(|m| m.name_off)).collect()
        }
        BtfType::Enum(e) => own.chain(e.values.iter().map(|v| v.name_off)).collect(),
        BtfType::Enum64(e) => own.chain(e.values.iter().map(|v| v.name_off)).collect(),
        BtfType::FuncProto(p) => own.chain(p.params.iter().map(|p| p.name_off)).collect(),
        _ => own.collect(),
    }
}

/// Validates the whole table against itself and the string section.
pub(super) fn validate(types: &[BtfType], strings: &[u8]) -> Result<()> {
    let count = types.len();
    for (id, t) in types.iter().enumerate().skip(1) {
        let type_id = super::wire::len32(id);
        for target in referenced_ids(t) {
            if target as usize >= count {
                return Err(Error::BtfType {
                    type_id,
                    reason: format!(
                        "{} refers to type {target}, past the end of the table ({count} types)",
                        t.kind_name()
                    ),
                });
            }
        }
        for off in name_offsets(t) {
            let tail = strings.get(off as usize..).filter(|s| !s.is_empty());
            let reason = match tail {
                None => format!(
                    "name offset {off} is past the end of the string section ({} bytes)",
                    strings.len()
                ),
                Some(s) if !s.contains(&0) => {
                    format!("name at string offset {off} is not NUL-terminated")
                }
                Some(_) => continue,
            };
            return Err(Error::BtfType { type_id, reason });
        }
    }
    Ok(())
}
