//! One relocation end to end: the local spec, every candidate's result (they must agree),
//! then the patch; and [`apply_all`] over a program.

use super::field::field_value;
use super::kinds::{is_field, is_type, kind_compat};
use super::matching::spec_match;
use super::patch::patch;
use super::spec::{Spec, describe, parse_spec};
use super::target::{CoreTarget, essential};
use super::type_enum::{enumval_value, type_value};
use super::{CoreOutcome, Fail, INT_SIGNED, R, fail};
use crate::btf::types::BtfType;
use crate::btf::{BtfTypes, CoreRelo, CoreReloKind};
use crate::{Error, Insn, Result};

/// The outcome of `bpf_core_calc_relo` for one (local, target) pair.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Res {
    pub(super) orig: u64,
    pub(super) new: u64,
    pub(super) poison: bool,
    pub(super) validate: bool,
    pub(super) orig_sz: u32,
    pub(super) new_sz: u32,
    pub(super) fail_memsz_adjust: bool,
}

fn calc(
    local: &dyn BtfTypes,
    lspec: &Spec,
    targ: &dyn BtfTypes,
    tspec: Option<&Spec>,
    kind: CoreReloKind,
) -> R<Res> {
    let mut res = Res {
        validate: true,
        ..Res::default()
    };
    let outcome: R<()> = (|| {
        if is_field(kind) {
            let o = field_value(local, Some(lspec), kind)?;
            res.orig = o.val;
            res.orig_sz = o.size;
            res.validate = o.validate;
            let n = field_value(targ, tspec, kind)?;
            res.new = n.val;
            res.new_sz = n.size;
            if res.orig_sz != res.new_sz {
                let ot = local.type_by_id(o.type_id)?;
                let nt = targ.type_by_id(n.type_id)?;
                let safe = matches!((ot, nt), (BtfType::Ptr(_), BtfType::Ptr(_)))
                    || matches!((ot, nt), (BtfType::Int(a), BtfType::Int(b)) if a.encoding & INT_SIGNED == 0 && b.encoding & INT_SIGNED == 0);
                res.fail_memsz_adjust = !safe;
            }
        } else if is_type(kind) {
            res.orig = type_value(local, Some(lspec), kind)?;
            res.new = type_value(targ, tspec, kind)?;
        } else {
            res.orig = enumval_value(local, Some(lspec), kind)?;
            res.new = enumval_value(targ, tspec, kind)?;
        }
        Ok(())
    })();
    match outcome {
        Ok(()) => Ok(res),
        Err(Fail::Poison) => Ok(Res {
            poison: true,
            ..res
        }),
        Err(e) => Err(e),
    }
}

/// Applies one relocation to `insns` (linked; `relo.insn_off` is an instruction index).
pub fn apply(
    local: &dyn BtfTypes,
    target: &CoreTarget<'_>,
    relo: &CoreRelo,
    insns: &mut [Insn],
) -> Result<CoreOutcome> {
    let at = relo.insn_off as usize;
    let access = local.string(relo.access_str_off)?.to_owned();
    let type_name = local.type_name(relo.type_id)?.to_owned();
    let err = |reason: String| Error::BtfType {
        type_id: relo.type_id,
        reason: format!(
            "CO-RE relocation at instruction {at} ({:?} of {type_name} {access}): {reason}",
            relo.kind
        ),
    };
    let run = || -> R<Res> {
        let lspec = parse_spec(local, relo.type_id, &access, relo.kind)?;
        if relo.kind == CoreReloKind::TypeIdLocal {
            let id = u64::from(lspec.root_type_id);
            return Ok(Res {
                orig: id,
                new: id,
                validate: false,
                ..Res::default()
            });
        }
        if let CoreReloKind::Unknown(k) = relo.kind {
            return fail(format!("unknown relocation kind {k}"));
        }
        let ltype = local.type_by_id(relo.type_id)?;
        let lname = local.string(ltype.name_off())?;
        if lname.is_empty() {
            return fail("relocations against anonymous types are not supported");
        }
        let targ = target.btf();
        let mut chosen: Option<(Res, Spec)> = None;
        for cand in target.named(lname) {
            let ct = targ.type_by_id(cand)?;
            if !kind_compat(ltype, ct) || essential(targ.string(ct.name_off())?) != essential(lname)
            {
                continue;
            }
            let Some(tspec) = spec_match(local, &lspec, relo.kind, targ, cand)? else {
                continue;
            };
            let res = calc(local, &lspec, targ, Some(&tspec), relo.kind)?;
            match &chosen {
                None => chosen = Some((res, tspec)),
                Some((prev, pspec)) => {
                    if is_field(relo.kind) && pspec.bit_offset != tspec.bit_offset {
                        return fail(format!(
                            "field offset ambiguity: candidates at bit {} and {}",
                            pspec.bit_offset, tspec.bit_offset
                        ));
                    }
                    if prev.poison != res.poison || prev.new != res.new {
                        return fail(format!("candidates disagree: {} vs {}", prev.new, res.new));
                    }
                }
            }
        }
        match chosen {
            Some((res, _)) => Ok(res),
            None => calc(local, &lspec, targ, None, relo.kind),
        }
    };
    let res = match run() {
        Ok(res) => res,
        Err(Fail::Poison) => Res {
            poison: true,
            ..Res::default()
        },
        Err(Fail::Error(reason)) => return Err(err(reason)),
    };
    match patch(insns, at, &res) {
        Ok(()) => {}
        Err(Fail::Poison) => {}
        Err(Fail::Error(reason)) => return Err(err(reason)),
    }
    let path = parse_spec(local, relo.type_id, &access, relo.kind)
        .map(|spec| describe(local, &spec))
        .unwrap_or_default();
    Ok(CoreOutcome {
        insn: at,
        kind: relo.kind,
        type_name,
        access,
        path,
        orig: res.orig,
        new: res.new,
        poisoned: res.poison || (res.fail_memsz_adjust && is_field(relo.kind)),
    })
}

/// Applies every CO-RE relocation of a program (as linked by [`crate::Object::parse`]) to its
/// instructions in place.
pub fn apply_all(
    local: &dyn BtfTypes,
    target: &CoreTarget<'_>,
    program: &mut crate::Program,
) -> Result<Vec<CoreOutcome>> {
    let relos = program.core_relos.clone();
    let mut out = Vec::with_capacity(relos.len());
    for relo in &relos {
        out.push(
            apply(local, target, relo, &mut program.insns).map_err(|e| Error::Program {
                program: program.name.clone(),
                reason: e.to_string(),
            })?,
        );
    }
    Ok(out)
}
