//! Decoding bytes by BTF type (`Btf::decode`), rendering the result, and finding a map's
//! key/value types in `.maps` (`Btf::map_key_value_types`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

mod btf_common;

use btf_common::*;
use object::{Object, ObjectSection};
use rawbpf_elf::Error;
use rawbpf_elf::btf::*;

/// Both byte orders of the same blob.
fn parse_both(b: &Builder) -> (Btf, Btf) {
    let le = Btf::parse(&b.le()).unwrap();
    let be = Btf::parse(&b.blob(true)).unwrap();
    assert!(!le.is_big_endian() && be.is_big_endian());
    (le, be)
}

/// An `INT` with an explicit bit offset (the builder's `int` always writes offset 0).
fn int_at(b: &mut Builder, name: &str, size: u32, encoding: u32, offset: u32, bits: u32) -> u32 {
    let id = b.head(name, INT, false, 0, size);
    b.w(&[(encoding << 24) | (offset << 16) | bits]);
    id
}

/// An `ENUM` of 4 bytes; values are (name, value).
fn enum32(b: &mut Builder, name: &str, signed: bool, values: &[(&str, i32)]) -> u32 {
    let id = b.head(name, ENUM, signed, values.len() as u32, 4);
    for (n, v) in values {
        let n = b.s(n);
        b.w(&[n, *v as u32]);
    }
    id
}

fn int(value: i128, signed: bool, size: u32) -> Value {
    Value::Int {
        value,
        signed,
        size,
    }
}

fn reason(e: Error) -> String {
    match e {
        Error::BtfDecode { reason, .. } => reason,
        other => panic!("expected a BtfDecode error, got {other:?}"),
    }
}

#[test]
fn ints_of_each_size_and_sign() {
    let mut b = Builder::new();
    let u8_ = b.int("unsigned char", 1, 0, 8);
    let i8_ = b.int("signed char", 1, 1, 8);
    let u16_ = b.int("unsigned short", 2, 0, 16);
    let i16_ = b.int("short", 2, 1, 16);
    let u32_ = b.int("unsigned int", 4, 0, 32);
    let i32_ = b.int("int", 4, 1, 32);
    let u64_ = b.int("unsigned long long", 8, 0, 64);
    let i64_ = b.int("long long", 8, 1, 64);
    let u128_ = b.int("unsigned __int128", 16, 0, 128);
    let i128_ = b.int("__int128", 16, 1, 128);
    let (le, be) = parse_both(&b);

    let cases: Vec<(u32, i128, bool, u32)> = vec![
        (u8_, 0xfe, false, 1),
        (i8_, -2, true, 1),
        (u16_, 0xfffe, false, 2),
        (i16_, -300, true, 2),
        (u32_, 0xdead_beef, false, 4),
        (i32_, -70_000, true, 4),
        (u64_, 0xfedc_ba98_7654_3210, false, 8),
        (i64_, -5_000_000_000, true, 8),
        (u128_, 1 << 100, false, 16),
        (i128_, -(1 << 100), true, 16),
    ];
    for (id, value, signed, size) in cases {
        let n = size as usize;
        let le_bytes = value.to_le_bytes()[..n].to_vec();
        let be_bytes = value.to_be_bytes()[16 - n..].to_vec();
        let want = int(value, signed, size);
        assert_eq!(le.decode(id, &le_bytes).unwrap(), want, "type {id} LE");
        assert_eq!(be.decode(id, &be_bytes).unwrap(), want, "type {id} BE");
        // An explicit byte order overrides the blob's.
        assert_eq!(le.decode_with_order(id, &be_bytes, true).unwrap(), want);
    }

    // All bits set in an unsigned 128-bit int: the bits are kept, render shows u128::MAX.
    let v = le.decode(u128_, &[0xff; 16]).unwrap();
    assert_eq!(v.render(), u128::MAX.to_string());
    assert_eq!(v.as_u64(), None);
    assert_eq!(
        le.decode(u64_, &[0xff; 8]).unwrap().as_u64(),
        Some(u64::MAX)
    );
    assert_eq!(le.decode(i8_, &[0xff]).unwrap().as_u64(), None);
    assert_eq!(le.decode(i8_, &[0xff]).unwrap().as_i64(), Some(-1));
    assert_eq!(le.decode(i8_, &[0xff]).unwrap().render(), "-1");
}

#[test]
fn bool_and_char() {
    let mut b = Builder::new();
    let bool_ = b.int("_Bool", 1, 4, 8);
    let ch = b.int("char", 1, 2, 8);
    let (le, _) = parse_both(&b);
    assert_eq!(le.decode(bool_, &[0]).unwrap(), Value::Bool(false));
    assert_eq!(le.decode(bool_, &[1]).unwrap(), Value::Bool(true));
    assert_eq!(le.decode(bool_, &[1]).unwrap().render(), "true");
    assert_eq!(le.decode(bool_, &[1]).unwrap().as_u64(), Some(1));
    assert_eq!(le.decode(ch, b"x").unwrap(), Value::Char(b'x'));
    assert_eq!(le.decode(ch, b"x").unwrap().render(), "'x'");
    assert_eq!(le.decode(ch, &[7]).unwrap().render(), "7");
}

#[test]
fn float_and_ptr() {
    let mut b = Builder::new();
    let f32_ = b.head("float", FLOAT, false, 0, 4);
    let f64_ = b.head("double", FLOAT, false, 0, 8);
    let f128 = b.head("long double", FLOAT, false, 0, 16);
    let int_ = b.int("int", 4, 1, 32);
    let ptr = b.reftype(PTR, "", int_);
    let (le, be) = parse_both(&b);
    assert_eq!(
        le.decode(f32_, &1.5f32.to_le_bytes()).unwrap(),
        Value::Float(1.5)
    );
    assert_eq!(
        be.decode(f64_, &(-2.25f64).to_be_bytes()).unwrap(),
        Value::Float(-2.25)
    );
    assert_eq!(
        le.decode(f128, &[3; 16]).unwrap(),
        Value::Bytes(vec![3; 16])
    );
    let p = le
        .decode(ptr, &0xffff_8880_1234_5678u64.to_le_bytes())
        .unwrap();
    assert_eq!(p, Value::Ptr(0xffff_8880_1234_5678));
    assert_eq!(p.render(), "0xffff888012345678");
}

#[test]
fn enums_map_to_names() {
    let mut b = Builder::new();
    let state = enum32(
        &mut b,
        "state",
        false,
        &[("IDLE", 0), ("BUSY", 1), ("BIG", -1)],
    );
    let sign = enum32(&mut b, "sign", true, &[("NEG", -1), ("POS", 1)]);
    let e64 = b.head("e64", ENUM64, false, 1, 8);
    let big = b.s("HUGE");
    b.w(&[big, 0x0000_0001, 0x8000_0000]);
    let (le, be) = parse_both(&b);

    let named = |n: &str, value| Value::Enum {
        name: Some(n.to_string()),
        value,
    };
    assert_eq!(
        le.decode(state, &1u32.to_le_bytes()).unwrap(),
        named("BUSY", 1)
    );
    assert_eq!(
        be.decode(state, &1u32.to_be_bytes()).unwrap(),
        named("BUSY", 1)
    );
    // An unsigned enum holding a value written as -1 (old clang): 0xffffffff matches it.
    assert_eq!(
        le.decode(state, &[0xff; 4]).unwrap(),
        named("BIG", 0xffff_ffff)
    );
    let unknown = le.decode(state, &7u32.to_le_bytes()).unwrap();
    assert_eq!(
        unknown,
        Value::Enum {
            name: None,
            value: 7
        }
    );
    assert_eq!(unknown.render(), "7");
    assert_eq!(le.decode(sign, &[0xff; 4]).unwrap(), named("NEG", -1));
    assert_eq!(le.decode(sign, &[0xff; 4]).unwrap().render(), "NEG");
    let huge = 0x8000_0000_0000_0001u64;
    assert_eq!(
        le.decode(e64, &huge.to_le_bytes()).unwrap(),
        named("HUGE", i128::from(huge))
    );
    assert_eq!(
        le.decode(e64, &huge.to_le_bytes()).unwrap().as_u64(),
        Some(huge)
    );
}

#[test]
fn typedef_chains_are_followed() {
    let mut b = Builder::new();
    let u32_ = b.int("unsigned int", 4, 0, 32);
    let td = b.reftype(TYPEDEF, "__u32", u32_);
    let co = b.reftype(CONST, "", td);
    let vo = b.reftype(VOLATILE, "", co);
    let tt = b.reftype(TYPE_TAG, "user", vo);
    let td2 = b.reftype(TYPEDEF, "my_u32", tt);
    let (le, _) = parse_both(&b);
    assert_eq!(
        le.decode(td2, &42u32.to_le_bytes()).unwrap(),
        int(42, false, 4)
    );
}

/// `struct inner { short x; unsigned char y; }` (4 bytes) and
/// `struct outer { int a; struct inner in; long long z; }` (16 bytes).
fn nested() -> (Builder, u32, u32) {
    let mut b = Builder::new();
    let short = b.int("short", 2, 1, 16);
    let uchar = b.int("unsigned char", 1, 0, 8);
    let int_ = b.int("int", 4, 1, 32);
    let ll = b.int("long long", 8, 1, 64);
    let inner = b.composite(
        STRUCT,
        "inner",
        4,
        false,
        &[("x", short, 0), ("y", uchar, 16)],
    );
    let outer = b.composite(
        STRUCT,
        "outer",
        16,
        false,
        &[("a", int_, 0), ("in", inner, 32), ("z", ll, 64)],
    );
    (b, inner, outer)
}

#[test]
fn nested_struct() {
    let (b, _, outer) = nested();
    let (le, be) = parse_both(&b);
    let mut le_bytes = Vec::new();
    le_bytes.extend((-1i32).to_le_bytes());
    le_bytes.extend(300i16.to_le_bytes());
    le_bytes.extend([9, 0xaa]); // y, padding
    le_bytes.extend(1234i64.to_le_bytes());
    let mut be_bytes = Vec::new();
    be_bytes.extend((-1i32).to_be_bytes());
    be_bytes.extend(300i16.to_be_bytes());
    be_bytes.extend([9, 0xaa]);
    be_bytes.extend(1234i64.to_be_bytes());

    let want = Value::Struct {
        name: Some("outer".into()),
        fields: vec![
            ("a".into(), int(-1, true, 4)),
            (
                "in".into(),
                Value::Struct {
                    name: Some("inner".into()),
                    fields: vec![
                        ("x".into(), int(300, true, 2)),
                        ("y".into(), int(9, false, 1)),
                    ],
                },
            ),
            ("z".into(), int(1234, true, 8)),
        ],
    };
    let v = le.decode(outer, &le_bytes).unwrap();
    assert_eq!(v, want);
    assert_eq!(be.decode(outer, &be_bytes).unwrap(), want);
    assert_eq!(v.render(), "{a: -1, in: {x: 300, y: 9}, z: 1234}");
    assert_eq!(
        v.field("in").unwrap().field("x").unwrap().as_u64(),
        Some(300)
    );
    assert_eq!(v.field("z").unwrap().as_i64(), Some(1234));
    assert!(v.field("nope").is_none());
    assert!(v.field("a").unwrap().field("a").is_none());
}

#[test]
fn bitfields_with_kind_flag() {
    let mut b = Builder::new();
    let u32_ = b.int("unsigned int", 4, 0, 32);
    let i32_ = b.int("int", 4, 1, 32);
    let color = enum32(
        &mut b,
        "color",
        false,
        &[("RED", 0), ("GREEN", 1), ("BLUE", 2)],
    );
    let bool_ = b.int("_Bool", 1, 4, 8);
    // struct { u32 a:3; u32 b:5; int c:4; enum color d:2; bool f:1; u32 e:16; } (4 bytes).
    let st = b.composite(
        STRUCT,
        "bf",
        4,
        true,
        &[
            ("a", u32_, 3 << 24),
            ("b", u32_, (5 << 24) | 3),
            ("c", i32_, (4 << 24) | 8),
            ("d", color, (2 << 24) | 12),
            ("f", bool_, (1 << 24) | 14),
            ("e", u32_, (16 << 24) | 16),
        ],
    );
    let (le, be) = parse_both(&b);
    let (a, bb, c, d, f, e) = (5u32, 17u32, 0b1101u32, 2u32, 1u32, 0xbeefu32);
    // Little-endian counts bits from the least significant end, big-endian from the most.
    let le_word = a | bb << 3 | c << 8 | d << 12 | f << 14 | e << 16;
    let be_word = a << 29 | bb << 24 | c << 20 | d << 18 | f << 17 | e;
    let want = Value::Struct {
        name: Some("bf".into()),
        fields: vec![
            ("a".into(), int(5, false, 4)),
            ("b".into(), int(17, false, 4)),
            ("c".into(), int(-3, true, 4)),
            (
                "d".into(),
                Value::Enum {
                    name: Some("BLUE".into()),
                    value: 2,
                },
            ),
            ("f".into(), Value::Bool(true)),
            ("e".into(), int(0xbeef, false, 4)),
        ],
    };
    assert_eq!(le.decode(st, &le_word.to_le_bytes()).unwrap(), want);
    assert_eq!(be.decode(st, &be_word.to_be_bytes()).unwrap(), want);
    assert_eq!(
        want.render(),
        "{a: 5, b: 17, c: -3, d: BLUE, f: true, e: 48879}"
    );
}

#[test]
fn bitfields_without_kind_flag() {
    let mut b = Builder::new();
    // Pre-kind_flag encoding: the INT carries the width; the member offset is in bits.
    let u3 = int_at(&mut b, "unsigned int", 4, 0, 0, 3);
    let s4 = int_at(&mut b, "int", 4, 1, 0, 4);
    // An INT with its own bit offset: bits 4..8 of the member's position.
    let off4 = int_at(&mut b, "unsigned int", 4, 0, 4, 4);
    let u8_ = b.int("unsigned char", 1, 0, 8);
    let st = b.composite(
        STRUCT,
        "old",
        4,
        false,
        &[
            ("a", u3, 0),
            ("c", s4, 3),
            ("hi", off4, 8),
            ("last", u8_, 24),
        ],
    );
    let (le, be) = parse_both(&b);
    // a = 6 (bits 0..3), c = -8 (bits 3..7), hi = 0xa (bits 12..16), last = 0x77.
    let le_word: u32 = 6 | 0b1000 << 3 | 0xa << 12 | 0x77 << 24;
    let be_word: u32 = 6 << 29 | 0b1000 << 25 | 0xa << 16 | 0x77;
    let want = Value::Struct {
        name: Some("old".into()),
        fields: vec![
            ("a".into(), int(6, false, 4)),
            ("c".into(), int(-8, true, 4)),
            ("hi".into(), int(0xa, false, 4)),
            ("last".into(), int(0x77, false, 1)),
        ],
    };
    assert_eq!(le.decode(st, &le_word.to_le_bytes()).unwrap(), want);
    assert_eq!(be.decode(st, &be_word.to_be_bytes()).unwrap(), want);
    // The same INT decoded on its own honours its offset too.
    assert_eq!(
        le.decode(off4, &0xa0u32.to_le_bytes()).unwrap(),
        int(0xa, false, 4)
    );
}

#[test]
fn misaligned_non_bitfield_member_is_an_error() {
    let mut b = Builder::new();
    let u16_ = b.int("unsigned short", 2, 0, 16);
    let st = b.composite(STRUCT, "bad", 4, false, &[("x", u16_, 3)]);
    let (le, _) = parse_both(&b);
    let r = reason(le.decode(st, &[0; 4]).unwrap_err());
    assert!(r.contains("byte-aligned"), "{r}");
}

#[test]
fn array_of_structs() {
    let (mut b, inner, _) = nested();
    let u32_ = b.int("unsigned int", 4, 0, 32);
    let arr = b.array(inner, u32_, 3);
    let (le, _) = parse_both(&b);
    let mut bytes = Vec::new();
    for i in 0..3i16 {
        bytes.extend((i * 100).to_le_bytes());
        bytes.extend([i as u8 + 1, 0]);
    }
    let v = le.decode(arr, &bytes).unwrap();
    let Value::Array(items) = &v else {
        panic!("{v:?}")
    };
    assert_eq!(items.len(), 3);
    assert_eq!(items[2].field("x").unwrap().as_u64(), Some(200));
    assert_eq!(items[2].field("y").unwrap().as_u64(), Some(3));
    assert_eq!(v.render(), "[{x: 0, y: 1}, {x: 100, y: 2}, {x: 200, y: 3}]");
}

#[test]
fn byte_arrays_are_bytes() {
    let mut b = Builder::new();
    let ch = b.int("char", 1, 1, 8); // clang's `char`: signed, not BTF_INT_CHAR
    let u32_ = b.int("unsigned int", 4, 0, 32);
    let name = b.array(ch, u32_, 8);
    let u8_ = b.int("unsigned char", 1, 0, 8);
    let td = b.reftype(TYPEDEF, "__u8", u8_);
    let addr = b.array(td, u32_, 4);
    let bool_ = b.int("_Bool", 1, 4, 8);
    let flags = b.array(bool_, u32_, 2);
    let (le, _) = parse_both(&b);

    let v = le.decode(name, b"sshd\0\0\0\0").unwrap();
    assert_eq!(v, Value::Bytes(b"sshd\0\0\0\0".to_vec()));
    assert_eq!(v.render(), "\"sshd\"");
    // Not a clean C string: a list of numbers.
    let v = le.decode(name, b"ab\0c\0\0\0\0").unwrap();
    assert_eq!(v.render(), "[97, 98, 0, 99, 0, 0, 0, 0]");
    let v = le.decode(addr, &[10, 0, 0, 1]).unwrap();
    assert_eq!(v, Value::Bytes(vec![10, 0, 0, 1]));
    assert_eq!(v.render(), "[10, 0, 0, 1]");
    assert_eq!(le.decode(addr, &[0; 4]).unwrap().render(), "[0, 0, 0, 0]");
    // Bools stay bools.
    assert_eq!(
        le.decode(flags, &[1, 0]).unwrap(),
        Value::Array(vec![Value::Bool(true), Value::Bool(false)])
    );
}

#[test]
fn union_decodes_every_member_over_the_same_bytes() {
    let mut b = Builder::new();
    let u32_ = b.int("unsigned int", 4, 0, 32);
    let u16_ = b.int("unsigned short", 2, 0, 16);
    let halves = b.array(u16_, u32_, 2);
    let un = b.composite(
        UNION,
        "u",
        4,
        false,
        &[("word", u32_, 0), ("half", halves, 0)],
    );
    let (le, _) = parse_both(&b);
    let v = le.decode(un, &0x0002_0001u32.to_le_bytes()).unwrap();
    assert_eq!(
        v,
        Value::Union {
            name: Some("u".into()),
            fields: vec![
                ("word".into(), int(0x0002_0001, false, 4)),
                (
                    "half".into(),
                    Value::Array(vec![int(1, false, 2), int(2, false, 2)])
                ),
            ],
        }
    );
    assert_eq!(v.render(), "{word: 131073, half: [1, 2]}");
}

#[test]
fn anonymous_members_are_named_empty_and_looked_through() {
    let mut b = Builder::new();
    let u32_ = b.int("unsigned int", 4, 0, 32);
    let anon_u = b.composite(UNION, "", 4, false, &[("reply", u32_, 0), ("raw", u32_, 0)]);
    let st = b.composite(
        STRUCT,
        "ops",
        8,
        false,
        &[("op", u32_, 0), ("", anon_u, 32)],
    );
    let (le, _) = parse_both(&b);
    let mut bytes = 3u32.to_le_bytes().to_vec();
    bytes.extend(9u32.to_le_bytes());
    let v = le.decode(st, &bytes).unwrap();
    let Value::Struct { fields, .. } = &v else {
        panic!("{v:?}")
    };
    assert_eq!(fields[1].0, "");
    assert!(matches!(&fields[1].1, Value::Union { name: None, .. }));
    assert_eq!(v.field("reply").unwrap().as_u64(), Some(9));
    assert_eq!(v.render(), "{op: 3, {reply: 9, raw: 9}}");
}

#[test]
fn datasec_decodes_as_a_struct_of_its_variables() {
    let mut b = Builder::new();
    let u32_ = b.int("unsigned int", 4, 0, 32);
    let u64_ = b.int("unsigned long long", 8, 0, 64);
    let v1 = b.var("counter", u64_, 1);
    let v2 = b.var("limit", u32_, 1);
    let sec = b.datasec(".bss", 16, &[(v1, 0, 8), (v2, 8, 4)]);
    let (le, _) = parse_both(&b);
    let mut bytes = 5u64.to_le_bytes().to_vec();
    bytes.extend(7u32.to_le_bytes());
    bytes.extend([0; 4]);
    let v = le.decode(sec, &bytes).unwrap();
    assert_eq!(v.render(), "{counter: 5, limit: 7}");
    let Value::Struct { name, .. } = &v else {
        panic!("{v:?}")
    };
    assert_eq!(name.as_deref(), Some(".bss"));
    // A VAR on its own decodes as its type.
    assert_eq!(le.decode(v2, &[1, 0, 0, 0]).unwrap(), int(1, false, 4));
}

#[test]
fn length_mismatch_is_an_error() {
    let (b, inner, outer) = nested();
    let (le, _) = parse_both(&b);
    let e = le.decode(outer, &[0; 15]).unwrap_err();
    assert!(matches!(e, Error::BtfDecode { type_id, .. } if type_id == outer));
    let r = reason(e);
    assert!(r.contains("15 bytes") && r.contains("16"), "{r}");
    assert!(r.contains("STRUCT 'outer'"), "{r}");
    assert!(le.decode(outer, &[0; 17]).is_err());
    assert!(le.decode(inner, &[]).is_err());
    // Types without a value layout.
    assert!(le.decode(0, &[]).is_err());
    assert!(le.decode(999, &[0; 4]).is_err());
}

#[test]
fn array_claiming_more_than_the_bytes_is_an_error() {
    let mut b = Builder::new();
    let u32_ = b.int("unsigned int", 4, 0, 32);
    let huge = b.array(u32_, u32_, 0x1000_0000); // 1 GiB claimed
    let overflow = b.array(u32_, u32_, u32::MAX); // size overflows u32
    // A struct that says 8 bytes but holds the huge array at offset 0.
    let st = b.composite(STRUCT, "liar", 8, false, &[("a", huge, 0)]);
    let (le, _) = parse_both(&b);
    assert!(le.decode(huge, &[0; 8]).is_err());
    assert!(le.decode(overflow, &[0; 8]).is_err());
    let r = reason(le.decode(st, &[0; 8]).unwrap_err());
    assert!(r.contains("member 'a'") && r.contains("only 8"), "{r}");
    let st = b_overflow_member();
    let (le, _) = parse_both(&st);
    let r = reason(le.decode(3, &[0; 8]).unwrap_err());
    assert!(r.contains("member 'a'") && r.contains("overflows"), "{r}");
}

/// A struct (id 3) of 8 bytes whose member is an array whose size overflows u32.
fn b_overflow_member() -> Builder {
    let mut b = Builder::new();
    let u32_ = b.int("unsigned int", 4, 0, 32);
    let arr = b.array(u32_, u32_, u32::MAX);
    b.composite(STRUCT, "liar", 8, false, &[("a", arr, 0)]);
    b
}

#[test]
fn member_past_the_struct_end_is_an_error() {
    let mut b = Builder::new();
    let u32_ = b.int("unsigned int", 4, 0, 32);
    let st = b.composite(STRUCT, "s", 4, false, &[("a", u32_, 0), ("b", u32_, 32)]);
    let bf = b.composite(STRUCT, "t", 4, true, &[("a", u32_, (8 << 24) | 30)]);
    let (le, _) = parse_both(&b);
    let r = reason(le.decode(st, &[0; 4]).unwrap_err());
    assert!(r.contains("member 'b'") && r.contains("4..8"), "{r}");
    assert!(le.decode(bf, &[0; 4]).is_err());
}

#[test]
fn recursion_and_blowup_are_bounded() {
    // struct self { struct self s; } — impossible in C, possible in a malformed blob.
    let mut b = Builder::new();
    let st = b.composite(STRUCT, "self", 4, false, &[("s", 1, 0)]);
    let (le, _) = parse_both(&b);
    let r = reason(le.decode(st, &[0; 4]).unwrap_err());
    assert!(r.contains("levels deep"), "{r}");

    // Unions of unions: 4 members per level, 12 levels = 4^12 decodes of 4 bytes.
    let mut b = Builder::new();
    let mut cur = b.int("unsigned int", 4, 0, 32);
    for _ in 0..12 {
        cur = b.composite(
            UNION,
            "",
            4,
            false,
            &[("a", cur, 0), ("b", cur, 0), ("c", cur, 0), ("d", cur, 0)],
        );
    }
    let (le, _) = parse_both(&b);
    let r = reason(le.decode(cur, &[0; 4]).unwrap_err());
    assert!(r.contains("values"), "{r}");

    // Zero-sized elements: a billion of them in zero bytes.
    let mut b = Builder::new();
    let u32_ = b.int("unsigned int", 4, 0, 32);
    let empty = b.composite(STRUCT, "empty", 0, false, &[]);
    let arr = b.array(empty, u32_, 1_000_000_000);
    let (le, _) = parse_both(&b);
    assert!(le.decode(arr, &[]).is_err());
}

fn sockops_btf() -> Btf {
    let path = format!("{}/../bpf-prog/bpf_sockops.o", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(path).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let btf = file.section_by_name(".BTF").unwrap().data().unwrap();
    Btf::parse(btf).unwrap()
}

#[test]
fn real_sock_key_decodes_field_by_field() {
    let btf = sockops_btf();
    let (key, value) = btf.map_key_value_types("sock_ops_map").unwrap();
    assert_eq!(btf.type_name(key).unwrap(), "sock_key");
    assert_eq!(btf.type_name(value).unwrap(), "__u64");
    assert_eq!(btf.size_of(key).unwrap(), 16);

    // 127.0.0.1:40000 -> 127.0.0.2:8080; IPs in network order, ports in host order.
    let mut bytes = vec![127, 0, 0, 1, 127, 0, 0, 2];
    bytes.extend(40000u32.to_le_bytes());
    bytes.extend(8080u32.to_le_bytes());
    let v = btf.decode(key, &bytes).unwrap();
    assert_eq!(v.field("sip4").unwrap().as_u64(), Some(16_777_343));
    assert_eq!(v.field("dip4").unwrap().as_u64(), Some(33_554_559));
    assert_eq!(v.field("sport").unwrap().as_u64(), Some(40000));
    assert_eq!(v.field("dport").unwrap().as_u64(), Some(8080));
    assert_eq!(
        v.render(),
        "{sip4: 16777343, dip4: 33554559, sport: 40000, dport: 8080}"
    );
    let Value::Struct { name, fields } = &v else {
        panic!("{v:?}")
    };
    assert_eq!(name.as_deref(), Some("sock_key"));
    assert_eq!(fields.len(), 4);
    assert!(
        fields
            .iter()
            .all(|(_, f)| *f == int(f.as_u64().unwrap() as i128, false, 4))
    );

    let cookie = btf.decode(value, &7u64.to_le_bytes()).unwrap();
    assert_eq!(cookie, int(7, false, 8));
    assert!(btf.decode(key, &bytes[..12]).is_err());
}

#[test]
fn map_key_value_types_lookup() {
    assert_eq!(sockops_btf().map_key_value_types("no_such_map"), None);

    let mut b = Builder::new();
    let int_ = b.int("int", 4, 1, 32);
    let u64_ = b.int("unsigned long long", 8, 0, 64);
    let pint = b.reftype(PTR, "", int_);
    let pu64 = b.reftype(PTR, "", u64_);
    let arr = b.array(int_, int_, 10);
    let parr = b.reftype(PTR, "", arr);
    let def = b.composite(
        STRUCT,
        "",
        32,
        false,
        &[("type", parr, 0), ("key", pint, 64), ("value", pu64, 128)],
    );
    // `key_size`/`value_size` only: no types to find.
    let sized = b.composite(
        STRUCT,
        "",
        24,
        false,
        &[
            ("type", parr, 0),
            ("key_size", parr, 64),
            ("value_size", parr, 128),
        ],
    );
    let long = b.var("a_very_long_map_name", def, 1);
    let short = b.var("counts", def, 1);
    let other = b.var("sized", sized, 1);
    let twin1 = b.var("twin_name_is_long_1", def, 1);
    let twin2 = b.var("twin_name_is_long_2", def, 1);
    b.datasec(
        ".maps",
        0,
        &[
            (long, 0, 32),
            (short, 0, 32),
            (other, 0, 24),
            (twin1, 0, 32),
            (twin2, 0, 32),
        ],
    );
    let (le, _) = parse_both(&b);
    assert_eq!(le.map_key_value_types("counts"), Some((int_, u64_)));
    assert_eq!(
        le.map_key_value_types("a_very_long_map_name"),
        Some((int_, u64_))
    );
    // The kernel's 15-byte cut of the name.
    assert_eq!(
        le.map_key_value_types("a_very_long_map"),
        Some((int_, u64_))
    );
    // A cut that is not 15 bytes, or matches two maps, finds nothing.
    assert_eq!(le.map_key_value_types("a_very"), None);
    assert_eq!(le.map_key_value_types("twin_name_is_lo"), None);
    assert_eq!(le.map_key_value_types("sized"), None);

    // No `.maps` at all.
    let mut b = Builder::new();
    b.int("int", 4, 1, 32);
    let (le, _) = parse_both(&b);
    assert_eq!(le.map_key_value_types("counts"), None);
}

#[test]
fn kernel_ready_btf_still_finds_the_map_types() {
    // What the loader uploads (and `btf_info` later returns for the program's `btf_id`):
    // the fixed-up blob, serialised and parsed back.
    let path = format!("{}/../bpf-prog/bpf_sockops.o", env!("CARGO_MANIFEST_DIR"));
    let obj = rawbpf_elf::Object::parse(&std::fs::read(path).unwrap()).unwrap();
    let uploaded = Btf::parse(&obj.btf_for_kernel.unwrap().to_bytes()).unwrap();
    let (key, value) = uploaded.map_key_value_types("sock_ops_map").unwrap();
    assert_eq!(uploaded.type_name(key).unwrap(), "sock_key");
    assert_eq!(uploaded.size_of(value).unwrap(), 8);
}
