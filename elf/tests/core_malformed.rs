//! CO-RE relocations with hostile numbers in hand-built BTF: huge array indexes, huge type
//! sizes, non-bitfield members asked for shifts. Each must be an error, a poison or a
//! value — never an arithmetic-overflow panic.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

mod btf_common;

use btf_common::*;
use rawbpf_elf::Insn;
use rawbpf_elf::btf::core::{CoreTarget, apply};
use rawbpf_elf::btf::{Btf, CoreRelo, CoreReloKind};

/// `r0 = 1; exit`: the first instruction is an ALU immediate a relocation can patch.
fn insns() -> Vec<Insn> {
    vec![
        Insn {
            code: 0xb7,
            imm: 1,
            ..Insn::default()
        },
        Insn {
            code: Insn::EXIT,
            ..Insn::default()
        },
    ]
}

/// Applies `kind` with access string `access` to `type_id` of `btf`, against `btf` itself.
fn run(b: &mut Builder, type_id: u32, access: &str, kind: CoreReloKind) {
    let access_str_off = b.s(access);
    let btf = Btf::parse(&b.le()).unwrap();
    let relo = CoreRelo {
        insn_off: 0,
        type_id,
        access_str_off,
        kind,
    };
    let mut insns = insns();
    // Ok or Err are both fine; the test is that this returns.
    let _ = apply(&btf, &CoreTarget::new(&btf), &relo, &mut insns);
}

const FIELD_KINDS: [CoreReloKind; 6] = [
    CoreReloKind::FieldByteOffset,
    CoreReloKind::FieldByteSize,
    CoreReloKind::FieldExists,
    CoreReloKind::FieldSigned,
    CoreReloKind::FieldLshiftU64,
    CoreReloKind::FieldRshiftU64,
];

#[test]
fn huge_first_index_into_a_huge_struct() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let big = b.composite(STRUCT, "big", u32::MAX, false, &[("x", int, 0)]);
    for kind in FIELD_KINDS {
        run(&mut b.clone(), big, "4294967295:0", kind);
    }
}

#[test]
fn huge_array_index_of_huge_elements() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let elem = b.composite(STRUCT, "elem", u32::MAX, false, &[("x", int, 0)]);
    let arr = b.array(elem, int, u32::MAX);
    let outer = b.composite(STRUCT, "outer", u32::MAX, false, &[("a", arr, 0)]);
    for kind in FIELD_KINDS {
        run(&mut b.clone(), outer, "0:0:4294967294:0", kind);
    }
}

#[test]
fn member_at_the_largest_bit_offset() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let s = b.composite(STRUCT, "far", u32::MAX, false, &[("x", int, u32::MAX)]);
    for kind in FIELD_KINDS {
        run(&mut b.clone(), s, "4294967295:0", kind);
    }
    // A bitfield (kind_flag: size in the top 8 bits) at the largest offset.
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let s = b.composite(
        STRUCT,
        "farbits",
        u32::MAX,
        true,
        &[("x", int, 0xff00_0000 | 0x00ff_ffff)],
    );
    for kind in FIELD_KINDS {
        run(&mut b.clone(), s, "4294967295:0", kind);
    }
}

#[test]
fn shift_of_a_member_wider_than_64_bits() {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let inner = b.composite(STRUCT, "inner", 16, false, &[("a", int, 0), ("b", int, 32)]);
    let s = b.composite(STRUCT, "wide", 16, false, &[("m", inner, 0)]);
    for kind in FIELD_KINDS {
        run(&mut b.clone(), s, "0:0", kind);
    }
}
