//! Malformed `.BTF` blobs: each is a typed error, none panics.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

mod btf_common;

use btf_common::*;
use rawbpf_elf::Error;
use rawbpf_elf::btf::Btf;

fn simple() -> Builder {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    b.reftype(TYPEDEF, "myint", int);
    b
}

/// Parses (whole and through a lazy view, which must agree) and expects an `Error::Btf`
/// whose message contains `needle`.
fn btf_err(blob: &[u8], needle: &str) -> u64 {
    match parse_both_ways(blob) {
        Err(Error::Btf { offset, reason }) => {
            assert!(reason.contains(needle), "{reason:?} lacks {needle:?}");
            offset
        }
        other => panic!("expected Error::Btf containing {needle:?}, got {other:?}"),
    }
}

/// Parses (whole and through a lazy view, which must agree) and expects an
/// `Error::BtfType` for `id` whose message contains `needle`.
fn type_err(blob: &[u8], id: u32, needle: &str) {
    match parse_both_ways(blob) {
        Err(Error::BtfType { type_id, reason }) => {
            assert_eq!(type_id, id, "{reason}");
            assert!(reason.contains(needle), "{reason:?} lacks {needle:?}");
        }
        other => panic!("expected Error::BtfType {id} containing {needle:?}, got {other:?}"),
    }
}

#[test]
fn bad_magic() {
    let b = simple();
    let mut h = b.hdr();
    h.magic = 0x1234;
    assert_eq!(btf_err(&b.blob_with(false, h), "bad magic"), 0);
    btf_err(&[], "too short");
    btf_err(&[0x9f], "too short");
}

#[test]
fn bad_version() {
    let b = simple();
    let mut h = b.hdr();
    h.version = 2;
    assert_eq!(btf_err(&b.blob_with(false, h), "version 2"), 2);
    assert_eq!(btf_err(&b.blob_with(true, h), "version 2"), 2);
}

#[test]
fn header_truncated() {
    let blob = simple().le();
    for len in 2..24 {
        assert!(
            matches!(Btf::parse(&blob[..len]), Err(Error::Btf { .. })),
            "len {len}"
        );
    }
}

#[test]
fn hdr_len_past_end() {
    let b = simple();
    let mut h = b.hdr();
    h.hdr_len = 10_000;
    btf_err(
        &b.blob_with(false, h),
        "header length 10000 is past the end",
    );
    h.hdr_len = u32::MAX;
    btf_err(&b.blob_with(false, h), "past the end");
}

#[test]
fn hdr_len_too_small() {
    let b = simple();
    let mut h = b.hdr();
    h.hdr_len = 16;
    btf_err(&b.blob_with(false, h), "shorter than 24");
}

#[test]
fn type_section_past_end() {
    let b = simple();
    let mut h = b.hdr();
    h.type_len = h.type_len + h.str_len + 4;
    btf_err(&b.blob_with(false, h), "type section");
    let mut h = b.hdr();
    h.type_off = u32::MAX - 3;
    btf_err(&b.blob_with(false, h), "type section");
    let mut h = b.hdr();
    h.type_len = u32::MAX;
    btf_err(&b.blob_with(false, h), "type section");
    let mut h = b.hdr();
    h.type_off = 2;
    btf_err(&b.blob_with(false, h), "aligned");
}

#[test]
fn string_section_past_end() {
    let b = simple();
    let mut h = b.hdr();
    h.str_len += 1;
    btf_err(&b.blob_with(false, h), "string section");
    let mut h = b.hdr();
    h.str_off = u32::MAX;
    btf_err(&b.blob_with(false, h), "string section");
    let mut h = b.hdr();
    h.str_len = u32::MAX;
    btf_err(&b.blob_with(true, h), "string section");
}

#[test]
fn string_section_must_start_with_nul() {
    let mut b = simple();
    b.strings[0] = b'x';
    btf_err(&b.le(), "start with NUL");
    let b = simple();
    let mut h = b.hdr();
    h.str_len = 0;
    btf_err(&b.blob_with(false, h), "start with NUL");
}

#[test]
fn name_offset_out_of_range() {
    let mut b = Builder::new();
    b.raw_head(1000, INT, false, 0, 4);
    b.w(&[32]);
    type_err(&b.le(), 1, "name offset 1000 is past the end");
    // A member name out of range.
    let mut b = simple();
    b.head("s", STRUCT, false, 1, 4);
    let bad = b.strings.len() as u32;
    b.w(&[bad, 1, 0]);
    type_err(&b.le(), 3, &format!("name offset {bad}"));
}

#[test]
fn name_not_nul_terminated() {
    let mut b = simple();
    b.strings.extend(b"unterminated");
    let off = b.strings.len() as u32 - 5;
    b.raw_head(off, TYPEDEF, false, 0, 1);
    type_err(&b.le(), 3, "not NUL-terminated");
}

#[test]
fn string_lookup_out_of_range_is_an_error() {
    let btf = Btf::parse(&simple().le()).unwrap();
    assert!(matches!(btf.string(10_000), Err(Error::Btf { .. })));
    assert!(matches!(btf.string(u32::MAX), Err(Error::Btf { .. })));
    let len = btf.to_bytes().len();
    assert!(len > 24);
}

#[test]
fn type_id_past_the_table() {
    type Case = (Box<dyn Fn(&mut Builder)>, &'static str);
    let cases: Vec<Case> = vec![
        (
            Box::new(|b| {
                b.reftype(PTR, "", 9);
            }),
            "PTR refers to type 9",
        ),
        (
            Box::new(|b| {
                b.reftype(TYPEDEF, "t", 9);
            }),
            "TYPEDEF",
        ),
        (
            Box::new(|b| {
                b.reftype(CONST, "", 9);
            }),
            "CONST",
        ),
        (
            Box::new(|b| {
                b.reftype(VOLATILE, "", 9);
            }),
            "VOLATILE",
        ),
        (
            Box::new(|b| {
                b.reftype(RESTRICT, "", 9);
            }),
            "RESTRICT",
        ),
        (
            Box::new(|b| {
                b.reftype(TYPE_TAG, "t", 9);
            }),
            "TYPE_TAG",
        ),
        (
            Box::new(|b| {
                b.array(9, 1, 1);
            }),
            "ARRAY",
        ),
        (
            Box::new(|b| {
                b.array(1, 9, 1);
            }),
            "ARRAY",
        ),
        (
            Box::new(|b| {
                b.composite(STRUCT, "s", 4, false, &[("x", 9, 0)]);
            }),
            "STRUCT",
        ),
        (
            Box::new(|b| {
                b.composite(UNION, "u", 4, false, &[("x", 9, 0)]);
            }),
            "UNION",
        ),
        (
            Box::new(|b| {
                b.func_proto(9, &[]);
            }),
            "FUNC_PROTO",
        ),
        (
            Box::new(|b| {
                b.func_proto(1, &[("a", 9)]);
            }),
            "FUNC_PROTO",
        ),
        (
            Box::new(|b| {
                b.head("f", FUNC, false, 1, 9);
            }),
            "FUNC",
        ),
        (
            Box::new(|b| {
                b.var("v", 9, 1);
            }),
            "VAR",
        ),
        (
            Box::new(|b| {
                b.datasec(".data", 4, &[(9, 0, 4)]);
            }),
            "DATASEC",
        ),
        (
            Box::new(|b| {
                b.head("tag", DECL_TAG, false, 0, 9);
                b.w(&[0]);
            }),
            "DECL_TAG",
        ),
    ];
    for (add, needle) in cases {
        let mut b = simple();
        add(&mut b);
        type_err(&b.le(), 3, needle);
        type_err(&b.blob(true), 3, "past the end of the table (4 types)");
    }
}

#[test]
fn typedef_cycle_is_an_error_not_a_loop() {
    let mut b = Builder::new();
    b.reftype(TYPEDEF, "a", 2);
    b.reftype(CONST, "", 3);
    b.reftype(TYPEDEF, "c", 1);
    b.reftype(TYPEDEF, "self", 4);
    let btf = Btf::parse(&b.le()).unwrap();
    for id in 1..=4 {
        let e = btf.resolve(id).unwrap_err();
        assert!(
            matches!(e, Error::BtfType { .. }) && e.to_string().contains("cycle"),
            "{e}"
        );
        let e = btf.size_of(id).unwrap_err();
        assert!(e.to_string().contains("cycle"), "{e}");
    }
}

#[test]
fn array_and_var_cycles_are_errors() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    b.array(3, int, 2); // 2 -> 3
    b.reftype(TYPEDEF, "t", 2); // 3 -> 2
    b.var("v", 4, 0); // 4 -> 4
    let btf = Btf::parse(&b.le()).unwrap();
    assert!(btf.size_of(2).unwrap_err().to_string().contains("cycle"));
    assert!(btf.size_of(3).unwrap_err().to_string().contains("cycle"));
    assert!(btf.size_of(4).unwrap_err().to_string().contains("cycle"));
    // resolve stops at the array and the var: no cycle through them.
    assert_eq!(btf.resolve(3).unwrap().0, 2);
}

#[test]
fn vlen_claiming_more_than_the_bytes() {
    for kind in [STRUCT, UNION, ENUM, FUNC_PROTO, DATASEC, ENUM64] {
        let mut b = simple();
        b.head("x", kind, false, 0xffff, 4);
        b.w(&[0, 1, 0]);
        type_err(&b.le(), 3, "vlen 65535");
    }
    // Single trailing words missing at the end of the section.
    for kind in [INT, VAR, DECL_TAG, ARRAY] {
        let mut b = simple();
        b.head("", kind, false, 0, 1);
        type_err(&b.le(), 3, "needs");
    }
}

#[test]
fn truncated_record_head() {
    let mut b = simple();
    b.w(&[0, 0]);
    let off = btf_err(&b.le(), "record head truncated");
    assert_eq!(off, 24 + 12 + 4 + 12);
}

#[test]
fn unknown_kind() {
    let mut b = simple();
    b.head("x", 20, false, 0, 0);
    type_err(&b.le(), 3, "unknown kind 20 at offset 0x34");
    let mut b = simple();
    b.head("x", 31, true, 3, 0);
    type_err(&b.blob(true), 3, "unknown kind 31");
}

/// Every prefix and many single-byte corruptions of a blob with all kinds: errors, no panic;
/// whatever still parses answers every lookup without panicking.
#[test]
fn truncations_and_corruptions_never_panic() {
    fn exercise(blob: &[u8]) {
        if let Ok(btf) = Btf::parse(blob) {
            for id in 0..btf.len() as u32 + 2 {
                let _ = btf.type_name(id);
                let _ = btf.resolve(id);
                let _ = btf.size_of(id);
            }
            let _ = btf.find_by_name("s");
            let _ = btf.datasec(".data");
            let again = Btf::parse(&btf.to_bytes()).unwrap();
            assert_eq!(again.types(), btf.types());
            let _ = btf.fixed_for_kernel(&|_| Some(8), &|_, _| Some(0));
        }
    }
    for big in [false, true] {
        let blob = all_kinds().blob(big);
        for len in 0..blob.len() {
            exercise(&blob[..len]);
        }
        for i in 0..blob.len() {
            for x in [0x01, 0x80, 0xff, 0x13] {
                let mut m = blob.clone();
                m[i] ^= x;
                exercise(&m);
            }
        }
    }
}
