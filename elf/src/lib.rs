//! Pure parser for BPF ELF objects: programs, maps, global data, relocations and BTF.
//!
//! Same bytes in, same [`Object`] out, on any machine: this crate makes no syscalls and
//! contains no `unsafe`. A map fd is, to it, a number the loader writes into an instruction
//! later (see `docs/architecture.md`). Every malformed input is an [`Error`], never a panic.
//!
//! [`Object::parse`] is the entry point. Inside, one module per concern:
//! - `elf_file`: the ELF layer (through the `object` crate): header checks, sections,
//!   symbols and relocations as plain data;
//! - [`section`]: `SEC()` names to program type and attach type (libbpf's table);
//! - `link`: one [`Program`] per function symbol of a known program section, with the
//!   subprograms it calls appended and call offsets, map and data relocations resolved;
//! - `btf_maps` / `legacy_maps`: [`MapDef`]s from the `.maps` DATASEC and the old `maps`
//!   section; `data`: `.rodata*`/`.data*`/`.bss*` as [`DataSection`]s;
//! - [`btf`]: `.BTF` and `.BTF.ext`; [`btf::core`] applies CO-RE relocations against a
//!   target BTF the loader supplies;
//! - `externs`: `__kconfig` / `__ksym` externs and kfuncs ([`Extern`]).
//!
//! ```no_run
//! let bytes = std::fs::read("bpf-prog/bpf_sockops.o")?;
//! let object = rawbpf_elf::Object::parse(&bytes)?;
//! for program in &object.programs {
//!     println!("{} ({}): {} instructions", program.name, program.kind.prog_type, program.insns.len());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod btf;
mod btf_maps;
mod data;
mod elf_file;
mod error;
mod externs;
mod legacy_maps;
mod link;
mod maps;
mod object;
mod program;
mod reloc;
pub mod section;

pub use data::{DataKind, DataSection};
pub use error::{Error, Result};
pub use externs::{Extern, ExternKind};
pub use maps::{MapDef, MapInitialValue, MapSource, Pinning};
pub use object::{Endian, Object};
pub use program::{Program, ProgramKind, SectionInfo};
/// The kernel's vocabulary, from `rawbpf-abi`: objects carry these numbers.
pub use rawbpf_abi::{AttachType, Insn, MapType, ProgType};
pub use reloc::Relocation;
