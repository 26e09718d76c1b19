//! `.BTF` parsing of hand-built blobs: one test per kind, byte order, lookups, round trip.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

mod btf_common;

use btf_common::*;
use rawbpf_elf::Error;
use rawbpf_elf::btf::*;

fn parse(b: &Builder) -> Btf {
    let btf = Btf::parse(&b.le()).unwrap();
    // Every blob in this file also parses the same from big-endian bytes.
    let be = Btf::parse(&b.blob(true)).unwrap();
    assert!(be.is_big_endian());
    assert_eq!(be.types(), btf.types());
    btf
}

#[test]
fn int() {
    let mut b = Builder::new();
    b.int("int", 4, 1, 32);
    b.int("_Bool", 1, 4, 1);
    let btf = parse(&b);
    assert_eq!(btf.len(), 3);
    assert_eq!(btf.type_by_id(0).unwrap(), &BtfType::Void);
    let BtfType::Int(i) = btf.type_by_id(1).unwrap() else {
        panic!()
    };
    assert_eq!((i.size, i.encoding, i.offset, i.bits), (4, 1, 0, 32));
    assert_eq!(btf.type_name(1).unwrap(), "int");
    let BtfType::Int(i) = btf.type_by_id(2).unwrap() else {
        panic!()
    };
    assert_eq!((i.size, i.encoding, i.bits), (1, 4, 1));
    assert_eq!(btf.size_of(1).unwrap(), 4);
}

#[test]
fn ptr() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    b.reftype(PTR, "", int);
    b.reftype(PTR, "", 0); // void *
    let btf = parse(&b);
    assert_eq!(
        btf.type_by_id(2).unwrap(),
        &BtfType::Ptr(RefType {
            name_off: 0,
            type_id: 1
        })
    );
    assert_eq!(
        btf.type_by_id(3).unwrap(),
        &BtfType::Ptr(RefType {
            name_off: 0,
            type_id: 0
        })
    );
    assert_eq!(btf.size_of(2).unwrap(), 8);
    assert_eq!(btf.type_name(2).unwrap(), "");
}

#[test]
fn array() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let a = b.array(int, int, 10);
    b.array(a, int, 3);
    let btf = parse(&b);
    assert_eq!(
        btf.type_by_id(2).unwrap(),
        &BtfType::Array(Array {
            elem_type: 1,
            index_type: 1,
            nelems: 10
        })
    );
    assert_eq!(btf.size_of(2).unwrap(), 40);
    assert_eq!(btf.size_of(3).unwrap(), 120);
}

#[test]
fn struct_with_bitfields() {
    let mut b = Builder::new();
    let int = b.int("unsigned int", 4, 0, 32);
    b.composite(
        STRUCT,
        "flags",
        8,
        true,
        &[
            ("a", int, 3 << 24),
            ("b", int, (5 << 24) | 3),
            ("c", int, 32),
        ],
    );
    b.composite(STRUCT, "plain", 8, false, &[("x", int, 0), ("y", int, 32)]);
    let btf = parse(&b);
    let BtfType::Struct(s) = btf.type_by_id(2).unwrap() else {
        panic!()
    };
    assert!(s.kind_flag);
    assert_eq!(s.size, 8);
    assert_eq!(s.members.len(), 3);
    assert_eq!(btf.string(s.members[1].name_off).unwrap(), "b");
    assert_eq!(s.members[1].bit_offset(s.kind_flag), 3);
    assert_eq!(s.members[1].bitfield_size(s.kind_flag), 5);
    assert_eq!(s.members[2].bit_offset(true), 32);
    assert_eq!(s.members[2].bitfield_size(true), 0);
    let BtfType::Struct(p) = btf.type_by_id(3).unwrap() else {
        panic!()
    };
    assert!(!p.kind_flag);
    assert_eq!(p.members[1].bit_offset(false), 32);
    assert_eq!(p.members[1].bitfield_size(false), 0);
    assert_eq!(btf.size_of(2).unwrap(), 8);
    assert_eq!(btf.find_by_name("plain").unwrap().0, 3);
}

#[test]
fn union() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let ll = b.int("long long", 8, 1, 64);
    b.composite(UNION, "u", 8, false, &[("i", int, 0), ("l", ll, 0)]);
    let btf = parse(&b);
    let BtfType::Union(u) = btf.type_by_id(3).unwrap() else {
        panic!()
    };
    assert_eq!(u.members.len(), 2);
    assert_eq!(u.members[1].type_id, 2);
    assert_eq!(btf.size_of(3).unwrap(), 8);
}

#[test]
fn enumeration() {
    let mut b = Builder::new();
    b.head("color", ENUM, true, 3, 4);
    let (r, g, bl) = (b.s("RED"), b.s("GREEN"), b.s("BLUE"));
    b.w(&[r, 0, g, 1, bl, (-5i32) as u32]);
    b.head("empty", ENUM, false, 0, 4);
    let btf = parse(&b);
    let BtfType::Enum(e) = btf.type_by_id(1).unwrap() else {
        panic!()
    };
    assert!(e.signed);
    assert_eq!(e.size, 4);
    assert_eq!(e.values.len(), 3);
    assert_eq!(e.values[2].val, -5);
    assert_eq!(btf.string(e.values[1].name_off).unwrap(), "GREEN");
    let BtfType::Enum(e) = btf.type_by_id(2).unwrap() else {
        panic!()
    };
    assert!(!e.signed && e.values.is_empty());
    assert_eq!(btf.size_of(1).unwrap(), 4);
}

#[test]
fn fwd() {
    let mut b = Builder::new();
    b.head("bpf_sock", FWD, false, 0, 0);
    b.head("some_union", FWD, true, 0, 0);
    let btf = parse(&b);
    assert_eq!(
        btf.type_by_id(1).unwrap(),
        &BtfType::Fwd(Fwd {
            name_off: 1,
            is_union: false
        })
    );
    let BtfType::Fwd(f) = btf.type_by_id(2).unwrap() else {
        panic!()
    };
    assert!(f.is_union);
    let e = btf.size_of(1).unwrap_err();
    assert!(matches!(e, Error::BtfType { type_id: 1, .. }), "{e}");
    assert!(e.to_string().contains("no size"), "{e}");
}

#[test]
fn typedef() {
    let mut b = Builder::new();
    let int = b.int("unsigned int", 4, 0, 32);
    let td = b.reftype(TYPEDEF, "__u32", int);
    b.reftype(TYPEDEF, "u32_alias", td);
    let btf = parse(&b);
    assert_eq!(
        btf.type_by_id(2).unwrap(),
        &BtfType::Typedef(RefType {
            name_off: 14,
            type_id: 1
        })
    );
    assert_eq!(btf.type_name(2).unwrap(), "__u32");
    let (id, t) = btf.resolve(3).unwrap();
    assert_eq!(id, 1);
    assert!(matches!(t, BtfType::Int(_)));
    assert_eq!(btf.size_of(3).unwrap(), 4);
}

#[test]
fn volatile() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    b.reftype(VOLATILE, "", int);
    let btf = parse(&b);
    assert_eq!(
        btf.type_by_id(2).unwrap(),
        &BtfType::Volatile(RefType {
            name_off: 0,
            type_id: 1
        })
    );
    assert_eq!(btf.resolve(2).unwrap().0, 1);
    assert_eq!(btf.size_of(2).unwrap(), 4);
}

#[test]
fn konst() {
    let mut b = Builder::new();
    let ch = b.int("char", 1, 1, 8);
    let c = b.reftype(CONST, "", ch);
    b.array(c, ch, 21);
    let btf = parse(&b);
    assert_eq!(
        btf.type_by_id(2).unwrap(),
        &BtfType::Const(RefType {
            name_off: 0,
            type_id: 1
        })
    );
    assert_eq!(btf.resolve(2).unwrap().0, 1);
    assert_eq!(btf.size_of(3).unwrap(), 21);
}

#[test]
fn restrict() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let p = b.reftype(PTR, "", int);
    b.reftype(RESTRICT, "", p);
    let btf = parse(&b);
    assert_eq!(
        btf.type_by_id(3).unwrap(),
        &BtfType::Restrict(RefType {
            name_off: 0,
            type_id: 2
        })
    );
    let (id, t) = btf.resolve(3).unwrap();
    assert_eq!(id, 2);
    assert!(matches!(t, BtfType::Ptr(_)));
    assert_eq!(btf.size_of(3).unwrap(), 8);
}

#[test]
fn func_and_func_proto() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let p = b.reftype(PTR, "", 0);
    let proto = b.func_proto(int, &[("ctx", p), ("n", int)]);
    b.head("prog", FUNC, false, 1, proto);
    b.head("helper", FUNC, false, 0, proto);
    b.head("ext", FUNC, false, 2, proto);
    b.func_proto(0, &[]);
    let btf = parse(&b);
    let BtfType::FuncProto(fp) = btf.type_by_id(3).unwrap() else {
        panic!()
    };
    assert_eq!(fp.return_type, 1);
    assert_eq!(fp.params.len(), 2);
    assert_eq!(btf.string(fp.params[0].name_off).unwrap(), "ctx");
    assert_eq!(fp.params[1].type_id, 1);
    let linkages: Vec<_> = (4..=6)
        .map(|id| match btf.type_by_id(id).unwrap() {
            BtfType::Func(f) => {
                assert_eq!(f.proto, 3);
                f.linkage
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        linkages,
        [
            FuncLinkage::Global,
            FuncLinkage::Static,
            FuncLinkage::Extern
        ]
    );
    assert_eq!(btf.find_by_name("prog").unwrap().0, 4);
    let BtfType::FuncProto(empty) = btf.type_by_id(7).unwrap() else {
        panic!()
    };
    assert!(empty.params.is_empty());
    assert!(btf.size_of(4).is_err());
    assert!(btf.size_of(3).is_err());
}

#[test]
fn var() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    b.var("counter", int, 1);
    b.var("local", int, 0);
    b.var("ext", int, 2);
    let btf = parse(&b);
    assert_eq!(
        btf.type_by_id(2).unwrap(),
        &BtfType::Var(Var {
            name_off: 5,
            type_id: 1,
            linkage: VarLinkage::GlobalAllocated
        })
    );
    let BtfType::Var(v) = btf.type_by_id(3).unwrap() else {
        panic!()
    };
    assert_eq!(v.linkage, VarLinkage::Static);
    let BtfType::Var(v) = btf.type_by_id(4).unwrap() else {
        panic!()
    };
    assert_eq!(v.linkage, VarLinkage::GlobalExtern);
    assert_eq!(btf.size_of(2).unwrap(), 4);
}

#[test]
fn datasec() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let a = b.var("a", int, 1);
    let c = b.var("c", int, 1);
    b.datasec(".data", 8, &[(a, 0, 4), (c, 4, 4)]);
    let btf = parse(&b);
    let (id, d) = btf.datasec(".data").unwrap();
    assert_eq!(id, 4);
    assert_eq!(d.size, 8);
    assert_eq!(
        d.vars,
        vec![
            VarSecinfo {
                type_id: 2,
                offset: 0,
                size: 4
            },
            VarSecinfo {
                type_id: 3,
                offset: 4,
                size: 4
            }
        ]
    );
    // How the .maps parser gets a variable's name from a secinfo.
    let BtfType::Var(v) = btf.type_by_id(d.vars[1].type_id).unwrap() else {
        panic!()
    };
    assert_eq!(btf.string(v.name_off).unwrap(), "c");
    let (var, name) = btf.secinfo_var(&d.vars[0]).unwrap();
    assert_eq!((name, var.type_id), ("a", 1));
    assert!(
        btf.secinfo_var(&VarSecinfo {
            type_id: 1,
            offset: 0,
            size: 4
        })
        .is_err()
    );
    assert_eq!(btf.size_of(4).unwrap(), 8);
    assert!(btf.datasec(".bss").is_none());
}

#[test]
fn float() {
    let mut b = Builder::new();
    b.head("double", FLOAT, false, 0, 8);
    let btf = parse(&b);
    assert_eq!(
        btf.type_by_id(1).unwrap(),
        &BtfType::Float(Float {
            name_off: 1,
            size: 8
        })
    );
    assert_eq!(btf.size_of(1).unwrap(), 8);
}

#[test]
fn decl_tag() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let s = b.composite(STRUCT, "s", 4, false, &[("x", int, 0)]);
    b.head("user", DECL_TAG, false, 0, s);
    b.w(&[(-1i32) as u32]);
    b.head("member_tag", DECL_TAG, false, 0, s);
    b.w(&[0]);
    let btf = parse(&b);
    assert_eq!(
        btf.type_by_id(3).unwrap(),
        &BtfType::DeclTag(DeclTag {
            name_off: 9,
            type_id: 2,
            component_idx: -1
        })
    );
    let BtfType::DeclTag(t) = btf.type_by_id(4).unwrap() else {
        panic!()
    };
    assert_eq!(t.component_idx, 0);
    assert!(btf.size_of(3).is_err());
}

#[test]
fn type_tag() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let tag = b.reftype(TYPE_TAG, "user", int);
    b.reftype(PTR, "", tag);
    let btf = parse(&b);
    assert_eq!(
        btf.type_by_id(2).unwrap(),
        &BtfType::TypeTag(RefType {
            name_off: 5,
            type_id: 1
        })
    );
    assert_eq!(btf.resolve(2).unwrap().0, 1);
    assert_eq!(btf.size_of(2).unwrap(), 4);
}

#[test]
fn enum64() {
    let mut b = Builder::new();
    b.head("big", ENUM64, true, 2, 8);
    let (x, y) = (b.s("X"), b.s("Y"));
    b.w(&[x, 0xffff_ffff, 0xffff_ffff, y, 0x9abc_def0, 0x1234_5678]);
    let btf = parse(&b);
    let BtfType::Enum64(e) = btf.type_by_id(1).unwrap() else {
        panic!()
    };
    assert!(e.signed);
    assert_eq!(e.size, 8);
    assert_eq!(e.values[0].val, u64::MAX);
    assert_eq!(e.values[1].val, 0x1234_5678_9abc_def0);
    assert_eq!(btf.string(e.values[1].name_off).unwrap(), "Y");
    assert_eq!(btf.size_of(1).unwrap(), 8);
}

#[test]
fn all_kinds_in_one_blob_with_kind_numbers_and_names() {
    let b = all_kinds();
    let btf = parse(&b);
    assert_eq!(btf.len(), 20);
    for (id, t) in btf.types().iter().enumerate() {
        assert_eq!(t.kind() as usize, id, "type {id} is {t:?}");
    }
    assert_eq!(btf.type_by_id(4).unwrap().kind_name(), "STRUCT");
    assert_eq!(btf.type_by_id(19).unwrap().kind_name(), "ENUM64");
    assert!(matches!(
        btf.type_by_id(20),
        Err(Error::BtfType { type_id: 20, .. })
    ));
    assert!(btf.type_by_id(u32::MAX).is_err());
}

#[test]
fn big_endian_blob_is_detected_and_serialises_little_endian() {
    let b = all_kinds();
    let le = Btf::parse(&b.le()).unwrap();
    let be = Btf::parse(&b.blob(true)).unwrap();
    assert!(!le.is_big_endian() && be.is_big_endian());
    assert_eq!(le.types(), be.types());
    assert_eq!(be.header().magic, 0xeb9f);
    // The kernel reads host order: to_bytes is little-endian whatever the input was.
    assert_eq!(be.to_bytes(), b.le());
}

#[test]
fn round_trip_is_identity() {
    let b = all_kinds();
    let blob = b.le();
    let btf = Btf::parse(&blob).unwrap();
    let bytes = btf.to_bytes();
    assert_eq!(bytes, blob);
    assert_eq!(Btf::parse(&bytes).unwrap(), btf);
}

#[test]
fn round_trip_normalises_a_padded_header_and_gaps() {
    // A longer header (zeroes past 24 bytes) and the string section before the types.
    let b = all_kinds();
    let mut h = b.hdr();
    let types: Vec<u8> = b.words.iter().flat_map(|w| w.to_le_bytes()).collect();
    h.hdr_len = 32;
    h.str_off = 0;
    h.type_off = (b.strings.len() as u32).next_multiple_of(4);
    let mut blob = b.blob_with(false, h);
    blob.truncate(24);
    blob.extend([0; 8]);
    blob.extend(&b.strings);
    blob.resize(32 + h.type_off as usize, 0);
    blob.extend(&types);
    let btf = Btf::parse(&blob).unwrap();
    assert_eq!(btf.header().hdr_len, 32);
    let again = Btf::parse(&btf.to_bytes()).unwrap();
    assert_eq!(again.types(), btf.types());
    assert_eq!(again.to_bytes(), btf.to_bytes());
    assert_eq!(again.header().hdr_len, 24);
}

#[test]
fn empty_btf_has_only_void() {
    let b = Builder::new();
    let btf = parse(&b);
    assert!(btf.is_empty());
    assert_eq!(btf.len(), 1);
    assert_eq!(btf.string(0).unwrap(), "");
    assert!(btf.find_by_name("x").is_none());
    assert!(btf.size_of(0).is_err());
}

#[test]
fn resolve_walks_modifier_chains_and_stops_at_others() {
    let b = all_kinds();
    let btf = parse(&b);
    // const -> volatile -> typedef -> struct s
    let (id, t) = btf.resolve(10).unwrap();
    assert_eq!(id, 4);
    assert!(matches!(t, BtfType::Struct(_)));
    // A pointer is not skipped.
    assert_eq!(btf.resolve(2).unwrap().0, 2);
    assert_eq!(btf.resolve(0).unwrap(), (0, &BtfType::Void));
    // var -> const -> ... -> struct of size 8
    assert_eq!(btf.size_of(14).unwrap(), 8);
    assert!(btf.resolve(99).is_err());
}

#[test]
fn find_by_name_returns_first_match_of_any_kind() {
    let mut b = Builder::new();
    let int = b.int("dup", 4, 1, 32);
    b.reftype(TYPEDEF, "dup", int);
    let btf = parse(&b);
    assert_eq!(btf.find_by_name("dup").unwrap().0, 1);
    assert!(btf.find_by_name("").is_none() || btf.find_by_name("").unwrap().0 != 0);
}

#[test]
fn size_of_overflow_is_an_error() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let a = b.array(int, int, 0x4000_0000);
    b.array(a, int, 0x10);
    let btf = parse(&b);
    assert!(btf.size_of(2).is_err());
    assert!(btf.size_of(3).is_err());
}

#[test]
fn invalid_utf8_string_is_an_error_when_read() {
    let mut b = Builder::new();
    b.strings.extend([b'o', 0xff, b'k', 0]);
    b.raw_head(1, INT, false, 0, 4);
    b.w(&[32]);
    let btf = Btf::parse(&b.le()).unwrap();
    let e = btf.type_name(1).unwrap_err();
    assert!(matches!(e, Error::Btf { .. }), "{e}");
    assert!(e.to_string().contains("UTF-8"), "{e}");
    assert!(btf.find_by_name("ok").is_none());
}
