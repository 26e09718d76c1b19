//! Type and enum value relocations (`bpf_core_calc_type_relo`, `bpf_core_calc_enumval_relo`):
//! type id, existence, match and size; enumerator existence and value.

use super::kinds::enum_value;
use super::spec::Spec;
use super::{Fail, R, fail};
use crate::btf::{BtfTypes, CoreReloKind};

/// `bpf_core_calc_type_relo`.
pub(super) fn type_value(btf: &dyn BtfTypes, spec: Option<&Spec>, kind: CoreReloKind) -> R<u64> {
    let Some(spec) = spec else { return Ok(0) };
    Ok(match kind {
        CoreReloKind::TypeIdTarget => u64::from(spec.root_type_id),
        CoreReloKind::TypeExists | CoreReloKind::TypeMatches => 1,
        CoreReloKind::TypeSize => u64::from(btf.size_of(spec.root_type_id)?),
        _ => return fail("not a type relocation"),
    })
}

/// `bpf_core_calc_enumval_relo`.
pub(super) fn enumval_value(btf: &dyn BtfTypes, spec: Option<&Spec>, kind: CoreReloKind) -> R<u64> {
    match kind {
        CoreReloKind::EnumvalExists => Ok(u64::from(spec.is_some())),
        CoreReloKind::EnumvalValue => {
            let Some(spec) = spec else {
                return Err(Fail::Poison);
            };
            let Some(acc) = spec.acc.first() else {
                return fail("empty access path");
            };
            let t = btf.type_by_id(acc.type_id)?;
            enum_value(t, acc.idx as usize)
                .ok_or_else(|| Fail::Error("enumerator out of range".into()))
        }
        _ => fail("not an enum value relocation"),
    }
}
