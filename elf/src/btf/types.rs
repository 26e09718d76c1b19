//! Resolved BTF types: one Rust type per `BTF_KIND_*`, names as string-table offsets.

use super::Btf;
use super::table::BtfTypes;
use crate::{Error, Result};

/// `BTF_KIND_INT`: encoding bits, offset and size in bits from the trailing u32.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Int {
    pub name_off: u32,
    pub size: u32,
    /// `BTF_INT_SIGNED` (1), `BTF_INT_CHAR` (2), `BTF_INT_BOOL` (4).
    pub encoding: u8,
    pub offset: u8,
    pub bits: u8,
}

/// `BTF_KIND_PTR`, `TYPEDEF`, `VOLATILE`, `CONST`, `RESTRICT`, `TYPE_TAG`: a name and a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefType {
    pub name_off: u32,
    pub type_id: u32,
}

/// `BTF_KIND_TYPEDEF`.
pub type Typedef = RefType;

/// `BTF_KIND_ARRAY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Array {
    pub elem_type: u32,
    pub index_type: u32,
    pub nelems: u32,
}

/// One member of a struct or union.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name_off: u32,
    pub type_id: u32,
    /// Offset in bits (with kind_flag: low 24 bits offset, high 8 bits bitfield size).
    pub offset: u32,
}

impl Member {
    /// Bit offset of the member, honouring the parent's kind_flag encoding.
    pub fn bit_offset(&self, kind_flag: bool) -> u32 {
        if kind_flag {
            self.offset & 0x00ff_ffff
        } else {
            self.offset
        }
    }
    /// Bitfield size (0 when not a bitfield or kind_flag is clear).
    pub fn bitfield_size(&self, kind_flag: bool) -> u32 {
        if kind_flag { self.offset >> 24 } else { 0 }
    }
}

/// `BTF_KIND_STRUCT` / `BTF_KIND_UNION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composite {
    pub name_off: u32,
    pub size: u32,
    pub kind_flag: bool,
    pub members: Vec<Member>,
}

/// `BTF_KIND_ENUM` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumValue {
    pub name_off: u32,
    pub val: i32,
}

/// `BTF_KIND_ENUM` (kind_flag: signed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enum {
    pub name_off: u32,
    pub size: u32,
    pub signed: bool,
    pub values: Vec<EnumValue>,
}

/// `BTF_KIND_ENUM64` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enum64Value {
    pub name_off: u32,
    pub val: u64,
}

/// `BTF_KIND_ENUM64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enum64 {
    pub name_off: u32,
    pub size: u32,
    pub signed: bool,
    pub values: Vec<Enum64Value>,
}

/// `BTF_KIND_FWD` (kind_flag: union).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fwd {
    pub name_off: u32,
    pub is_union: bool,
}

/// Linkage of a `BTF_KIND_FUNC` (its vlen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuncLinkage {
    Static,
    Global,
    Extern,
    Other(u16),
}

/// `BTF_KIND_FUNC`: a function name pointing at its `FUNC_PROTO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Func {
    pub name_off: u32,
    pub proto: u32,
    pub linkage: FuncLinkage,
}

/// One parameter of a `FUNC_PROTO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name_off: u32,
    pub type_id: u32,
}

/// `BTF_KIND_FUNC_PROTO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncProto {
    pub return_type: u32,
    pub params: Vec<Param>,
}

/// Linkage of a `BTF_KIND_VAR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarLinkage {
    Static,
    GlobalAllocated,
    GlobalExtern,
    Other(u32),
}

/// `BTF_KIND_VAR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    pub name_off: u32,
    pub type_id: u32,
    pub linkage: VarLinkage,
}

/// One variable of a `DATASEC`: its `VAR` type id, byte offset and size in the section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarSecinfo {
    pub type_id: u32,
    pub offset: u32,
    pub size: u32,
}

/// `BTF_KIND_DATASEC`: a section (`.maps`, `.rodata`, ...) and the variables in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datasec {
    pub name_off: u32,
    pub size: u32,
    pub vars: Vec<VarSecinfo>,
}

/// `BTF_KIND_FLOAT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Float {
    pub name_off: u32,
    pub size: u32,
}

/// `BTF_KIND_DECL_TAG`: `component_idx` is -1 for the whole type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclTag {
    pub name_off: u32,
    pub type_id: u32,
    pub component_idx: i32,
}

/// One BTF type, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BtfType {
    /// Type id 0.
    Void,
    Int(Int),
    Ptr(RefType),
    Array(Array),
    Struct(Composite),
    Union(Composite),
    Enum(Enum),
    Fwd(Fwd),
    Typedef(Typedef),
    Volatile(RefType),
    Const(RefType),
    Restrict(RefType),
    Func(Func),
    FuncProto(FuncProto),
    Var(Var),
    Datasec(Datasec),
    Float(Float),
    DeclTag(DeclTag),
    TypeTag(RefType),
    Enum64(Enum64),
}

impl BtfType {
    /// The `BTF_KIND_*` number.
    pub fn kind(&self) -> u32 {
        match self {
            BtfType::Void => 0,
            BtfType::Int(_) => 1,
            BtfType::Ptr(_) => 2,
            BtfType::Array(_) => 3,
            BtfType::Struct(_) => 4,
            BtfType::Union(_) => 5,
            BtfType::Enum(_) => 6,
            BtfType::Fwd(_) => 7,
            BtfType::Typedef(_) => 8,
            BtfType::Volatile(_) => 9,
            BtfType::Const(_) => 10,
            BtfType::Restrict(_) => 11,
            BtfType::Func(_) => 12,
            BtfType::FuncProto(_) => 13,
            BtfType::Var(_) => 14,
            BtfType::Datasec(_) => 15,
            BtfType::Float(_) => 16,
            BtfType::DeclTag(_) => 17,
            BtfType::TypeTag(_) => 18,
            BtfType::Enum64(_) => 19,
        }
    }

    /// The kernel's name of the kind, e.g. `STRUCT`.
    pub fn kind_name(&self) -> &'static str {
        const NAMES: [&str; 20] = [
            "VOID",
            "INT",
            "PTR",
            "ARRAY",
            "STRUCT",
            "UNION",
            "ENUM",
            "FWD",
            "TYPEDEF",
            "VOLATILE",
            "CONST",
            "RESTRICT",
            "FUNC",
            "FUNC_PROTO",
            "VAR",
            "DATASEC",
            "FLOAT",
            "DECL_TAG",
            "TYPE_TAG",
            "ENUM64",
        ];
        NAMES
            .get(self.kind() as usize)
            .copied()
            .unwrap_or("UNKNOWN")
    }

    /// Offset of the type's name in the string table (0 for anonymous kinds).
    pub fn name_off(&self) -> u32 {
        match self {
            BtfType::Void | BtfType::Array(_) | BtfType::FuncProto(_) => 0,
            BtfType::Int(t) => t.name_off,
            BtfType::Ptr(t)
            | BtfType::Typedef(t)
            | BtfType::Volatile(t)
            | BtfType::Const(t)
            | BtfType::Restrict(t)
            | BtfType::TypeTag(t) => t.name_off,
            BtfType::Struct(t) | BtfType::Union(t) => t.name_off,
            BtfType::Enum(t) => t.name_off,
            BtfType::Fwd(t) => t.name_off,
            BtfType::Func(t) => t.name_off,
            BtfType::Var(t) => t.name_off,
            BtfType::Datasec(t) => t.name_off,
            BtfType::Float(t) => t.name_off,
            BtfType::DeclTag(t) => t.name_off,
            BtfType::Enum64(t) => t.name_off,
        }
    }
}

pub(super) fn type_by_id(btf: &Btf, id: u32) -> Result<&BtfType> {
    btf.types.get(id as usize).ok_or_else(|| Error::BtfType {
        type_id: id,
        reason: format!(
            "type id past the end of the table ({} types)",
            btf.types.len()
        ),
    })
}

pub(super) fn string_at(btf: &Btf, offset: u32) -> Result<&str> {
    let base = u64::from(btf.header.hdr_len) + u64::from(btf.header.str_off);
    string_in(&btf.strings, base, offset)
}

/// The string at `offset` of the string section `strings`, which starts at byte `base` of
/// the blob (for error messages).
pub(super) fn string_in(strings: &[u8], base: u64, offset: u32) -> Result<&str> {
    let at = base + u64::from(offset);
    let len = strings.len();
    let tail = strings
        .get(offset as usize..)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Btf {
            offset: at,
            reason: format!(
                "string offset {offset} is past the end of the string table ({len} bytes)"
            ),
        })?;
    let end = tail
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| Error::Btf {
            offset: at,
            reason: format!("string at string offset {offset} is not NUL-terminated"),
        })?;
    let bytes = tail.get(..end).unwrap_or_default();
    std::str::from_utf8(bytes).map_err(|e| Error::Btf {
        offset: at,
        reason: format!("string at string offset {offset} is not UTF-8: {e}"),
    })
}

/// The target of a typedef or modifier, `None` for any other kind.
fn skip_target(t: &BtfType) -> Option<u32> {
    match t {
        BtfType::Typedef(r)
        | BtfType::Volatile(r)
        | BtfType::Const(r)
        | BtfType::Restrict(r)
        | BtfType::TypeTag(r) => Some(r.type_id),
        _ => None,
    }
}

fn cycle(id: u32, what: &str) -> Error {
    Error::BtfType {
        type_id: id,
        reason: format!("{what}: type chain loops (cycle)"),
    }
}

pub(super) fn resolve<T: BtfTypes + ?Sized>(btf: &T, id: u32) -> Result<(u32, &BtfType)> {
    let mut cur = id;
    // A chain visiting more types than exist must repeat one.
    for _ in 0..=btf.type_count() {
        let t = btf.type_by_id(cur)?;
        match skip_target(t) {
            Some(next) => cur = next,
            None => return Ok((cur, t)),
        }
    }
    Err(cycle(id, "resolving typedefs and modifiers"))
}

pub(super) fn size_of<T: BtfTypes + ?Sized>(btf: &T, id: u32) -> Result<u32> {
    let mut cur = id;
    // Product of the element counts of the arrays walked through so far.
    let mut count: u32 = 1;
    let overflow = || Error::BtfType {
        type_id: id,
        reason: "size overflows u32".to_string(),
    };
    for _ in 0..=btf.type_count() {
        let t = btf.type_by_id(cur)?;
        let size = match t {
            BtfType::Int(Int { size, .. })
            | BtfType::Float(Float { size, .. })
            | BtfType::Struct(Composite { size, .. })
            | BtfType::Union(Composite { size, .. })
            | BtfType::Enum(Enum { size, .. })
            | BtfType::Enum64(Enum64 { size, .. })
            | BtfType::Datasec(Datasec { size, .. }) => *size,
            BtfType::Ptr(_) => 8,
            BtfType::Array(a) => {
                count = count.checked_mul(a.nelems).ok_or_else(overflow)?;
                cur = a.elem_type;
                continue;
            }
            BtfType::Var(v) => {
                cur = v.type_id;
                continue;
            }
            BtfType::Void
            | BtfType::Fwd(_)
            | BtfType::Func(_)
            | BtfType::FuncProto(_)
            | BtfType::DeclTag(_) => {
                return Err(Error::BtfType {
                    type_id: cur,
                    reason: format!("{} has no size", t.kind_name()),
                });
            }
            BtfType::Typedef(_)
            | BtfType::Volatile(_)
            | BtfType::Const(_)
            | BtfType::Restrict(_)
            | BtfType::TypeTag(_) => {
                cur = skip_target(t).unwrap_or(0);
                continue;
            }
        };
        return size.checked_mul(count).ok_or_else(overflow);
    }
    Err(cycle(id, "computing its size"))
}

pub(super) fn find_by_name<'a>(btf: &'a Btf, name: &str) -> Option<(u32, &'a BtfType)> {
    let (id, t) = btf
        .types
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, t)| string_at(btf, t.name_off()).ok() == Some(name))?;
    Some((u32::try_from(id).ok()?, t))
}
