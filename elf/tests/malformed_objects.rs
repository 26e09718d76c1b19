//! Targeted corruptions of `bpf_sockops.o`, each expected to end in one particular error.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use object::read::elf::{ElfFile64, SectionHeader as _};
use object::{Endianness, Object as _, ObjectSection as _};
use rawbpf_elf::{Error, Object};

fn sockops() -> Vec<u8> {
    std::fs::read(format!(
        "{}/../bpf-prog/bpf_sockops.o",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// File offset of the section header of `name`.
fn section_header(bytes: &[u8], name: &str) -> usize {
    let file = ElfFile64::<Endianness>::parse(bytes).unwrap();
    let index = file.section_by_name(name).unwrap().index().0;
    let shoff = u64::from_le_bytes(bytes[0x28..0x30].try_into().unwrap()) as usize;
    shoff + index * 64
}

/// File offset of the data of section `name`.
fn section_data(bytes: &[u8], name: &str) -> usize {
    let file = ElfFile64::<Endianness>::parse(bytes).unwrap();
    let section = file.section_by_name(name).unwrap();
    section.elf_section_header().sh_offset(Endianness::Little) as usize
}

fn parse_err(bytes: &[u8]) -> Error {
    match Object::parse(bytes) {
        Ok(_) => panic!("parsed"),
        Err(e) => e,
    }
}

#[test]
fn not_elf() {
    assert!(matches!(
        parse_err(b"hello world, not an object"),
        Error::NotElf(_)
    ));
    assert!(matches!(parse_err(b""), Error::NotElf(_)));
}

#[test]
fn elf_class_32_is_refused() {
    let mut b = sockops();
    b[4] = 1;
    assert!(matches!(parse_err(&b), Error::Not64Bit));
}

#[test]
fn other_machine_is_not_bpf() {
    let mut b = sockops();
    b[18..20].copy_from_slice(&62u16.to_le_bytes());
    let e = parse_err(&b);
    assert!(matches!(e, Error::NotBpf { machine: 62 }), "{e}");
}

#[test]
fn executable_is_not_a_relocatable_object() {
    let mut b = sockops();
    b[16..18].copy_from_slice(&2u16.to_le_bytes());
    let e = parse_err(&b);
    assert!(matches!(e, Error::Malformed(_)), "{e}");
    assert!(e.to_string().contains("ET_REL"), "{e}");
}

#[test]
fn truncated_section_table_is_malformed() {
    let b = sockops();
    let e = parse_err(&b[..b.len() - 100]);
    assert!(matches!(e, Error::Malformed(_)), "{e}");
}

#[test]
fn code_section_size_not_a_multiple_of_8() {
    let mut b = sockops();
    let sh = section_header(&b, "sockops");
    b[sh + 32..sh + 40].copy_from_slice(&252u64.to_le_bytes());
    let e = parse_err(&b);
    assert!(
        matches!(&e, Error::InsnSectionSize { section, size: 252 } if section == "sockops"),
        "{e}"
    );
}

#[test]
fn function_symbol_past_its_section() {
    let mut b = sockops();
    let sh = section_header(&b, "sockops");
    b[sh + 32..sh + 40].copy_from_slice(&248u64.to_le_bytes());
    let e = parse_err(&b);
    assert!(
        matches!(&e, Error::Symbol { symbol, .. } if symbol == "bpf_add_to_sockhash"),
        "{e}"
    );
}

/// File offset of entry `i` of `.relsockops`.
fn reloc_entry(b: &[u8], i: usize) -> usize {
    section_data(b, ".relsockops") + i * 16
}

#[test]
fn unknown_relocation_type_is_named() {
    let mut b = sockops();
    let r = reloc_entry(&b, 1); // R_BPF_64_64 sock_ops_map at 0x90
    b[r + 8] = 7;
    let e = parse_err(&b);
    match &e {
        Error::UnsupportedRelocation {
            section,
            offset,
            r_type,
            symbol,
        } => {
            assert_eq!(
                (section.as_str(), *offset, *r_type, symbol.as_str()),
                ("sockops", 0x90, 7, "sock_ops_map")
            );
        }
        _ => panic!("{e}"),
    }
}

#[test]
fn call_relocated_with_the_wrong_type() {
    let mut b = sockops();
    let r = reloc_entry(&b, 0); // R_BPF_64_32 .text at 0x80
    b[r + 8] = 1;
    let e = parse_err(&b);
    assert!(matches!(&e, Error::Relocation { offset: 0x80, .. }), "{e}");
}

#[test]
fn relocation_offsets_must_be_on_an_instruction_inside_the_section() {
    for (offset, what) in [
        (0x91u64, "boundary"),
        (0x1000, "outside"),
        (u64::MAX - 7, "outside"),
    ] {
        let mut b = sockops();
        let r = reloc_entry(&b, 1);
        b[r..r + 8].copy_from_slice(&offset.to_le_bytes());
        let e = parse_err(&b);
        assert!(
            matches!(&e, Error::Relocation { section, .. } if section == "sockops"),
            "{e}"
        );
        assert!(e.to_string().contains(what), "{e}");
    }
}

#[test]
fn map_relocation_on_a_non_ld_imm64_instruction() {
    let mut b = sockops();
    let r = reloc_entry(&b, 1);
    b[r..r + 8].copy_from_slice(&0x88u64.to_le_bytes()); // insn 17: r1 = r7
    let e = parse_err(&b);
    assert!(e.to_string().contains("not ld_imm64"), "{e}");
}

#[test]
fn relocation_symbol_index_out_of_range() {
    let mut b = sockops();
    let r = reloc_entry(&b, 1);
    b[r + 12..r + 16].copy_from_slice(&5000u32.to_le_bytes());
    let e = parse_err(&b);
    assert!(e.to_string().contains("symbol index out of range"), "{e}");
}

#[test]
fn unknown_map_attribute_is_named() {
    let mut b = sockops();
    let btf = section_data(&b, ".BTF");
    let at = b[btf..].windows(8).position(|w| w == b"pinning\0").unwrap() + btf;
    b[at..at + 7].copy_from_slice(b"pinnimg");
    let e = parse_err(&b);
    assert!(
        matches!(&e, Error::Map { map, reason } if map == "sock_ops_map" && reason.contains("pinnimg")),
        "{e}"
    );
}

#[test]
fn license_must_be_utf8() {
    let mut b = sockops();
    let lic = section_data(&b, "license");
    b[lic] = 0xff;
    let e = parse_err(&b);
    assert!(
        matches!(&e, Error::Section { section, .. } if section == "license"),
        "{e}"
    );
}

#[test]
fn unknown_program_section_is_listed_but_not_loaded() {
    // Renaming `sockops` to `sockopz` (same length) makes it an unknown section.
    let mut b = sockops();
    let strtab = section_data(&b, ".strtab");
    let at = b[strtab..]
        .windows(8)
        .position(|w| w == b"sockops\0")
        .unwrap()
        + strtab;
    b[at + 6] = b'z';
    let obj = Object::parse(&b).unwrap();
    assert!(obj.programs.is_empty());
    assert_eq!(obj.sections.len(), 1);
    assert_eq!(obj.sections[0].section, "sockopz");
    assert_eq!(obj.sections[0].kind, None);
}
