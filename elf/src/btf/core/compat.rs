//! Type comparisons: libbpf's `bpf_core_types_are_compat` (type relocations, `__ksym`
//! checks), `bpf_core_fields_are_compat` and the stricter `bpf_core_types_match`.

use super::kinds::{enum_len, enum_name_off, is_any_enum, is_composite, kind_compat, skip};
use super::target::essential;
use super::{INT_SIGNED, MAX_LEVEL};
use crate::btf::BtfTypes;
use crate::btf::types::{BtfType, Composite};
use crate::{Error, Result};

/// Whether local type `lid` and target type `tid` are compatible the way CO-RE type
/// relocations and libbpf's `__ksym` checks compare them (`bpf_core_types_are_compat`).
pub fn types_compatible(
    local: &dyn BtfTypes,
    lid: u32,
    targ: &dyn BtfTypes,
    tid: u32,
) -> Result<bool> {
    types_are_compat(local, lid, targ, tid, MAX_LEVEL)
}

/// `bpf_core_types_are_compat`.
pub(super) fn types_are_compat(
    local: &dyn BtfTypes,
    mut lid: u32,
    targ: &dyn BtfTypes,
    mut tid: u32,
    level: i32,
) -> Result<bool> {
    let start = lid;
    if !kind_compat(local.type_by_id(lid)?, targ.type_by_id(tid)?) {
        return Ok(false);
    }
    for _ in 0..MAX_LEVEL {
        let (_, lt) = skip(local, lid)?;
        let (_, tt) = skip(targ, tid)?;
        if !kind_compat(lt, tt) {
            return Ok(false);
        }
        match (lt, tt) {
            (BtfType::Void, _)
            | (BtfType::Struct(_), _)
            | (BtfType::Union(_), _)
            | (BtfType::Enum(_), _)
            | (BtfType::Enum64(_), _)
            | (BtfType::Fwd(_), _) => return Ok(true),
            (BtfType::Int(a), BtfType::Int(b)) => return Ok(a.offset == 0 && b.offset == 0),
            (BtfType::Ptr(a), BtfType::Ptr(b)) => (lid, tid) = (a.type_id, b.type_id),
            (BtfType::Array(a), BtfType::Array(b)) => (lid, tid) = (a.elem_type, b.elem_type),
            (BtfType::FuncProto(a), BtfType::FuncProto(b)) => {
                if a.params.len() != b.params.len() {
                    return Ok(false);
                }
                for (pa, pb) in a.params.iter().zip(&b.params) {
                    if level <= 0 {
                        return Err(Error::BtfType {
                            type_id: start,
                            reason: "types nest too deeply".into(),
                        });
                    }
                    let (la, _) = skip(local, pa.type_id)?;
                    let (tb, _) = skip(targ, pb.type_id)?;
                    if !types_are_compat(local, la, targ, tb, level - 1)? {
                        return Ok(false);
                    }
                }
                (lid, tid) = (a.return_type, b.return_type);
            }
            _ => return Ok(false),
        }
    }
    Err(Error::BtfType {
        type_id: start,
        reason: "types nest too deeply".into(),
    })
}

/// `bpf_core_fields_are_compat`.
pub(super) fn fields_are_compat(
    local: &dyn BtfTypes,
    mut lid: u32,
    targ: &dyn BtfTypes,
    mut tid: u32,
) -> Result<bool> {
    let start = lid;
    for _ in 0..MAX_LEVEL {
        let (_, lt) = skip(local, lid)?;
        let (_, tt) = skip(targ, tid)?;
        if is_composite(lt).is_some() && is_composite(tt).is_some() {
            return Ok(true);
        }
        if !kind_compat(lt, tt) {
            return Ok(false);
        }
        match (lt, tt) {
            (BtfType::Ptr(_), _) | (BtfType::Float(_), _) => return Ok(true),
            (BtfType::Fwd(_) | BtfType::Enum(_) | BtfType::Enum64(_), _) => {
                let ln = essential(local.string(lt.name_off())?);
                let tn = essential(targ.string(tt.name_off())?);
                return Ok(ln.is_empty() || tn.is_empty() || ln == tn);
            }
            (BtfType::Int(a), BtfType::Int(b)) => return Ok(a.offset == 0 && b.offset == 0),
            (BtfType::Array(a), BtfType::Array(b)) => (lid, tid) = (a.elem_type, b.elem_type),
            _ => return Ok(false),
        }
    }
    Err(Error::BtfType {
        type_id: start,
        reason: "types nest too deeply".into(),
    })
}

/// `bpf_core_names_match`: essential names equal, or either anonymous.
fn names_match(local: &dyn BtfTypes, lname: u32, targ: &dyn BtfTypes, tname: u32) -> Result<bool> {
    let l = local.string(lname)?;
    let t = targ.string(tname)?;
    Ok(l.is_empty() || t.is_empty() || essential(l) == essential(t))
}

/// `bpf_core_types_match` (the stricter relation behind `bpf_core_type_matches()`).
pub(super) fn types_match(
    local: &dyn BtfTypes,
    mut lid: u32,
    targ: &dyn BtfTypes,
    mut tid: u32,
    mut behind_ptr: bool,
    level: i32,
) -> Result<bool> {
    let start = lid;
    let deep = || Error::BtfType {
        type_id: start,
        reason: "types nest too deeply".into(),
    };
    if level <= 0 {
        return Err(deep());
    }
    for _ in 0..MAX_LEVEL {
        let (_, lt) = skip(local, lid)?;
        let (_, tt) = skip(targ, tid)?;
        if !names_match(local, lt.name_off(), targ, tt.name_off())? {
            return Ok(false);
        }
        match lt {
            BtfType::Void => return Ok(matches!(tt, BtfType::Void)),
            BtfType::Fwd(lf) => {
                return Ok(match tt {
                    BtfType::Fwd(tf) => lf.is_union == tf.is_union,
                    BtfType::Struct(_) if behind_ptr => !lf.is_union,
                    BtfType::Union(_) if behind_ptr => lf.is_union,
                    _ => false,
                });
            }
            BtfType::Enum(_) | BtfType::Enum64(_) => {
                if !is_any_enum(tt) {
                    return Ok(false);
                }
                return enums_match(local, lt, targ, tt);
            }
            BtfType::Struct(lc) | BtfType::Union(lc) => {
                let local_union = matches!(lt, BtfType::Union(_));
                if behind_ptr {
                    return Ok(match tt {
                        BtfType::Fwd(tf) => tf.is_union == local_union,
                        _ => lt.kind() == tt.kind(),
                    });
                }
                if lt.kind() != tt.kind() {
                    return Ok(false);
                }
                let Some(tc) = is_composite(tt) else {
                    return Ok(false);
                };
                return composites_match(local, lc, targ, tc, behind_ptr, level);
            }
            BtfType::Int(a) => {
                let BtfType::Int(b) = tt else {
                    return Ok(false);
                };
                return Ok(
                    a.size == b.size && (a.encoding & INT_SIGNED) == (b.encoding & INT_SIGNED)
                );
            }
            BtfType::Ptr(a) => {
                let BtfType::Ptr(b) = tt else {
                    return Ok(false);
                };
                behind_ptr = true;
                (lid, tid) = (a.type_id, b.type_id);
            }
            BtfType::Array(a) => {
                let BtfType::Array(b) = tt else {
                    return Ok(false);
                };
                if a.nelems != b.nelems {
                    return Ok(false);
                }
                (lid, tid) = (a.elem_type, b.elem_type);
            }
            BtfType::FuncProto(a) => {
                let BtfType::FuncProto(b) = tt else {
                    return Ok(false);
                };
                if a.params.len() != b.params.len() {
                    return Ok(false);
                }
                for (pa, pb) in a.params.iter().zip(&b.params) {
                    if !types_match(local, pa.type_id, targ, pb.type_id, behind_ptr, level - 1)? {
                        return Ok(false);
                    }
                }
                (lid, tid) = (a.return_type, b.return_type);
            }
            _ => return Ok(false),
        }
    }
    Err(deep())
}

fn enums_match(
    local: &dyn BtfTypes,
    lt: &BtfType,
    targ: &dyn BtfTypes,
    tt: &BtfType,
) -> Result<bool> {
    let size = |t: &BtfType| match t {
        BtfType::Enum(e) => e.size,
        BtfType::Enum64(e) => e.size,
        _ => 0,
    };
    if size(lt) != size(tt) || enum_len(lt) > enum_len(tt) {
        return Ok(false);
    }
    for i in 0..enum_len(lt) {
        let ln = enum_name_off(lt, i).unwrap_or(0);
        let mut matched = false;
        for j in 0..enum_len(tt) {
            if names_match(local, ln, targ, enum_name_off(tt, j).unwrap_or(0))? {
                matched = true;
                break;
            }
        }
        if !matched {
            return Ok(false);
        }
    }
    Ok(true)
}

fn composites_match(
    local: &dyn BtfTypes,
    lc: &Composite,
    targ: &dyn BtfTypes,
    tc: &Composite,
    behind_ptr: bool,
    level: i32,
) -> Result<bool> {
    if lc.members.len() > tc.members.len() {
        return Ok(false);
    }
    for lm in &lc.members {
        let mut matched = false;
        for tm in &tc.members {
            if !names_match(local, lm.name_off, targ, tm.name_off)? {
                continue;
            }
            if types_match(local, lm.type_id, targ, tm.type_id, behind_ptr, level - 1)? {
                matched = true;
                break;
            }
        }
        if !matched {
            return Ok(false);
        }
    }
    Ok(true)
}
