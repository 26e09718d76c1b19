//! What CO-RE, `__ksym` and attach-point lookups read from a BTF, whichever way it is held:
//! a whole parsed [`super::Btf`] (an object's own BTF) or a lazy [`super::BtfView`] over a
//! kernel's (types decoded only when asked for).

use super::types::{self, BtfType};
use crate::Result;

/// Types by id and strings by offset. Ids and name offsets of every type handed out were
/// checked against the table and the string section, so lookups through them can trust them.
pub trait BtfTypes {
    /// Number of types including `void` (valid ids are `0..type_count()`).
    fn type_count(&self) -> usize;

    /// The type with this id, or [`crate::Error::BtfType`] if the id is past the table (or,
    /// for a lazy view, its record is malformed).
    fn type_by_id(&self, id: u32) -> Result<&BtfType>;

    /// The string at `offset` in the string table (NUL-terminated, UTF-8 checked).
    fn string(&self, offset: u32) -> Result<&str>;

    /// The name of type `id` ("" for anonymous types).
    fn type_name(&self, id: u32) -> Result<&str> {
        let ty = self.type_by_id(id)?;
        self.string(ty.name_off())
    }

    /// Follows typedefs and modifiers (const, volatile, restrict, type tags) to the
    /// underlying type. Bounded: a chain longer than the table is a cycle and an error.
    fn resolve(&self, id: u32) -> Result<(u32, &BtfType)> {
        types::resolve(self, id)
    }

    /// Size in bytes of type `id` (arrays multiply, pointers are 8, typedefs resolve).
    fn size_of(&self, id: u32) -> Result<u32> {
        types::size_of(self, id)
    }
}

impl BtfTypes for super::Btf {
    fn type_count(&self) -> usize {
        self.types.len()
    }

    fn type_by_id(&self, id: u32) -> Result<&BtfType> {
        types::type_by_id(self, id)
    }

    fn string(&self, offset: u32) -> Result<&str> {
        let base = u64::from(self.header.hdr_len) + u64::from(self.header.str_off);
        types::string_in(&self.strings, base, offset)
    }
}
