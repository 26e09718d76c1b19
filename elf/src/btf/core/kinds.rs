//! Small questions about relocation kinds and BTF types that every CO-RE step asks: which
//! family a relocation kind is in, what a type is behind its typedefs, an enum's values.

use crate::Result;
use crate::btf::types::{BtfType, Composite};
use crate::btf::{BtfTypes, CoreReloKind};

pub(super) fn is_field(kind: CoreReloKind) -> bool {
    use CoreReloKind::*;
    matches!(
        kind,
        FieldByteOffset
            | FieldByteSize
            | FieldExists
            | FieldSigned
            | FieldLshiftU64
            | FieldRshiftU64
    )
}

pub(super) fn is_type(kind: CoreReloKind) -> bool {
    use CoreReloKind::*;
    matches!(
        kind,
        TypeIdLocal | TypeIdTarget | TypeExists | TypeSize | TypeMatches
    )
}

pub(super) fn is_enumval(kind: CoreReloKind) -> bool {
    matches!(
        kind,
        CoreReloKind::EnumvalExists | CoreReloKind::EnumvalValue
    )
}

/// Follows typedefs and modifiers; `(id, type)`.
pub(super) fn skip(btf: &dyn BtfTypes, id: u32) -> Result<(u32, &BtfType)> {
    btf.resolve(id)
}

pub(super) fn is_any_enum(t: &BtfType) -> bool {
    matches!(t, BtfType::Enum(_) | BtfType::Enum64(_))
}

pub(super) fn is_composite(t: &BtfType) -> Option<&Composite> {
    match t {
        BtfType::Struct(c) | BtfType::Union(c) => Some(c),
        _ => None,
    }
}

/// `btf_kind_core_compat`: same kind, or both enums of either width.
pub(super) fn kind_compat(a: &BtfType, b: &BtfType) -> bool {
    a.kind() == b.kind() || (is_any_enum(a) && is_any_enum(b))
}

pub(super) fn enum_len(t: &BtfType) -> usize {
    match t {
        BtfType::Enum(e) => e.values.len(),
        BtfType::Enum64(e) => e.values.len(),
        _ => 0,
    }
}

pub(super) fn enum_name_off(t: &BtfType, i: usize) -> Option<u32> {
    match t {
        BtfType::Enum(e) => e.values.get(i).map(|v| v.name_off),
        BtfType::Enum64(e) => e.values.get(i).map(|v| v.name_off),
        _ => None,
    }
}

pub(super) fn enum_value(t: &BtfType, i: usize) -> Option<u64> {
    match t {
        // A 32-bit enumerator is sign-extended when the enum is signed, as libbpf does.
        BtfType::Enum(e) => e.values.get(i).map(|v| {
            if e.signed {
                v.val as i64 as u64
            } else {
                u64::from(v.val as u32)
            }
        }),
        BtfType::Enum64(e) => e.values.get(i).map(|v| v.val),
        _ => None,
    }
}
