//! `Btf::fixed_for_kernel`: DATASEC sizes and var offsets from the ELF, sorted secinfos.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

mod btf_common;

use btf_common::*;
use rawbpf_elf::Error;
use rawbpf_elf::btf::*;

/// `.data` with three ints and an 8-byte long, as clang emits it: size 0, offsets 0.
fn clang_like() -> Btf {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32); // 1
    let long = b.int("long", 8, 1, 64); // 2
    let a = b.var("a", int, 1); // 3
    let c = b.var("c", long, 1); // 4
    let d = b.var("d", int, 0); // 5
    b.datasec(".data", 0, &[(a, 0, 4), (c, 0, 8), (d, 0, 4)]); // 6
    let k = b.var("CONFIG_X", int, 2); // 7
    b.datasec(".kconfig", 0, &[(k, 0, 4)]); // 8
    Btf::parse(&b.le()).unwrap()
}

fn sizes(s: &str) -> Option<u32> {
    match s {
        ".data" => Some(16),
        _ => None,
    }
}

fn offsets(s: &str, v: &str) -> Option<u32> {
    match (s, v) {
        (".data", "a") => Some(12),
        (".data", "c") => Some(0),
        (".data", "d") => Some(8),
        _ => None,
    }
}

#[test]
fn sizes_and_offsets_come_from_the_callbacks_sorted_by_offset() {
    let btf = clang_like();
    let fixed = btf.fixed_for_kernel(&sizes, &offsets).unwrap();
    let (id, d) = fixed.datasec(".data").unwrap();
    assert_eq!(id, 6);
    assert_eq!(d.size, 16);
    assert_eq!(
        d.vars,
        vec![
            VarSecinfo {
                type_id: 4,
                offset: 0,
                size: 8
            },
            VarSecinfo {
                type_id: 5,
                offset: 8,
                size: 4
            },
            VarSecinfo {
                type_id: 3,
                offset: 12,
                size: 4
            },
        ]
    );
    // The original is untouched.
    assert_eq!(btf.datasec(".data").unwrap().1.size, 0);
    // The blob round-trips.
    assert_eq!(Btf::parse(&fixed.to_bytes()).unwrap(), fixed);
}

#[test]
fn sections_missing_from_the_elf_are_left_as_emitted() {
    let btf = clang_like();
    let fixed = btf.fixed_for_kernel(&sizes, &offsets).unwrap();
    assert_eq!(fixed.datasec(".kconfig"), btf.datasec(".kconfig"));
    for id in (1..=5).chain(7..=8) {
        assert_eq!(fixed.type_by_id(id).unwrap(), btf.type_by_id(id).unwrap());
    }
}

#[test]
fn unknown_symbol_keeps_its_offset_and_zero_size_is_filled_from_the_type() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let arr = b.array(int, int, 3);
    let v = b.var("arr", arr, 1);
    b.datasec(".bss", 0, &[(v, 4, 0)]);
    let btf = Btf::parse(&b.le()).unwrap();
    let fixed = btf.fixed_for_kernel(&|_| Some(16), &|_, _| None).unwrap();
    let (_, d) = fixed.datasec(".bss").unwrap();
    assert_eq!(d.size, 16);
    assert_eq!(
        d.vars,
        vec![VarSecinfo {
            type_id: v,
            offset: 4,
            size: 12
        }]
    );
}

#[test]
fn vars_that_do_not_fit_are_an_error() {
    let btf = clang_like();
    // Section too small for the var at offset 12.
    let e = btf.fixed_for_kernel(&|_| Some(14), &offsets).unwrap_err();
    assert!(matches!(e, Error::BtfType { type_id: 6, .. }), "{e}");
    assert!(e.to_string().contains("var a at offset 12"), "{e}");
    // Two vars at the same offset overlap.
    let e = btf.fixed_for_kernel(&sizes, &|_, _| Some(0)).unwrap_err();
    assert!(e.to_string().contains("overlaps"), "{e}");
}

#[test]
fn secinfo_pointing_at_a_non_var_is_an_error() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    b.datasec(".data", 0, &[(int, 0, 4)]);
    let btf = Btf::parse(&b.le()).unwrap();
    let e = btf
        .fixed_for_kernel(&|_| Some(4), &|_, _| Some(0))
        .unwrap_err();
    assert!(matches!(e, Error::BtfType { type_id: 2, .. }), "{e}");
    assert!(e.to_string().contains("INT, not a VAR"), "{e}");
}

#[test]
fn btf_without_datasecs_is_unchanged() {
    let b = all_kinds();
    let mut without = Builder::new();
    without.int("int", 4, 1, 32);
    let btf = Btf::parse(&without.le()).unwrap();
    assert_eq!(
        btf.fixed_for_kernel(&|_| Some(1), &|_, _| Some(0)).unwrap(),
        btf
    );
    // all_kinds' .data already has its size and offset: the callbacks set the same values.
    let btf = Btf::parse(&b.le()).unwrap();
    let fixed = btf.fixed_for_kernel(&|_| Some(8), &|_, _| Some(0)).unwrap();
    assert_eq!(fixed, btf);
}
