//! The kernel's BPF vocabulary, in one place: program, attach and map types with the names
//! libbpf and bpftool give them, and the instruction format with its opcodes.
//!
//! Everything here is a number from `include/uapi/linux/bpf.h` or `bpf_common.h` and what
//! the kernel means by it. The crate knows no object format and makes no syscalls, so both
//! `rawbpf-elf` (which reads these numbers from objects) and `rawbpf-syscalls` (which passes
//! them to `bpf(2)`) use it without learning about each other. It has no dependencies.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

mod attach_type;
mod helper;
pub mod insn;
mod kernel_enum;
pub mod map_flags;
mod map_type;
mod prog_type;

pub use attach_type::AttachType;
pub use helper::helper_name;
pub use insn::Insn;
pub use map_type::MapType;
pub use prog_type::ProgType;
