//! The lazy [`BtfView`] against the full [`Btf::parse`]: over the running kernel's vmlinux
//! BTF every type decodes the same, and every CO-RE relocation of every committed object
//! resolves to the same value through either; over thousands of mutated `.BTF` blobs both
//! give the same types or the same error, and neither panics.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

mod btf_common;

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use rawbpf_elf::Object;
use rawbpf_elf::btf::core::{CoreTarget, apply_all};
use rawbpf_elf::btf::{Btf, BtfTypes, BtfView, btf_bytes};

const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

fn vmlinux() -> Vec<u8> {
    std::fs::read(VMLINUX).unwrap_or_else(|e| {
        panic!("{VMLINUX}: {e} (every kernel rawbpf supports has CONFIG_DEBUG_INFO_BTF)")
    })
}

/// Every committed object: the CO-RE, ksym and tracing test objects and the sockops ones.
fn objects() -> Vec<(String, Vec<u8>)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut out = Vec::new();
    for dir in ["tests/objects", "bpf-prog", "elf/tests/fixtures"] {
        let Ok(entries) = std::fs::read_dir(format!("{root}/{dir}")) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "o") {
                out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    assert!(out.len() > 10, "the committed objects are missing");
    out
}

/// The names the loader indexes for `obj`: externs and CO-RE root types.
fn wanted(obj: &Object) -> HashSet<String> {
    let mut names: HashSet<String> = obj.externs.iter().map(|e| e.name.clone()).collect();
    if let Some(local) = &obj.btf {
        for p in &obj.programs {
            for r in &p.core_relos {
                names.insert(local.type_name(r.type_id).unwrap().to_string());
            }
        }
    }
    names
}

#[test]
fn every_vmlinux_type_decodes_as_the_full_parse_does() {
    let bytes = vmlinux();
    let full = Btf::parse(&bytes).unwrap();
    let view = BtfView::parse(&bytes).unwrap();
    assert_eq!(view.len(), full.len());
    assert!(
        view.len() > 10_000,
        "a vmlinux BTF has tens of thousands of types"
    );
    for id in 0..full.len() as u32 {
        assert_eq!(
            view.type_by_id(id).unwrap(),
            full.type_by_id(id).unwrap(),
            "type {id}"
        );
        assert_eq!(view.type_name(id).unwrap(), full.type_name(id).unwrap());
    }
    assert!(view.type_by_id(full.len() as u32).is_err());
    for name in [
        "task_struct",
        "bpf_map_type",
        "sk_buff",
        "no_such_type_anywhere",
    ] {
        assert_eq!(
            view.find_by_name(name).map(|(id, t)| (id, t.clone())),
            full.find_by_name(name).map(|(id, t)| (id, t.clone())),
            "{name}"
        );
    }
}

#[test]
fn core_relocations_resolve_the_same_through_the_view() {
    let bytes = vmlinux();
    let full = Btf::parse(&bytes).unwrap();
    let view = BtfView::parse(&bytes).unwrap();
    let mut relocations = 0;
    for (path, data) in objects() {
        let Ok(obj) = Object::parse(&data) else {
            continue; // the deliberately broken fixtures
        };
        let names = wanted(&obj);
        let names: HashSet<&str> = names.iter().map(String::as_str).collect();
        let by_full = CoreTarget::for_names(&full, &names);
        let by_view = CoreTarget::for_names_in(&view, &names);
        // What the loader uses: the index built while the view is parsed.
        let (indexed_view, index) = CoreTarget::parse_indexed(&bytes, &names).unwrap();
        let by_parse = CoreTarget::from_index(&indexed_view, index);
        for n in &names {
            let want = by_full.named(n);
            assert_eq!(want, by_view.named(n), "{path}: candidates of {n}");
            assert_eq!(want, by_parse.named(n), "{path}: candidates of {n}");
        }
        let Some(local) = obj.btf.as_ref() else {
            continue;
        };
        for p in &obj.programs {
            if p.core_relos.is_empty() {
                continue;
            }
            let (mut a, mut b, mut c) = (p.clone(), p.clone(), p.clone());
            let ra = apply_all(local, &by_full, &mut a).map_err(|e| e.to_string());
            let rb = apply_all(local, &by_view, &mut b).map_err(|e| e.to_string());
            let rc = apply_all(local, &by_parse, &mut c).map_err(|e| e.to_string());
            assert_eq!(ra, rb, "{path}: program {}", p.name);
            assert_eq!(ra, rc, "{path}: program {}", p.name);
            assert_eq!(a.insns, b.insns, "{path}: program {}", p.name);
            assert_eq!(a.insns, c.insns, "{path}: program {}", p.name);
            relocations += p.core_relos.len();
        }
    }
    assert!(
        relocations > 20,
        "only {relocations} CO-RE relocations compared"
    );
}

#[test]
fn mutated_btf_reads_the_same_both_ways_and_never_panics() {
    let mut rng = btf_common::XorShift(0x5eed_b7f0_1a2b_3c4d);
    let mut cases = 0;
    for (path, data) in objects() {
        let Ok(btf) = btf_bytes(&data) else {
            continue;
        };
        let original = btf.to_vec();
        for case in 0..300 {
            let mut bytes = original.clone();
            match case % 3 {
                0 => bytes.truncate(rng.below(original.len())),
                1 => {
                    for _ in 0..1 + rng.below(4) {
                        let at = rng.below(bytes.len());
                        bytes[at] ^= 1 << rng.below(8);
                    }
                }
                _ => {
                    let at = rng.below(bytes.len()) & !3;
                    let v: u32 = match rng.below(4) {
                        0 => 0,
                        1 => u32::MAX,
                        2 => 1 << (16 + rng.below(16)),
                        _ => rng.next() as u32,
                    };
                    if let Some(slot) = bytes.get_mut(at..at + 4) {
                        slot.copy_from_slice(&v.to_le_bytes());
                    }
                }
            }
            let result = catch_unwind(AssertUnwindSafe(|| {
                let _ = btf_common::parse_both_ways(&bytes);
            }));
            assert!(result.is_ok(), "{path} case {case} panicked or disagreed");
            cases += 1;
        }
    }
    assert!(cases > 1000);
}
