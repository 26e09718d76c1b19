//! Decoding raw bytes (a map key or value) by a BTF type into a [`Value`] tree, and a
//! compact text form of it for `rawbpf map dump`.
//!
//! Follows the kernel's own BTF printer (`btf_show` in `kernel/bpf/btf.c`): typedefs and
//! modifiers are skipped, bitfields are read with the same shifts as
//! `btf_bitfield_seq_show`, an anonymous struct/union member is kept as a field named `""`.
//! Neither the bytes nor the BTF are trusted: every slice is bounds-checked, the input
//! must be exactly the type's size, nesting is bounded by [`MAX_DEPTH`] and the number of
//! values produced by [`MAX_VALUES`] (nested unions decode the same bytes once per member,
//! so the work is not bounded by the input length alone).

use std::fmt::Write as _;

use super::Btf;
use super::types::{BtfType, Composite, Int};
use crate::{Error, Result};

/// Deepest nesting of structs, unions, arrays and variables decoded (the kernel's
/// `MAX_RESOLVE_DEPTH` is 32 too).
pub const MAX_DEPTH: u32 = 32;

/// Most values one [`Btf::decode`] call produces before it gives up.
pub const MAX_VALUES: usize = 1 << 20;

/// `BTF_INT_SIGNED`.
const INT_SIGNED: u8 = 1;
/// `BTF_INT_CHAR`.
const INT_CHAR: u8 = 2;
/// `BTF_INT_BOOL`.
const INT_BOOL: u8 = 4;

/// A decoded value: the shape of the BTF type, with typedefs and modifiers gone.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An integer (or an integer bitfield). `size` is the byte size of the BTF `INT`. For an
    /// unsigned 128-bit integer `value` holds the bits: read it back with `value as u128`.
    Int {
        value: i128,
        signed: bool,
        size: u32,
    },
    /// An `INT` with `BTF_INT_BOOL`.
    Bool(bool),
    /// An `INT` with `BTF_INT_CHAR`.
    Char(u8),
    /// A 4- or 8-byte `FLOAT` (other sizes decode as [`Value::Bytes`]).
    Float(f64),
    /// An `ENUM`/`ENUM64`: the enumerator's name when one has this value. `value` is wide
    /// enough for both a signed and an unsigned 64-bit enum.
    Enum { name: Option<String>, value: i128 },
    /// A `STRUCT` (or a `DATASEC`, whose fields are its variables): fields in BTF order, an
    /// anonymous member named `""`. `name` is `None` for an anonymous type.
    Struct {
        name: Option<String>,
        fields: Vec<(String, Value)>,
    },
    /// A `UNION`: every member decoded over the same bytes.
    Union {
        name: Option<String>,
        fields: Vec<(String, Value)>,
    },
    /// An `ARRAY` of anything but 1-byte integers.
    Array(Vec<Value>),
    /// An `ARRAY` of 1-byte integers (`char[]`, `__u8[]`) or a float of an unusual size.
    Bytes(Vec<u8>),
    /// A `PTR` (8 bytes): the address.
    Ptr(u64),
}

impl Value {
    /// The field `name` of a struct or union, looking through anonymous members the way C
    /// does (`skops->reply` reaches into the anonymous union). `None` for other values.
    pub fn field(&self, name: &str) -> Option<&Value> {
        let (Value::Struct { fields, .. } | Value::Union { fields, .. }) = self else {
            return None;
        };
        fields.iter().find_map(|(n, v)| {
            if n == name {
                Some(v)
            } else if n.is_empty() {
                v.field(name)
            } else {
                None
            }
        })
    }

    /// The value as an unsigned number: integers that fit, bool (0/1), char, enum, pointer.
    /// `None` for a negative number and for aggregates.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Int {
                value,
                signed: false,
                ..
            } => u64::try_from(*value as u128).ok(),
            Value::Int { value, .. } | Value::Enum { value, .. } => u64::try_from(*value).ok(),
            Value::Bool(b) => Some(u64::from(*b)),
            Value::Char(c) => Some(u64::from(*c)),
            Value::Ptr(p) => Some(*p),
            _ => None,
        }
    }

    /// The value as a signed number, like [`Value::as_u64`]; `None` if it does not fit.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int {
                value,
                signed: false,
                ..
            } => i64::try_from(*value as u128).ok(),
            Value::Int { value, .. } | Value::Enum { value, .. } => i64::try_from(*value).ok(),
            Value::Bool(b) => Some(i64::from(*b)),
            Value::Char(c) => Some(i64::from(*c)),
            Value::Ptr(p) => i64::try_from(*p).ok(),
            _ => None,
        }
    }

    /// Compact one-line text, like bpftool's: `{sip4: 16777343, dip4: 33554559, ...}`.
    ///
    /// Integers in decimal, pointers in hex, enums by name (the number if none matches),
    /// chars as `'c'` when printable, byte arrays as `"text"` when they hold a NUL-terminated
    /// printable string and as a list of numbers otherwise; an anonymous member shows as its
    /// value without a name.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        // `write!` into a String cannot fail.
        match self {
            Value::Int {
                value,
                signed: false,
                ..
            } => {
                let _ = write!(out, "{}", *value as u128);
            }
            Value::Int { value, .. } => {
                let _ = write!(out, "{value}");
            }
            Value::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Value::Char(c) if c.is_ascii_graphic() || *c == b' ' => {
                let _ = write!(out, "'{}'", char::from(*c));
            }
            Value::Char(c) => {
                let _ = write!(out, "{c}");
            }
            Value::Float(f) => {
                let _ = write!(out, "{f}");
            }
            Value::Enum {
                name: Some(name), ..
            } => out.push_str(name),
            Value::Enum { value, .. } => {
                let _ = write!(out, "{value}");
            }
            Value::Struct { fields, .. } | Value::Union { fields, .. } => {
                out.push('{');
                for (i, (name, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    if !name.is_empty() {
                        out.push_str(name);
                        out.push_str(": ");
                    }
                    v.render_into(out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.render_into(out);
                }
                out.push(']');
            }
            Value::Bytes(bytes) => match c_string(bytes) {
                Some(s) => {
                    let _ = write!(out, "{s:?}");
                }
                None => {
                    out.push('[');
                    for (i, b) in bytes.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        let _ = write!(out, "{b}");
                    }
                    out.push(']');
                }
            },
            Value::Ptr(p) => {
                let _ = write!(out, "{p:#x}");
            }
        }
    }
}

/// `bytes` as text if they are a non-empty run of printable ASCII followed only by NULs
/// (at least one): what a `char name[16]` holding a name looks like.
fn c_string(bytes: &[u8]) -> Option<&str> {
    let end = bytes.iter().position(|&b| b == 0)?;
    let (text, rest) = bytes.split_at(end);
    let printable = |b: &u8| b.is_ascii_graphic() || *b == b' ';
    if text.is_empty() || !text.iter().all(printable) || rest.iter().any(|&b| b != 0) {
        return None;
    }
    std::str::from_utf8(text).ok()
}

impl Btf {
    /// Decodes `bytes` as a value of type `type_id`, in this BTF's own byte order (the
    /// kernel's BTF, from `BPF_OBJ_GET_INFO_BY_FD`, is in host order, as are map keys and
    /// values). `bytes` must be exactly the type's size; anything else is an
    /// [`Error::BtfType`] naming both sizes.
    pub fn decode(&self, type_id: u32, bytes: &[u8]) -> Result<Value> {
        self.decode_with_order(type_id, bytes, self.big_endian)
    }

    /// [`Btf::decode`] with an explicit byte order for the data.
    pub fn decode_with_order(&self, type_id: u32, bytes: &[u8], big_endian: bool) -> Result<Value> {
        let size = self.size_of(type_id)?;
        if bytes.len() != size as usize {
            return Err(type_err(
                type_id,
                format!(
                    "value is {} bytes, the type ({}) is {size}",
                    bytes.len(),
                    self.describe(type_id)
                ),
            ));
        }
        let mut d = Decoder {
            btf: self,
            big_endian,
            values: 0,
        };
        d.value(type_id, bytes, 0)
    }

    /// `KIND 'name'` of a type for messages, e.g. `STRUCT 'sock_key'`.
    fn describe(&self, type_id: u32) -> String {
        match self.type_by_id(type_id) {
            Ok(t) => {
                let name = self.string(t.name_off()).unwrap_or("");
                if name.is_empty() {
                    t.kind_name().to_string()
                } else {
                    format!("{} '{name}'", t.kind_name())
                }
            }
            Err(_) => "unknown".to_string(),
        }
    }
}

fn type_err(type_id: u32, reason: String) -> Error {
    Error::BtfDecode { type_id, reason }
}

/// The state of one decode: where the work budget stands.
struct Decoder<'a> {
    btf: &'a Btf,
    big_endian: bool,
    /// Values produced so far (checked against [`MAX_VALUES`]).
    values: usize,
}

impl Decoder<'_> {
    /// Counts one value against the budget and the depth against [`MAX_DEPTH`].
    fn enter(&mut self, type_id: u32, depth: u32) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(type_err(
                type_id,
                format!("nested more than {MAX_DEPTH} levels deep (a cycle?)"),
            ));
        }
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(type_err(
                type_id,
                format!("decoding produces more than {MAX_VALUES} values"),
            ));
        }
        Ok(())
    }

    /// `len` bytes at byte offset `off` of `bytes`, or an error naming the range.
    fn slice<'b>(&self, type_id: u32, bytes: &'b [u8], off: u32, len: u32) -> Result<&'b [u8]> {
        let (off, len) = (off as usize, len as usize);
        off.checked_add(len)
            .and_then(|end| bytes.get(off..end))
            .ok_or_else(|| {
                type_err(
                    type_id,
                    format!(
                        "needs bytes {off}..{} but only {} are present",
                        off as u64 + len as u64,
                        bytes.len()
                    ),
                )
            })
    }

    /// Decodes `bytes`, which callers have sliced to the type's size.
    fn value(&mut self, type_id: u32, bytes: &[u8], depth: u32) -> Result<Value> {
        self.enter(type_id, depth)?;
        let (id, t) = self.btf.resolve(type_id)?;
        match t {
            BtfType::Int(i) => self.int(id, i, bytes, u32::from(i.offset), u32::from(i.bits)),
            BtfType::Ptr(_) => {
                let raw = self.bits(id, bytes, 0, 64)?;
                Ok(Value::Ptr(raw as u64))
            }
            BtfType::Float(f) => {
                let b = self.slice(id, bytes, 0, f.size)?;
                match f.size {
                    4 => Ok(Value::Float(f64::from(f32::from_bits(
                        self.bits(id, b, 0, 32)? as u32,
                    )))),
                    8 => Ok(Value::Float(
                        f64::from_bits(self.bits(id, b, 0, 64)? as u64),
                    )),
                    _ => Ok(Value::Bytes(b.to_vec())),
                }
            }
            BtfType::Enum(e) => self.enumeration(id, bytes, 0, e.size.saturating_mul(8)),
            BtfType::Enum64(e) => self.enumeration(id, bytes, 0, e.size.saturating_mul(8)),
            BtfType::Array(a) => {
                let elem_size = self.btf.size_of(a.elem_type)?;
                let total = elem_size.checked_mul(a.nelems).ok_or_else(|| {
                    type_err(
                        id,
                        format!("{} elements of {elem_size} bytes overflow", a.nelems),
                    )
                })?;
                let all = self.slice(id, bytes, 0, total)?;
                if self.is_byte(a.elem_type)? {
                    return Ok(Value::Bytes(all.to_vec()));
                }
                // `all` holds `nelems * elem_size` bytes, so the element count is backed by
                // the input (zero-sized elements are bounded by the value budget).
                let mut items = Vec::new();
                for i in 0..a.nelems {
                    let b = self.slice(id, all, i.saturating_mul(elem_size), elem_size)?;
                    items.push(self.value(a.elem_type, b, depth + 1)?);
                }
                Ok(Value::Array(items))
            }
            BtfType::Struct(c) => Ok(Value::Struct {
                name: self.name(c.name_off)?,
                fields: self.members(id, c, bytes, depth)?,
            }),
            BtfType::Union(c) => Ok(Value::Union {
                name: self.name(c.name_off)?,
                fields: self.members(id, c, bytes, depth)?,
            }),
            BtfType::Var(v) => self.value(v.type_id, bytes, depth + 1),
            BtfType::Datasec(d) => {
                let mut fields = Vec::new();
                for secinfo in &d.vars {
                    let (_, name) = self.btf.secinfo_var(secinfo)?;
                    let size = self.btf.size_of(secinfo.type_id)?;
                    let b = self.slice(id, bytes, secinfo.offset, size)?;
                    fields.push((name.to_string(), self.value(secinfo.type_id, b, depth + 1)?));
                }
                Ok(Value::Struct {
                    name: self.name(d.name_off)?,
                    fields,
                })
            }
            other => Err(type_err(
                id,
                format!("a {} has no value to decode", other.kind_name()),
            )),
        }
    }

    fn name(&self, name_off: u32) -> Result<Option<String>> {
        let name = self.btf.string(name_off)?;
        Ok((!name.is_empty()).then(|| name.to_string()))
    }

    /// Whether an array of `elem` is a byte array: a 1-byte, 8-bit, non-bool integer.
    fn is_byte(&self, elem: u32) -> Result<bool> {
        Ok(matches!(
            self.btf.resolve(elem)?.1,
            BtfType::Int(Int { size: 1, bits: 8, offset: 0, encoding, .. })
                if encoding & INT_BOOL == 0
        ))
    }

    /// The members of a struct or union; `bytes` is the composite's own bytes.
    fn members(
        &mut self,
        id: u32,
        c: &Composite,
        bytes: &[u8],
        depth: u32,
    ) -> Result<Vec<(String, Value)>> {
        let mut fields = Vec::new();
        for m in &c.members {
            let name = self.btf.string(m.name_off)?.to_string();
            let bit_off = m.bit_offset(c.kind_flag);
            let bitfield = m.bitfield_size(c.kind_flag);
            let (mid, mt) = self.btf.resolve(m.type_id)?;
            let v = match mt {
                // A bitfield: kind_flag on, the size is in the member.
                BtfType::Int(i) if bitfield > 0 => {
                    self.enter(mid, depth + 1)?;
                    self.int(mid, i, bytes, bit_off, bitfield)?
                }
                BtfType::Enum(_) | BtfType::Enum64(_) if bitfield > 0 => {
                    self.enter(mid, depth + 1)?;
                    self.enumeration(mid, bytes, bit_off, bitfield)?
                }
                _ if bitfield > 0 => {
                    return Err(type_err(
                        id,
                        format!("bitfield member '{name}' is a {}", mt.kind_name()),
                    ));
                }
                // A bitfield without kind_flag: the INT itself carries offset and bits.
                BtfType::Int(i) if i.offset != 0 || u32::from(i.bits) != i.size * 8 => {
                    self.enter(mid, depth + 1)?;
                    let start = bit_off.checked_add(u32::from(i.offset)).ok_or_else(|| {
                        type_err(id, format!("member '{name}': bit offset overflows"))
                    })?;
                    self.int(mid, i, bytes, start, u32::from(i.bits))?
                }
                _ => {
                    if bit_off % 8 != 0 {
                        return Err(type_err(
                            id,
                            format!(
                                "member '{name}' at bit offset {bit_off} is neither \
                                 byte-aligned nor a bitfield"
                            ),
                        ));
                    }
                    let in_member = |e| type_err(id, format!("member '{name}': {}", reason_of(e)));
                    let size = self.btf.size_of(m.type_id).map_err(in_member)?;
                    let b = self
                        .slice(id, bytes, bit_off / 8, size)
                        .map_err(in_member)?;
                    self.value(m.type_id, b, depth + 1)?
                }
            };
            fields.push((name, v));
        }
        Ok(fields)
    }

    /// An integer of `nr_bits` bits at bit `bit_off` of `bytes`, shaped by `i`'s encoding.
    fn int(&self, id: u32, i: &Int, bytes: &[u8], bit_off: u32, nr_bits: u32) -> Result<Value> {
        let raw = self.bits(id, bytes, bit_off, nr_bits)?;
        Ok(if i.encoding & INT_BOOL != 0 {
            Value::Bool(raw != 0)
        } else if i.encoding & INT_CHAR != 0 && nr_bits <= 8 {
            Value::Char(raw as u8)
        } else if i.encoding & INT_SIGNED != 0 {
            Value::Int {
                value: sign_extend(raw, nr_bits),
                signed: true,
                size: i.size,
            }
        } else {
            Value::Int {
                value: raw as i128,
                signed: false,
                size: i.size,
            }
        })
    }

    /// An `ENUM`/`ENUM64` (type `id`, already resolved) of `nr_bits` bits at `bit_off`.
    fn enumeration(&self, id: u32, bytes: &[u8], bit_off: u32, nr_bits: u32) -> Result<Value> {
        let raw = self.bits(id, bytes, bit_off, nr_bits)?;
        let (signed, names): (bool, Vec<(u32, i128)>) = match self.btf.type_by_id(id)? {
            BtfType::Enum(e) => (
                e.signed,
                e.values
                    .iter()
                    .map(|v| {
                        let val = if e.signed {
                            i128::from(v.val)
                        } else {
                            i128::from(v.val as u32)
                        };
                        (v.name_off, val)
                    })
                    .collect(),
            ),
            BtfType::Enum64(e) => (
                e.signed,
                e.values
                    .iter()
                    .map(|v| {
                        let val = if e.signed {
                            i128::from(v.val as i64)
                        } else {
                            i128::from(v.val)
                        };
                        (v.name_off, val)
                    })
                    .collect(),
            ),
            other => {
                return Err(type_err(
                    id,
                    format!("{} is not an enum", other.kind_name()),
                ));
            }
        };
        let value = if signed {
            sign_extend(raw, nr_bits)
        } else {
            raw as i128
        };
        let name = match names.iter().find(|(_, v)| *v == value) {
            Some((off, _)) => self.name(*off)?,
            None => None,
        };
        Ok(Value::Enum { name, value })
    }

    /// `nr_bits` (1..=128) bits starting `bit_off` bits into `bytes`, as the kernel's
    /// `btf_bitfield_seq_show` reads them: little-endian counts from the least significant
    /// bit of the first byte, big-endian from the most significant.
    fn bits(&self, id: u32, bytes: &[u8], bit_off: u32, nr_bits: u32) -> Result<u128> {
        let start = bit_off / 8;
        let shift = bit_off % 8;
        let copy_bits = nr_bits + shift;
        if nr_bits == 0 || copy_bits > 128 {
            return Err(type_err(
                id,
                format!("{nr_bits} bits at bit offset {bit_off} cannot be read as an integer"),
            ));
        }
        let copy_bytes = copy_bits.div_ceil(8);
        let src = self.slice(id, bytes, start, copy_bytes)?;
        let mut buf = [0u8; 16];
        let dst = buf
            .get_mut(..src.len())
            .ok_or_else(|| type_err(id, format!("{copy_bytes} bytes do not fit in 128 bits")))?;
        dst.copy_from_slice(src);
        Ok(if self.big_endian {
            (u128::from_be_bytes(buf) << shift) >> (128 - nr_bits)
        } else {
            (u128::from_le_bytes(buf) << (128 - copy_bits)) >> (128 - nr_bits)
        })
    }
}

/// `raw` as a two's-complement number of `nr_bits` (1..=128) bits.
fn sign_extend(raw: u128, nr_bits: u32) -> i128 {
    let unused = 128 - nr_bits.clamp(1, 128);
    ((raw << unused) as i128) >> unused
}

/// The reason text of an error from this module (to prefix it with a member name).
fn reason_of(e: Error) -> String {
    match e {
        Error::BtfDecode { reason, .. } | Error::BtfType { reason, .. } => reason,
        other => other.to_string(),
    }
}
