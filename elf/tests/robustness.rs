//! Hang and panic detector: thousands of deterministic mutations of the committed objects,
//! each of which must parse to `Ok` or `Err` — never panic, never spin.
//!
//! Mutations: truncation at many lengths; byte flips in the ELF header, the section headers,
//! `.BTF`, `.BTF.ext`, the relocation entries and the symbol table; u32 overwrites with 0,
//! 0xffffffff and large values at random places. A fixed-seed xorshift PRNG keeps every run
//! identical, so a failure names a case that reproduces.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use object::read::elf::{ElfFile64, FileHeader as _, SectionHeader as _};
use object::{Endianness, Object as _};
use rawbpf_elf::Object;

mod btf_common;

use btf_common::XorShift;

/// A byte range of the file that mutations target.
#[derive(Clone, Copy, Debug)]
struct Region {
    name: &'static str,
    start: usize,
    len: usize,
}

fn regions(bytes: &[u8]) -> Vec<Region> {
    let file = ElfFile64::<Endianness>::parse(bytes).unwrap();
    let endian = file.endian();
    let shoff = file.elf_header().e_shoff(endian) as usize;
    let shnum = file.elf_header().e_shnum(endian) as usize;
    let data = |name: &str| {
        file.section_by_name(name).map(|s| {
            let h = s.elf_section_header();
            (h.sh_offset(endian) as usize, h.sh_size(endian) as usize)
        })
    };
    let mut out = vec![
        Region {
            name: "elf header",
            start: 0,
            len: 64,
        },
        Region {
            name: "section headers",
            start: shoff,
            len: shnum * 64,
        },
    ];
    for (label, section) in [
        (".BTF", ".BTF"),
        (".BTF.ext", ".BTF.ext"),
        ("relocations", ".relsockops"),
        ("relocations", ".rel.text"),
        ("relocations", ".relxdp"),
        ("relocations", ".rel.maps"),
        ("symbols", ".symtab"),
        ("strings", ".strtab"),
        ("code", "sockops"),
        ("code", ".text"),
        ("maps", "maps"),
    ] {
        if let Some((start, len)) = data(section) {
            out.push(Region {
                name: label,
                start,
                len,
            });
        }
    }
    out
}

const PER_CASE_LIMIT: Duration = Duration::from_secs(1);

/// Parses every case; returns (ok, err) counts. Panics name the object and case number.
fn run(object: &str, cases: usize, seed: u64) -> (usize, usize) {
    let path = format!("{}/../{object}", env!("CARGO_MANIFEST_DIR"));
    let original = std::fs::read(&path).unwrap();
    Object::parse(&original).unwrap_or_else(|e| panic!("{object} must parse unmutated: {e}"));
    let regions = regions(&original);
    let mut rng = XorShift(seed);
    let (mut ok, mut err) = (0, 0);
    let mut slowest = (Duration::ZERO, 0);

    for case in 0..cases {
        let mut bytes = original.clone();
        let what = match case % 4 {
            0 => {
                // Truncate: spread over the whole file, plus every region boundary.
                let len = rng.below(original.len());
                bytes.truncate(len);
                format!("truncate to {len}")
            }
            1 | 2 => {
                let region = regions[rng.below(regions.len())];
                let flips = 1 + rng.below(4);
                for _ in 0..flips {
                    let at = region.start + rng.below(region.len);
                    if let Some(b) = bytes.get_mut(at) {
                        *b ^= 1 << rng.below(8);
                    }
                }
                format!("{flips} bit flips in {}", region.name)
            }
            _ => {
                let region = if rng.below(3) == 0 {
                    Region {
                        name: "anywhere",
                        start: 0,
                        len: original.len(),
                    }
                } else {
                    regions[rng.below(regions.len())]
                };
                let at = (region.start + rng.below(region.len)) & !3;
                let value: u32 = match rng.below(5) {
                    0 => 0,
                    1 => u32::MAX,
                    2 => 0x7fff_ffff,
                    3 => 1 << (16 + rng.below(16)),
                    _ => rng.next() as u32,
                };
                if let Some(slot) = bytes.get_mut(at..at + 4) {
                    slot.copy_from_slice(&value.to_le_bytes());
                }
                format!("u32 {value:#x} at {at:#x} ({})", region.name)
            }
        };
        let start = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| Object::parse(&bytes)));
        let took = start.elapsed();
        match result {
            Ok(Ok(_)) => ok += 1,
            Ok(Err(_)) => err += 1,
            Err(_) => panic!("{object} case {case} ({what}): Object::parse panicked"),
        }
        assert!(
            took < PER_CASE_LIMIT,
            "{object} case {case} ({what}): took {took:?}"
        );
        if took > slowest.0 {
            slowest = (took, case);
        }
    }
    eprintln!(
        "{object}: {cases} cases, {ok} ok, {err} err, slowest case {} took {:?}",
        slowest.1, slowest.0
    );
    (ok, err)
}

#[test]
fn mutated_sockops_object_never_panics_or_hangs() {
    let start = Instant::now();
    let (ok, err) = run("bpf-prog/bpf_sockops.o", 8000, 0x5eed_0b9f_0000_0001);
    assert_eq!(ok + err, 8000);
    assert!(
        err > 2000,
        "most mutations should be caught, only {err} were"
    );
    eprintln!("total {:?}", start.elapsed());
}

#[test]
fn mutated_fixture_objects_never_panic_or_hang() {
    for (object, seed) in [
        ("elf/tests/fixtures/multi_prog.o", 2),
        ("elf/tests/fixtures/map_in_map.o", 3),
        ("elf/tests/fixtures/legacy_maps.o", 4),
        ("elf/tests/fixtures/multi_prog.be.o", 5),
    ] {
        run(object, 1000, seed);
    }
}

/// The compatibility objects: iproute2 and legacy map layouts, externs, CO-RE records,
/// callbacks and static subprograms, loose section names.
#[test]
fn mutated_compat_objects_never_panic_or_hang() {
    for (object, seed) in [
        ("tests/objects/iproute2_sockmesh.o", 11),
        ("tests/objects/legacy_samples.o", 12),
        ("tests/objects/externs_kernel.o", 13),
        ("tests/objects/core_vmlinux.o", 14),
        ("tests/objects/tailcall_mim.o", 15),
        ("tests/objects/loose_sections.o", 16),
    ] {
        run(object, 600, seed);
    }
}
