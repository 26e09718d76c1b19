//! The `rawbpf` binary the README's build gives is a static PIE (`loader/cli/build.rs`): no
//! program interpreter, so no shared library can be loaded (what `ldd` reports as
//! "statically linked"), and position-independent (`ET_DYN`), so its code is placed at a
//! random address. Read from the ELF header and program headers of the binary these tests run.

use crate::harness::cli::RAWBPF;

/// `PT_INTERP`, and `ET_DYN` (a position-independent executable).
const PT_INTERP: u32 = 3;
const ET_DYN: u16 = 3;

/// The `p_type` of every program header of a little-endian ELF64 file.
fn segment_types(elf: &[u8]) -> Vec<u32> {
    assert_eq!(elf.get(..4), Some(b"\x7fELF".as_slice()), "not an ELF file");
    assert_eq!(elf.get(4), Some(&2), "not ELF64");
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    (0..phnum)
        .map(|i| {
            let at = phoff + i * phentsize;
            u32::from_le_bytes(elf[at..at + 4].try_into().unwrap())
        })
        .collect()
}

#[test]
#[cfg(all(target_os = "linux", target_env = "gnu", target_endian = "little"))]
fn the_rawbpf_binary_links_no_shared_library() {
    if option_env!("RAWBPF_DYNAMIC").is_some() {
        return; // asked for a dynamic build at build time (docs/deployment.md)
    }
    let elf = std::fs::read(RAWBPF).unwrap_or_else(|e| panic!("{RAWBPF}: {e}"));
    let types = segment_types(&elf);
    assert!(!types.is_empty(), "{RAWBPF}: no program headers");
    assert!(
        !types.contains(&PT_INTERP),
        "{RAWBPF} is dynamically linked (program header types {types:?}); did the build \
         warn that glibc's static libraries (libc.a) are missing?"
    );
    let e_type = u16::from_le_bytes([elf[0x10], elf[0x11]]);
    assert_eq!(
        e_type, ET_DYN,
        "{RAWBPF} is not position-independent (e_type {e_type})"
    );
}
