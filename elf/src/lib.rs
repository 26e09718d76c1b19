//! Pure parser for BPF ELF objects: programs, maps, global data, relocations and BTF.
//!
//! Same bytes in, same [`Object`] out, on any machine: this crate makes no syscalls and
//! contains no `unsafe`. A map fd is, to it, a number the loader writes into an instruction
//! later (see `docs/architecture.md`). Every malformed input is an [`Error`], never a panic.
#![forbid(unsafe_code)]

pub mod btf;
mod data;
mod error;
mod insn;
mod maps;
mod object;
mod program;
mod reloc;
pub mod section;

pub use data::{DataKind, DataSection};
pub use error::{Error, Result};
pub use insn::Insn;
pub use maps::{MapDef, MapSource, MapType, Pinning, MapInitialValue};
pub use object::{Endian, Object};
pub use program::{AttachType, ProgType, Program, ProgramKind, SectionInfo};
pub use reloc::Relocation;
