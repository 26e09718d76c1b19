//! Candidate matching: the target spec of one candidate type for a local spec, member by
//! member by name (`bpf_core_spec_match`), looking through anonymous members.

use super::compat::{fields_are_compat, types_are_compat, types_match};
use super::kinds::{enum_len, enum_name_off, is_any_enum, is_composite, is_enumval, is_type, skip};
use super::spec::{Accessor, Spec, is_flex_arr};
use super::target::essential;
use super::{MAX_LEVEL, MAX_SPEC_LEN, R, fail};
use crate::btf::types::BtfType;
use crate::btf::{BtfTypes, CoreReloKind};

/// `bpf_core_match_member`: finds the local accessor's member in target composite `tid`,
/// looking through anonymous members; appends to `spec`. Returns the member's type id.
fn match_member(
    local: &dyn BtfTypes,
    lacc: &Accessor,
    targ: &dyn BtfTypes,
    tid: u32,
    spec: &mut Spec,
    depth: u32,
) -> R<Option<u32>> {
    if depth > MAX_SPEC_LEN as u32 {
        return fail("struct nesting too deep");
    }
    let (tid, tt) = skip(targ, tid)?;
    let Some(tc) = is_composite(tt) else {
        return Ok(None);
    };
    let Some(lc) = local.type_by_id(lacc.type_id).ok().and_then(is_composite) else {
        return fail("local accessor is not in a struct or union");
    };
    let Some(lm) = lc.members.get(lacc.idx as usize) else {
        return fail("local member index out of range");
    };
    let lname = lacc.name.as_deref().unwrap_or("");
    for (i, m) in tc.members.iter().enumerate() {
        if spec.raw_len >= MAX_SPEC_LEN {
            return fail("access path too long");
        }
        let bit = u64::from(m.bit_offset(tc.kind_flag));
        spec.add_bits(bit)?;
        spec.raw_len += 1;
        let tname = targ.string(m.name_off)?;
        if tname.is_empty() {
            if let Some(found) = match_member(local, lacc, targ, m.type_id, spec, depth + 1)? {
                return Ok(Some(found));
            }
        } else if tname == lname {
            if !fields_are_compat(local, lm.type_id, targ, m.type_id)? {
                return Ok(None);
            }
            spec.acc.push(Accessor {
                type_id: tid,
                idx: u32::try_from(i).unwrap_or(u32::MAX),
                name: Some(tname.to_owned()),
            });
            return Ok(Some(m.type_id));
        }
        spec.bit_offset -= bit;
        spec.raw_len -= 1;
    }
    Ok(None)
}

/// `bpf_core_spec_match`: the target spec for candidate `targ_id`, if it matches.
pub(super) fn spec_match(
    local: &dyn BtfTypes,
    lspec: &Spec,
    kind: CoreReloKind,
    targ: &dyn BtfTypes,
    targ_id: u32,
) -> R<Option<Spec>> {
    let mut spec = Spec::new(targ_id);
    if is_type(kind) {
        let ok = if kind == CoreReloKind::TypeMatches {
            types_match(local, lspec.root_type_id, targ, targ_id, false, MAX_LEVEL)?
        } else {
            types_are_compat(local, lspec.root_type_id, targ, targ_id, MAX_LEVEL)?
        };
        return Ok(ok.then_some(spec));
    }
    let Some(first) = lspec.acc.first() else {
        return fail("empty access path");
    };
    if is_enumval(kind) {
        let (tid, tt) = skip(targ, targ_id)?;
        if !is_any_enum(tt) {
            return Ok(None);
        }
        let lname = essential(first.name.as_deref().unwrap_or(""));
        for i in 0..enum_len(tt) {
            let tname = targ.string(enum_name_off(tt, i).unwrap_or(0))?;
            if essential(tname) == lname {
                spec.acc.push(Accessor {
                    type_id: tid,
                    idx: u32::try_from(i).unwrap_or(u32::MAX),
                    name: Some(tname.to_owned()),
                });
                spec.raw_len = 1;
                return Ok(Some(spec));
            }
        }
        return Ok(None);
    }
    let mut tid = targ_id;
    for (i, lacc) in lspec.acc.iter().enumerate() {
        let (t, tt) = skip(targ, tid)?;
        tid = t;
        if lacc.name.is_some() {
            match match_member(local, lacc, targ, tid, &mut spec, 0)? {
                Some(next) => tid = next,
                None => return Ok(None),
            }
        } else {
            if i > 0 {
                let BtfType::Array(a) = tt else {
                    return Ok(None);
                };
                let flex = spec
                    .acc
                    .last()
                    .is_some_and(|prev| is_flex_arr(targ, prev, a.nelems));
                if !flex && lacc.idx >= a.nelems {
                    return Ok(None);
                }
                tid = skip(targ, a.elem_type)?.0;
            }
            if spec.raw_len >= MAX_SPEC_LEN {
                return fail("access path too long");
            }
            spec.acc.push(Accessor {
                type_id: tid,
                idx: lacc.idx,
                name: None,
            });
            spec.raw_len += 1;
            spec.add_elems(lacc.idx, targ.size_of(tid)?)?;
        }
    }
    Ok(Some(spec))
}
