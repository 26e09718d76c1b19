//! Raw type records: `struct btf_type` plus each kind's trailing data, decoded into
//! [`BtfType`] and encoded back (little-endian).
//!
//! Layouts follow `include/uapi/linux/btf.h`. A record's trailing length is computed from its
//! kind and vlen and checked against the bytes present before anything is decoded or
//! allocated, so a claimed count can never make us read or reserve past the section.

use super::types::{
    Array, BtfType, Composite, Datasec, DeclTag, Enum, Enum64, Enum64Value, EnumValue, Float, Func,
    FuncLinkage, FuncProto, Fwd, Int, Member, Param, RefType, Var, VarLinkage, VarSecinfo,
};
use super::wire::{Reader, len32, put_u32};
use crate::{Error, Result};

/// Size of `struct btf_type`.
pub(super) const TYPE_HEAD_LEN: usize = 12;

pub(super) const KIND_INT: u32 = 1;
pub(super) const KIND_PTR: u32 = 2;
pub(super) const KIND_ARRAY: u32 = 3;
pub(super) const KIND_STRUCT: u32 = 4;
pub(super) const KIND_UNION: u32 = 5;
pub(super) const KIND_ENUM: u32 = 6;
pub(super) const KIND_FWD: u32 = 7;
pub(super) const KIND_TYPEDEF: u32 = 8;
pub(super) const KIND_VOLATILE: u32 = 9;
pub(super) const KIND_CONST: u32 = 10;
pub(super) const KIND_RESTRICT: u32 = 11;
pub(super) const KIND_FUNC: u32 = 12;
pub(super) const KIND_FUNC_PROTO: u32 = 13;
pub(super) const KIND_VAR: u32 = 14;
pub(super) const KIND_DATASEC: u32 = 15;
pub(super) const KIND_FLOAT: u32 = 16;
pub(super) const KIND_DECL_TAG: u32 = 17;
pub(super) const KIND_TYPE_TAG: u32 = 18;
pub(super) const KIND_ENUM64: u32 = 19;

/// `struct btf_type`: the 12-byte head shared by every type record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RawType {
    pub name_off: u32,
    pub info: u32,
    /// `size` for INT, STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT; `type` for the rest.
    pub size_or_type: u32,
}

impl RawType {
    /// `BTF_INFO_KIND`: bits 24-28.
    pub(super) fn kind(&self) -> u32 {
        (self.info >> 24) & 0x1f
    }

    /// `BTF_INFO_VLEN`: bits 0-15.
    pub(super) fn vlen(&self) -> u16 {
        (self.info & 0xffff) as u16
    }

    /// `BTF_INFO_KFLAG`: bit 31.
    pub(super) fn kind_flag(&self) -> bool {
        self.info >> 31 == 1
    }

    fn read(r: &Reader<'_>, off: usize) -> Option<RawType> {
        Some(RawType {
            name_off: r.u32_at(off)?,
            info: r.u32_at(off.checked_add(4)?)?,
            size_or_type: r.u32_at(off.checked_add(8)?)?,
        })
    }
}

/// Bytes of kind-specific data after the head, or `None` for a kind we do not know.
#[inline]
fn trailing_len(kind: u32, vlen: u16) -> Option<usize> {
    let vlen = usize::from(vlen);
    Some(match kind {
        KIND_INT | KIND_VAR | KIND_DECL_TAG => 4,
        KIND_PTR | KIND_FWD | KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT
        | KIND_FUNC | KIND_FLOAT | KIND_TYPE_TAG => 0,
        KIND_ARRAY => 12,
        KIND_STRUCT | KIND_UNION | KIND_DATASEC | KIND_ENUM64 => vlen * 12,
        KIND_ENUM | KIND_FUNC_PROTO => vlen * 8,
        _ => return None,
    })
}

/// The head of the record at byte `pos` of the type section: `(name_off, info, next)`
/// where `next` is where the following record starts; `None` when the head or its
/// trailing data runs past the section or the kind is unknown ([`record_at`] then says
/// which). The lean walk of a lazy view's index passes.
#[inline]
pub(super) fn head_at(r: &Reader<'_>, pos: usize) -> Option<(u32, u32, usize)> {
    let body_at = pos.checked_add(TYPE_HEAD_LEN)?;
    if body_at > r.len() {
        return None;
    }
    let (name_off, info) = r.u32_pair_at(pos)?;
    let next = body_at + trailing_len((info >> 24) & 0x1f, (info & 0xffff) as u16)?;
    (next <= r.len()).then_some((name_off, info, next))
}

/// The record of type `type_id` at byte `pos` of the type section `r`: its head, its
/// length-checked trailing data and where the next record starts. `base` is the section's
/// offset in the `.BTF` blob, for error messages.
pub(super) fn record_at<'a>(
    r: &Reader<'a>,
    pos: usize,
    type_id: u32,
    base: u64,
) -> Result<(RawType, Reader<'a>, usize)> {
    let at = base + pos as u64;
    let left = r.len().saturating_sub(pos);
    let raw = RawType::read(r, pos).ok_or_else(|| Error::Btf {
        offset: at,
        reason: format!(
            "type {type_id}: record head truncated ({left} bytes left, need {TYPE_HEAD_LEN})"
        ),
    })?;
    let trailing = trailing_len(raw.kind(), raw.vlen()).ok_or_else(|| Error::BtfType {
        type_id,
        reason: format!("unknown kind {} at offset {at:#x}", raw.kind()),
    })?;
    let body_at = pos + TYPE_HEAD_LEN;
    let body = r.sub(body_at, trailing).ok_or_else(|| Error::BtfType {
        type_id,
        reason: format!(
            "kind {} with vlen {} needs {trailing} bytes after its head at offset {at:#x}, \
             only {} left",
            raw.kind(),
            raw.vlen(),
            left - TYPE_HEAD_LEN
        ),
    })?;
    Ok((raw, body, body_at + trailing))
}

/// Decodes one record already found by [`record_at`].
pub(super) fn decode_record(
    raw: &RawType,
    body: &Reader<'_>,
    type_id: u32,
    at: u64,
) -> Result<BtfType> {
    decode(raw, body).ok_or_else(|| Error::BtfType {
        type_id,
        reason: format!("record at offset {at:#x} truncated"),
    })
}

/// Decodes the type section into a table whose index is the type id (`[0]` is void).
///
/// `base` is the section's offset in the `.BTF` blob, for error messages.
pub(super) fn parse_types(r: &Reader<'_>, base: u64) -> Result<Vec<BtfType>> {
    let mut types = vec![BtfType::Void];
    let mut pos = 0usize;
    while pos < r.len() {
        let type_id = len32(types.len());
        let (raw, body, next) = record_at(r, pos, type_id, base)?;
        types.push(decode_record(&raw, &body, type_id, base + pos as u64)?);
        pos = next;
    }
    Ok(types)
}

/// The `n` trailing entries of a record, `stride` bytes apart, each read by `entry` from its
/// byte offset in the body.
fn each<T>(n: usize, stride: usize, entry: impl Fn(usize) -> Option<T>) -> Option<Vec<T>> {
    (0..n).map(|i| entry(i * stride)).collect()
}

/// Decodes one record whose trailing data `body` has already been length-checked.
fn decode(raw: &RawType, body: &Reader<'_>) -> Option<BtfType> {
    let name_off = raw.name_off;
    let reftype = || RefType {
        name_off,
        type_id: raw.size_or_type,
    };
    Some(match raw.kind() {
        KIND_INT => decode_int(raw, body)?,
        KIND_PTR => BtfType::Ptr(reftype()),
        KIND_ARRAY => BtfType::Array(Array {
            elem_type: body.u32_at(0)?,
            index_type: body.u32_at(4)?,
            nelems: body.u32_at(8)?,
        }),
        KIND_STRUCT | KIND_UNION => decode_composite(raw, body)?,
        KIND_ENUM => decode_enum(raw, body)?,
        KIND_FWD => BtfType::Fwd(Fwd {
            name_off,
            is_union: raw.kind_flag(),
        }),
        KIND_TYPEDEF => BtfType::Typedef(reftype()),
        KIND_VOLATILE => BtfType::Volatile(reftype()),
        KIND_CONST => BtfType::Const(reftype()),
        KIND_RESTRICT => BtfType::Restrict(reftype()),
        KIND_FUNC => decode_func(raw),
        KIND_FUNC_PROTO => decode_func_proto(raw, body)?,
        KIND_VAR => decode_var(raw, body)?,
        KIND_DATASEC => decode_datasec(raw, body)?,
        KIND_FLOAT => BtfType::Float(Float {
            name_off,
            size: raw.size_or_type,
        }),
        KIND_DECL_TAG => BtfType::DeclTag(DeclTag {
            name_off,
            type_id: raw.size_or_type,
            component_idx: body.u32_at(0)? as i32,
        }),
        KIND_TYPE_TAG => BtfType::TypeTag(reftype()),
        KIND_ENUM64 => decode_enum64(raw, body)?,
        _ => return None,
    })
}

/// `BTF_KIND_INT`: encoding, bit offset and bit count packed in one trailing u32.
fn decode_int(raw: &RawType, body: &Reader<'_>) -> Option<BtfType> {
    let v = body.u32_at(0)?;
    Some(BtfType::Int(Int {
        name_off: raw.name_off,
        size: raw.size_or_type,
        encoding: ((v >> 24) & 0x0f) as u8,
        offset: ((v >> 16) & 0xff) as u8,
        bits: (v & 0xff) as u8,
    }))
}

/// `BTF_KIND_STRUCT` / `BTF_KIND_UNION`: vlen `struct btf_member`s.
fn decode_composite(raw: &RawType, body: &Reader<'_>) -> Option<BtfType> {
    let members = each(usize::from(raw.vlen()), 12, |o| {
        Some(Member {
            name_off: body.u32_at(o)?,
            type_id: body.u32_at(o + 4)?,
            offset: body.u32_at(o + 8)?,
        })
    })?;
    let c = Composite {
        name_off: raw.name_off,
        size: raw.size_or_type,
        kind_flag: raw.kind_flag(),
        members,
    };
    Some(if raw.kind() == KIND_STRUCT {
        BtfType::Struct(c)
    } else {
        BtfType::Union(c)
    })
}

/// `BTF_KIND_ENUM`: vlen `struct btf_enum`s; the kind flag says signed.
fn decode_enum(raw: &RawType, body: &Reader<'_>) -> Option<BtfType> {
    let values = each(usize::from(raw.vlen()), 8, |o| {
        Some(EnumValue {
            name_off: body.u32_at(o)?,
            val: body.u32_at(o + 4)? as i32,
        })
    })?;
    Some(BtfType::Enum(Enum {
        name_off: raw.name_off,
        size: raw.size_or_type,
        signed: raw.kind_flag(),
        values,
    }))
}

/// `BTF_KIND_FUNC`: the linkage is in vlen.
fn decode_func(raw: &RawType) -> BtfType {
    BtfType::Func(Func {
        name_off: raw.name_off,
        proto: raw.size_or_type,
        linkage: match raw.vlen() {
            0 => FuncLinkage::Static,
            1 => FuncLinkage::Global,
            2 => FuncLinkage::Extern,
            other => FuncLinkage::Other(other),
        },
    })
}

/// `BTF_KIND_FUNC_PROTO`: vlen `struct btf_param`s.
fn decode_func_proto(raw: &RawType, body: &Reader<'_>) -> Option<BtfType> {
    let params = each(usize::from(raw.vlen()), 8, |o| {
        Some(Param {
            name_off: body.u32_at(o)?,
            type_id: body.u32_at(o + 4)?,
        })
    })?;
    Some(BtfType::FuncProto(FuncProto {
        return_type: raw.size_or_type,
        params,
    }))
}

/// `BTF_KIND_VAR`: the linkage is the trailing u32.
fn decode_var(raw: &RawType, body: &Reader<'_>) -> Option<BtfType> {
    Some(BtfType::Var(Var {
        name_off: raw.name_off,
        type_id: raw.size_or_type,
        linkage: match body.u32_at(0)? {
            0 => VarLinkage::Static,
            1 => VarLinkage::GlobalAllocated,
            2 => VarLinkage::GlobalExtern,
            other => VarLinkage::Other(other),
        },
    }))
}

/// `BTF_KIND_DATASEC`: vlen `struct btf_var_secinfo`s.
fn decode_datasec(raw: &RawType, body: &Reader<'_>) -> Option<BtfType> {
    let vars = each(usize::from(raw.vlen()), 12, |o| {
        Some(VarSecinfo {
            type_id: body.u32_at(o)?,
            offset: body.u32_at(o + 4)?,
            size: body.u32_at(o + 8)?,
        })
    })?;
    Some(BtfType::Datasec(Datasec {
        name_off: raw.name_off,
        size: raw.size_or_type,
        vars,
    }))
}

/// `BTF_KIND_ENUM64`: vlen `struct btf_enum64`s, each value in two u32 halves.
fn decode_enum64(raw: &RawType, body: &Reader<'_>) -> Option<BtfType> {
    let values = each(usize::from(raw.vlen()), 12, |o| {
        let lo = u64::from(body.u32_at(o + 4)?);
        let hi = u64::from(body.u32_at(o + 8)?);
        Some(Enum64Value {
            name_off: body.u32_at(o)?,
            val: hi << 32 | lo,
        })
    })?;
    Some(BtfType::Enum64(Enum64 {
        name_off: raw.name_off,
        size: raw.size_or_type,
        signed: raw.kind_flag(),
        values,
    }))
}

/// `BTF_INFO_ENC(kind, kind_flag, vlen)`. `vlen` comes from a list parsed from a 16-bit
/// field, so it fits; anything longer is clamped rather than spilling into the kind bits.
fn info(kind: u32, kind_flag: bool, vlen: usize) -> u32 {
    (u32::from(kind_flag) << 31) | (kind << 24) | (len32(vlen) & 0xffff)
}

/// Appends a `struct btf_type` head.
fn head(out: &mut Vec<u8>, name_off: u32, info: u32, size_or_type: u32) {
    put_u32(out, name_off);
    put_u32(out, info);
    put_u32(out, size_or_type);
}

/// Appends the wire form of `t` (little-endian). `Void` has no record and emits nothing.
pub(super) fn encode(t: &BtfType, out: &mut Vec<u8>) {
    match t {
        BtfType::Void => {}
        BtfType::Int(i) => encode_int(i, out),
        BtfType::Ptr(r) => head(out, r.name_off, info(KIND_PTR, false, 0), r.type_id),
        BtfType::Array(a) => {
            head(out, 0, info(KIND_ARRAY, false, 0), 0);
            put_u32(out, a.elem_type);
            put_u32(out, a.index_type);
            put_u32(out, a.nelems);
        }
        BtfType::Struct(c) => encode_composite(KIND_STRUCT, c, out),
        BtfType::Union(c) => encode_composite(KIND_UNION, c, out),
        BtfType::Enum(e) => encode_enum(e, out),
        BtfType::Fwd(f) => head(out, f.name_off, info(KIND_FWD, f.is_union, 0), 0),
        BtfType::Typedef(r) => head(out, r.name_off, info(KIND_TYPEDEF, false, 0), r.type_id),
        BtfType::Volatile(r) => head(out, r.name_off, info(KIND_VOLATILE, false, 0), r.type_id),
        BtfType::Const(r) => head(out, r.name_off, info(KIND_CONST, false, 0), r.type_id),
        BtfType::Restrict(r) => head(out, r.name_off, info(KIND_RESTRICT, false, 0), r.type_id),
        BtfType::Func(f) => encode_func(f, out),
        BtfType::FuncProto(p) => encode_func_proto(p, out),
        BtfType::Var(v) => encode_var(v, out),
        BtfType::Datasec(d) => encode_datasec(d, out),
        BtfType::Float(f) => head(out, f.name_off, info(KIND_FLOAT, false, 0), f.size),
        BtfType::DeclTag(d) => {
            head(out, d.name_off, info(KIND_DECL_TAG, false, 0), d.type_id);
            put_u32(out, d.component_idx as u32);
        }
        BtfType::TypeTag(r) => head(out, r.name_off, info(KIND_TYPE_TAG, false, 0), r.type_id),
        BtfType::Enum64(e) => encode_enum64(e, out),
    }
}

/// [`decode_int`] backwards.
fn encode_int(i: &Int, out: &mut Vec<u8>) {
    head(out, i.name_off, info(KIND_INT, false, 0), i.size);
    let data =
        (u32::from(i.encoding & 0x0f) << 24) | (u32::from(i.offset) << 16) | u32::from(i.bits);
    put_u32(out, data);
}

/// [`decode_composite`] backwards; `kind` is `KIND_STRUCT` or `KIND_UNION`.
fn encode_composite(kind: u32, c: &Composite, out: &mut Vec<u8>) {
    head(
        out,
        c.name_off,
        info(kind, c.kind_flag, c.members.len()),
        c.size,
    );
    for m in &c.members {
        put_u32(out, m.name_off);
        put_u32(out, m.type_id);
        put_u32(out, m.offset);
    }
}

/// [`decode_enum`] backwards.
fn encode_enum(e: &Enum, out: &mut Vec<u8>) {
    head(
        out,
        e.name_off,
        info(KIND_ENUM, e.signed, e.values.len()),
        e.size,
    );
    for v in &e.values {
        put_u32(out, v.name_off);
        put_u32(out, v.val as u32);
    }
}

/// [`decode_func`] backwards.
fn encode_func(f: &Func, out: &mut Vec<u8>) {
    let linkage = match f.linkage {
        FuncLinkage::Static => 0,
        FuncLinkage::Global => 1,
        FuncLinkage::Extern => 2,
        FuncLinkage::Other(v) => v,
    };
    head(
        out,
        f.name_off,
        info(KIND_FUNC, false, usize::from(linkage)),
        f.proto,
    );
}

/// [`decode_func_proto`] backwards.
fn encode_func_proto(p: &FuncProto, out: &mut Vec<u8>) {
    head(
        out,
        0,
        info(KIND_FUNC_PROTO, false, p.params.len()),
        p.return_type,
    );
    for prm in &p.params {
        put_u32(out, prm.name_off);
        put_u32(out, prm.type_id);
    }
}

/// [`decode_var`] backwards.
fn encode_var(v: &Var, out: &mut Vec<u8>) {
    head(out, v.name_off, info(KIND_VAR, false, 0), v.type_id);
    put_u32(
        out,
        match v.linkage {
            VarLinkage::Static => 0,
            VarLinkage::GlobalAllocated => 1,
            VarLinkage::GlobalExtern => 2,
            VarLinkage::Other(x) => x,
        },
    );
}

/// [`decode_datasec`] backwards.
fn encode_datasec(d: &Datasec, out: &mut Vec<u8>) {
    head(
        out,
        d.name_off,
        info(KIND_DATASEC, false, d.vars.len()),
        d.size,
    );
    for v in &d.vars {
        put_u32(out, v.type_id);
        put_u32(out, v.offset);
        put_u32(out, v.size);
    }
}

/// [`decode_enum64`] backwards.
fn encode_enum64(e: &Enum64, out: &mut Vec<u8>) {
    head(
        out,
        e.name_off,
        info(KIND_ENUM64, e.signed, e.values.len()),
        e.size,
    );
    for v in &e.values {
        put_u32(out, v.name_off);
        put_u32(out, v.val as u32);
        put_u32(out, (v.val >> 32) as u32);
    }
}
