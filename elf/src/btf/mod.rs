//! BPF Type Format: a hand-written parser for `.BTF` and `.BTF.ext`.
//!
//! Two layers: `header` and `records` read the wire format (header, string table, raw type
//! records with `kind()`/`vlen()`/`kind_flag()`), `types` holds the resolved types the
//! `.maps` parser and the map dumper read; `validate` checks every type id and name offset
//! once after parsing, so lookups can trust them. Nothing here trusts a count or an offset from
//! the blob: each is checked against the bytes really present before use. `ext` parses
//! `.BTF.ext`, `fixup` makes the blob loadable. `view` reads a large BTF (the kernel's)
//! lazily — record heads checked once, a type decoded and checked when asked for — and
//! `table` is the trait CO-RE reads either through. See `docs/architecture.md`.

pub mod core;
mod cycles;
mod ext;
mod fixup;
mod format;
mod header;
mod maps_lookup;
mod records;
mod source;
mod table;
mod types;
mod validate;
mod view;
mod wire;

pub use ext::{
    BtfExt, CoreRelo, CoreReloKind, FuncInfo, LineInfo, SecCoreRelo, SecFuncInfo, SecLineInfo,
};
pub use format::{MAX_DEPTH, MAX_VALUES, Value};
pub use header::Header;
pub use source::btf_bytes;
pub use table::BtfTypes;
pub use types::{
    Array, BtfType, Composite, Datasec, DeclTag, Enum, Enum64, Enum64Value, EnumValue, Float, Func,
    FuncLinkage, FuncProto, Fwd, Int, Member, Param, RefType, Typedef, Var, VarLinkage, VarSecinfo,
};
pub use view::{BtfView, RawHead};

use crate::Result;

/// A parsed `.BTF` section: type table (index = type id, id 0 is `void`) and string table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Btf {
    pub(crate) header: Header,
    /// `types[0]` is [`BtfType::Void`]; `types[id]` is type `id`.
    pub(crate) types: Vec<BtfType>,
    pub(crate) strings: Vec<u8>,
    pub(crate) big_endian: bool,
}

impl Btf {
    /// Parses a `.BTF` blob; the byte order comes from the magic (`0xeB9F`).
    pub fn parse(data: &[u8]) -> Result<Btf> {
        header::parse_btf(data)
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn is_big_endian(&self) -> bool {
        self.big_endian
    }

    /// Number of types including `void` (valid ids are `0..len()`).
    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.len() <= 1
    }

    /// All types, indexed by id (`types()[0]` is `void`).
    pub fn types(&self) -> &[BtfType] {
        &self.types
    }

    /// The type with this id, or [`crate::Error::BtfType`] if the id is past the table.
    pub fn type_by_id(&self, id: u32) -> Result<&BtfType> {
        types::type_by_id(self, id)
    }

    /// The string at `offset` in the string table (NUL-terminated, UTF-8 checked).
    pub fn string(&self, offset: u32) -> Result<&str> {
        types::string_at(self, offset)
    }

    /// The string at `offset` when it is ASCII (every C identifier is): checked with a plain
    /// byte scan, no UTF-8 decoding; `None` otherwise (use [`Btf::string`]). For hot loops
    /// over a vmlinux BTF's 130 000 names.
    pub fn name_str_fast(&self, offset: u32) -> Option<&str> {
        let tail = self.strings.get(offset as usize..)?;
        let end = tail.iter().position(|&b| b == 0 || b >= 0x80)?;
        if tail.get(end) != Some(&0) {
            return None;
        }
        std::str::from_utf8(tail.get(..end)?).ok()
    }

    /// The name of type `id` ("" for anonymous types).
    pub fn type_name(&self, id: u32) -> Result<&str> {
        let ty = self.type_by_id(id)?;
        self.string(ty.name_off())
    }

    /// Follows typedefs and modifiers (const, volatile, restrict, type tags) to the
    /// underlying type. Bounded: a chain longer than the table is a cycle and an error.
    pub fn resolve(&self, id: u32) -> Result<(u32, &BtfType)> {
        types::resolve(self, id)
    }

    /// Size in bytes of type `id` (arrays multiply, pointers are 8, typedefs resolve).
    pub fn size_of(&self, id: u32) -> Result<u32> {
        types::size_of(self, id)
    }

    /// The first type of this name (any kind), e.g. a `DATASEC` named `.maps`.
    pub fn find_by_name(&self, name: &str) -> Option<(u32, &BtfType)> {
        types::find_by_name(self, name)
    }

    /// The `DATASEC` with this name, e.g. `.maps` or `.rodata`.
    pub fn datasec(&self, name: &str) -> Option<(u32, &Datasec)> {
        self.types.iter().enumerate().find_map(|(id, t)| match t {
            BtfType::Datasec(d) if self.string(d.name_off).ok() == Some(name) => {
                Some((u32::try_from(id).ok()?, d))
            }
            _ => None,
        })
    }

    /// The `VAR` a `DATASEC` entry points at, with its name (e.g. `sock_ops_map`).
    pub fn secinfo_var(&self, secinfo: &VarSecinfo) -> Result<(&Var, &str)> {
        match self.type_by_id(secinfo.type_id)? {
            BtfType::Var(v) => Ok((v, self.string(v.name_off)?)),
            other => Err(crate::Error::BtfType {
                type_id: secinfo.type_id,
                reason: format!("DATASEC entry points at a {}, not a VAR", other.kind_name()),
            }),
        }
    }

    /// The id of a type whose layout needs itself (a typedef naming itself, a struct
    /// containing itself other than through a pointer), if any: such BTF has no layout and
    /// the kernel refuses it. One linear pass over the type graph.
    pub fn find_layout_cycle(&self) -> Option<u32> {
        cycles::find_cycle(self)
    }

    /// Serialises back to the wire format in little-endian order (what the kernel reads).
    pub fn to_bytes(&self) -> Vec<u8> {
        header::to_bytes(self)
    }

    /// Makes extern declarations loadable by the kernel (`.kconfig` layout, `.ksyms` as int
    /// variables, extern linkage made global); see `fixup::fix_externs`.
    pub fn fix_externs(&mut self, externs: &[crate::Extern], kconfig_size: u32) -> Result<()> {
        fixup::fix_externs(self, externs, kconfig_size)
    }

    /// The blob to hand to `BPF_BTF_LOAD`: clang leaves every `DATASEC` with size 0 and its
    /// variables at offset 0; the kernel rejects that, so sizes come from the ELF sections
    /// (`section_size`) and offsets from the symbols (`symbol_offset(section, var name)`).
    pub fn fixed_for_kernel(
        &self,
        section_size: &dyn Fn(&str) -> Option<u32>,
        symbol_offset: &dyn Fn(&str, &str) -> Option<u32>,
    ) -> Result<Btf> {
        fixup::fix_datasecs(self, section_size, symbol_offset)
    }
}
