//! Checks run once after parsing, so later lookups can trust ids and names: every type id a
//! record refers to is inside the table, and every name offset points at a NUL-terminated
//! string inside the string section.

use super::types::BtfType;
use crate::{Error, Result};

/// Calls `f` with every type id `t` refers to (targets, members, params, secinfo vars, ...).
/// A callback rather than a list: this runs once per type of a 130 000-type vmlinux BTF.
pub(super) fn for_each_referenced_id(
    t: &BtfType,
    mut f: impl FnMut(u32) -> Result<()>,
) -> Result<()> {
    match t {
        BtfType::Void
        | BtfType::Int(_)
        | BtfType::Enum(_)
        | BtfType::Enum64(_)
        | BtfType::Fwd(_)
        | BtfType::Float(_) => Ok(()),
        BtfType::Ptr(r)
        | BtfType::Typedef(r)
        | BtfType::Volatile(r)
        | BtfType::Const(r)
        | BtfType::Restrict(r)
        | BtfType::TypeTag(r) => f(r.type_id),
        BtfType::Array(a) => {
            f(a.elem_type)?;
            f(a.index_type)
        }
        BtfType::Struct(c) | BtfType::Union(c) => c.members.iter().try_for_each(|m| f(m.type_id)),
        BtfType::Func(x) => f(x.proto),
        BtfType::FuncProto(p) => {
            f(p.return_type)?;
            p.params.iter().try_for_each(|p| f(p.type_id))
        }
        BtfType::Var(v) => f(v.type_id),
        BtfType::Datasec(d) => d.vars.iter().try_for_each(|v| f(v.type_id)),
        BtfType::DeclTag(d) => f(d.type_id),
    }
}

/// Calls `f` with every string offset `t` uses as a name (its own, its members', values',
/// params').
pub(super) fn for_each_name_offset(
    t: &BtfType,
    mut f: impl FnMut(u32) -> Result<()>,
) -> Result<()> {
    f(t.name_off())?;
    match t {
        BtfType::Struct(c) | BtfType::Union(c) => c.members.iter().try_for_each(|m| f(m.name_off)),
        BtfType::Enum(e) => e.values.iter().try_for_each(|v| f(v.name_off)),
        BtfType::Enum64(e) => e.values.iter().try_for_each(|v| f(v.name_off)),
        BtfType::FuncProto(p) => p.params.iter().try_for_each(|p| f(p.name_off)),
        _ => Ok(()),
    }
}

/// Validates the whole table against itself and the string section.
pub(super) fn validate(types: &[BtfType], strings: &[u8]) -> Result<()> {
    // A name at `off` is NUL-terminated iff some NUL sits at or after `off`: one lookup of
    // the last NUL replaces a scan per name (there are ~600 000 names in a vmlinux BTF).
    let last_nul = strings.iter().rposition(|&b| b == 0);
    for (id, t) in types.iter().enumerate().skip(1) {
        validate_one(
            super::wire::len32(id),
            t,
            types.len(),
            strings.len(),
            last_nul,
        )?;
    }
    Ok(())
}

/// Checks one type: every id it refers to is below `count`, every name offset is inside a
/// string section of `strings_len` bytes whose last NUL is at `last_nul`.
pub(super) fn validate_one(
    type_id: u32,
    t: &BtfType,
    count: usize,
    strings_len: usize,
    last_nul: Option<usize>,
) -> Result<()> {
    for_each_referenced_id(t, |target| {
        if target as usize >= count {
            return Err(Error::BtfType {
                type_id,
                reason: format!(
                    "{} refers to type {target}, past the end of the table ({count} types)",
                    t.kind_name()
                ),
            });
        }
        Ok(())
    })?;
    for_each_name_offset(t, |off| {
        let reason = if off as usize >= strings_len {
            format!("name offset {off} is past the end of the string section ({strings_len} bytes)")
        } else if last_nul.is_none_or(|n| (off as usize) > n) {
            format!("name at string offset {off} is not NUL-terminated")
        } else {
            return Ok(());
        };
        Err(Error::BtfType { type_id, reason })
    })
}
