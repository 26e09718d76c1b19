//! Field relocations (`bpf_core_calc_field_relo`): byte offset, byte size, existence,
//! signedness and the shifts that extract a bitfield, computed from one spec.

use super::kinds::{is_composite, skip};
use super::spec::Spec;
use super::{Fail, INT_SIGNED, R, fail};
use crate::btf::types::BtfType;
use crate::btf::{BtfTypes, CoreReloKind};

/// A computed field value and, for offsets, the memory size and type it refers to.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct FieldVal {
    pub(super) val: u64,
    pub(super) size: u32,
    pub(super) type_id: u32,
    pub(super) validate: bool,
}

/// `bpf_core_calc_field_relo`.
pub(super) fn field_value(
    btf: &dyn BtfTypes,
    spec: Option<&Spec>,
    kind: CoreReloKind,
) -> R<FieldVal> {
    if kind == CoreReloKind::FieldExists {
        return Ok(FieldVal {
            val: u64::from(spec.is_some()),
            validate: true,
            ..FieldVal::default()
        });
    }
    let Some(spec) = spec else {
        return Err(Fail::Poison);
    };
    let Some(acc) = spec.acc.last() else {
        return fail("empty access path");
    };
    let mut out = FieldVal {
        validate: true,
        ..FieldVal::default()
    };
    let Some(name) = &acc.name else {
        let size = btf.size_of(acc.type_id)?;
        match kind {
            CoreReloKind::FieldByteOffset => {
                out.val = spec.bit_offset / 8;
                out.size = size;
                out.type_id = acc.type_id;
            }
            CoreReloKind::FieldByteSize => out.val = u64::from(size),
            _ => return fail("relocation kind cannot be applied to an array element"),
        }
        return Ok(out);
    };
    let _ = name;
    let Some(c) = btf.type_by_id(acc.type_id).ok().and_then(is_composite) else {
        return fail("field accessor is not in a struct or union");
    };
    let Some(m) = c.members.get(acc.idx as usize) else {
        return fail("member index out of range");
    };
    let (field_type, mt) = skip(btf, m.type_id)?;
    let bit_off = spec.bit_offset;
    let mut bit_sz = u64::from(m.bitfield_size(c.kind_flag));
    let bitfield = bit_sz > 0;
    if !bitfield {
        bit_sz = u64::from(btf.size_of(field_type)?) * 8;
    }
    let Some(bit_end) = bit_off.checked_add(bit_sz) else {
        return fail("field end overflows 64 bits");
    };
    let (byte_off, byte_sz) = if bitfield {
        let mut byte_sz = u64::from(btf.size_of(field_type)?);
        if byte_sz == 0 {
            return fail("bitfield of a zero-sized type");
        }
        // `byte_off * 8 <= bit_off` throughout, so the subtraction cannot underflow.
        let mut byte_off = bit_off / 8 / byte_sz * byte_sz;
        while bit_end - byte_off * 8 > byte_sz * 8 {
            if byte_sz >= 8 {
                return fail("bitfield cannot be read with one 64-bit load");
            }
            byte_sz *= 2;
            byte_off = bit_off / 8 / byte_sz * byte_sz;
        }
        (byte_off, byte_sz)
    } else {
        (bit_off / 8, bit_sz / 8)
    };
    out.validate = !bitfield;
    match kind {
        CoreReloKind::FieldByteOffset => {
            out.val = byte_off;
            if !bitfield {
                out.size = u32::try_from(byte_sz).unwrap_or(u32::MAX);
                out.type_id = field_type;
            }
        }
        CoreReloKind::FieldByteSize => out.val = byte_sz,
        CoreReloKind::FieldSigned => {
            out.val = u64::from(match mt {
                BtfType::Enum(e) => e.signed,
                BtfType::Enum64(e) => e.signed,
                BtfType::Int(i) => i.encoding & INT_SIGNED != 0,
                _ => false,
            });
            out.validate = true;
        }
        // Little-endian: rawbpf loads only into little-endian kernels.
        CoreReloKind::FieldLshiftU64 => out.val = 64u64.wrapping_sub(bit_end - byte_off * 8),
        // Wraps for a non-bitfield member wider than 64 bits, as libbpf's `__u32`
        // arithmetic does (no program shifts such a member).
        CoreReloKind::FieldRshiftU64 => {
            out.val = 64u64.wrapping_sub(bit_sz);
            out.validate = true;
        }
        _ => return fail("not a field relocation"),
    }
    Ok(out)
}
