//! The parsed object: everything the loader needs, as plain data.

use crate::btf::{Btf, BtfExt};
use crate::{DataSection, MapDef, Program, Result, SectionInfo};

/// Byte order of the object file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    Little,
    Big,
}

/// A BPF ELF object, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub endian: Endian,
    /// Contents of the `license` section (NUL stripped), e.g. `GPL`.
    pub license: String,
    /// Contents of the `version` section, if present.
    pub kernel_version: Option<u32>,
    pub programs: Vec<Program>,
    pub maps: Vec<MapDef>,
    pub data: Vec<DataSection>,
    /// `.BTF` as in the file (DATASEC sizes as clang left them).
    pub btf: Option<Btf>,
    /// `.BTF` fixed up for `BPF_BTF_LOAD` (DATASEC sizes and variable offsets filled in).
    pub btf_for_kernel: Option<Btf>,
    pub btf_ext: Option<BtfExt>,
    /// Every executable section and how its name was classified (also the unknown ones).
    pub sections: Vec<SectionInfo>,
}

impl Object {
    /// Parses an object file. Untrusted input: every offset and count is checked.
    pub fn parse(_bytes: &[u8]) -> Result<Object> {
        todo!("elf helper: object parsing")
    }

    /// The map definition with this name.
    pub fn map(&self, name: &str) -> Option<&MapDef> {
        self.maps.iter().find(|m| m.name == name)
    }

    /// The program with this name.
    pub fn program(&self, name: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.name == name)
    }
}
