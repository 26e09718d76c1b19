//! `.BTF.ext` parsing of hand-built blobs: records, record sizes, bounds.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

mod btf_common;

use btf_common::*;
use rawbpf_elf::Error;
use rawbpf_elf::btf::*;

/// A `.BTF` whose strings hold section and file names: returns (btf, offsets).
fn btf() -> (Btf, u32, u32, u32, u32) {
    let mut b = Builder::new();
    let int = b.int("int", 4, 1, 32);
    let proto = b.func_proto(int, &[]);
    b.head("prog", FUNC, false, 1, proto);
    b.head("sub", FUNC, false, 0, proto);
    let sockops = b.s("sockops");
    let text = b.s(".text");
    let file = b.s("/src/prog.c");
    let line = b.s("return 0;");
    (Btf::parse(&b.le()).unwrap(), sockops, text, file, line)
}

fn ext_err(blob: &[u8], btf: &Btf, needle: &str) {
    match BtfExt::parse(blob, btf) {
        Err(Error::BtfExt { reason, .. }) => {
            assert!(reason.contains(needle), "{reason:?} lacks {needle:?}")
        }
        other => panic!("expected Error::BtfExt containing {needle:?}, got {other:?}"),
    }
}

#[test]
fn func_and_line_info_records() {
    let (btf, sockops, text, file, line) = btf();
    let funcs = ExtBlock {
        rec_size: 8,
        ..Default::default()
    }
    .sec(sockops, 1, &[0, 3])
    .sec(text, 1, &[0, 4]);
    let lines = ExtBlock {
        rec_size: 16,
        ..Default::default()
    }
    .sec(
        sockops,
        2,
        &[0, file, line, (12 << 10) | 5, 16, file, line, 13 << 10],
    );
    for big in [false, true] {
        let ext =
            BtfExt::parse(&ext_blob(big, 24, [Some(&funcs), Some(&lines), None]), &btf).unwrap();
        assert_eq!(
            ext.func_info,
            vec![
                SecFuncInfo {
                    section: "sockops".into(),
                    records: vec![FuncInfo {
                        insn_off: 0,
                        type_id: 3
                    }]
                },
                SecFuncInfo {
                    section: ".text".into(),
                    records: vec![FuncInfo {
                        insn_off: 0,
                        type_id: 4
                    }]
                },
            ]
        );
        assert_eq!(
            btf.type_name(ext.func_info_for(".text").unwrap().records[0].type_id)
                .unwrap(),
            "sub"
        );
        let l = &ext.line_info_for("sockops").unwrap().records;
        assert_eq!(l.len(), 2);
        assert_eq!((l[0].insn_off, l[0].line(), l[0].column()), (0, 12, 5));
        assert_eq!((l[1].insn_off, l[1].line(), l[1].column()), (16, 13, 0));
        assert_eq!(btf.string(l[1].file_name_off).unwrap(), "/src/prog.c");
        assert_eq!(btf.string(l[1].line_off).unwrap(), "return 0;");
        assert!(ext.core_relos.is_empty());
        assert!(ext.line_info_for(".text").is_none());
    }
}

#[test]
fn core_relos_with_32_byte_header() {
    let (btf, sockops, ..) = btf();
    let funcs = ExtBlock {
        rec_size: 8,
        ..Default::default()
    }
    .sec(sockops, 1, &[0, 3]);
    let relos = ExtBlock {
        rec_size: 16,
        ..Default::default()
    }
    .sec(
        sockops,
        3,
        &[
            8, 1, 0, 0, //
            24, 1, 0, 12, //
            32, 1, 0, 99,
        ],
    );
    let ext = BtfExt::parse(
        &ext_blob(false, 32, [Some(&funcs), None, Some(&relos)]),
        &btf,
    )
    .unwrap();
    let r = &ext.core_relos_for("sockops").unwrap().records;
    assert_eq!(
        r[0],
        CoreRelo {
            insn_off: 8,
            type_id: 1,
            access_str_off: 0,
            kind: CoreReloKind::FieldByteOffset
        }
    );
    assert_eq!(r[1].kind, CoreReloKind::TypeMatches);
    assert_eq!(r[2].kind, CoreReloKind::Unknown(99));
    assert_eq!(r[2].kind.to_u32(), 99);
    assert!(ext.line_info.is_empty());
    for k in 0..14 {
        assert_eq!(CoreReloKind::from_u32(k).to_u32(), k);
    }
}

#[test]
fn larger_record_size_reads_the_known_prefix() {
    let (btf, sockops, ..) = btf();
    let funcs = ExtBlock {
        rec_size: 12,
        ..Default::default()
    }
    .sec(sockops, 2, &[0, 3, 0xdead, 8, 4, 0xbeef]);
    let ext = BtfExt::parse(&ext_blob(false, 24, [Some(&funcs), None, None]), &btf).unwrap();
    assert_eq!(
        ext.func_info[0].records,
        vec![
            FuncInfo {
                insn_off: 0,
                type_id: 3
            },
            FuncInfo {
                insn_off: 8,
                type_id: 4
            }
        ]
    );
}

#[test]
fn record_size_smaller_than_needed_is_rejected() {
    let (btf, sockops, ..) = btf();
    let funcs = ExtBlock {
        rec_size: 4,
        ..Default::default()
    }
    .sec(sockops, 1, &[0]);
    ext_err(
        &ext_blob(false, 24, [Some(&funcs), None, None]),
        &btf,
        "func_info record size 4",
    );
    let lines = ExtBlock {
        rec_size: 12,
        ..Default::default()
    }
    .sec(sockops, 1, &[0, 0, 0]);
    ext_err(
        &ext_blob(false, 24, [None, Some(&lines), None]),
        &btf,
        "line_info record size 12",
    );
    let relos = ExtBlock {
        rec_size: 0,
        ..Default::default()
    };
    ext_err(
        &ext_blob(false, 32, [None, None, Some(&relos)]),
        &btf,
        "core_relo record size 0",
    );
    let odd = ExtBlock {
        rec_size: 10,
        ..Default::default()
    }
    .sec(sockops, 0, &[]);
    ext_err(
        &ext_blob(false, 24, [Some(&odd), None, None]),
        &btf,
        "multiple of 4",
    );
}

#[test]
fn counts_past_the_end_are_rejected() {
    let (btf, sockops, ..) = btf();
    let funcs = ExtBlock {
        rec_size: 8,
        ..Default::default()
    }
    .sec(sockops, 3, &[0, 3, 8, 3]);
    ext_err(
        &ext_blob(false, 24, [Some(&funcs), None, None]),
        &btf,
        "claims 3 records",
    );
    let huge = ExtBlock {
        rec_size: 8,
        ..Default::default()
    }
    .sec(sockops, u32::MAX, &[0, 3]);
    ext_err(
        &ext_blob(true, 24, [Some(&huge), None, None]),
        &btf,
        "claims 4294967295 records",
    );
    let big_rec = ExtBlock {
        rec_size: 0x8000_0000,
        ..Default::default()
    }
    .sec(sockops, 2, &[0, 3]);
    ext_err(
        &ext_blob(false, 24, [Some(&big_rec), None, None]),
        &btf,
        "claims 2 records",
    );
}

#[test]
fn truncated_section_header_is_rejected() {
    let (btf, sockops, ..) = btf();
    let mut funcs = ExtBlock {
        rec_size: 8,
        ..Default::default()
    }
    .sec(sockops, 1, &[0, 3]);
    funcs.secs.push((sockops, 0, vec![]));
    let mut blob = ext_blob(false, 24, [Some(&funcs), None, None]);
    // Cut the last group's count and shrink func_info_len to match.
    blob.truncate(blob.len() - 4);
    let len = u32::from_le_bytes(blob[12..16].try_into().unwrap()) - 4;
    blob[12..16].copy_from_slice(&len.to_le_bytes());
    ext_err(&blob, &btf, "section header truncated");
}

#[test]
fn section_name_must_be_a_valid_string() {
    let (btf, ..) = btf();
    let funcs = ExtBlock {
        rec_size: 8,
        ..Default::default()
    }
    .sec(9999, 1, &[0, 3]);
    ext_err(
        &ext_blob(false, 24, [Some(&funcs), None, None]),
        &btf,
        "section name",
    );
}

#[test]
fn header_errors() {
    let (btf, sockops, ..) = btf();
    let funcs = ExtBlock {
        rec_size: 8,
        ..Default::default()
    }
    .sec(sockops, 1, &[0, 3]);
    let good = ext_blob(false, 24, [Some(&funcs), None, None]);

    let mut bad = good.clone();
    bad[0] = 0;
    ext_err(&bad, &btf, "bad magic");
    let mut bad = good.clone();
    bad[2] = 2;
    ext_err(&bad, &btf, "version 2");
    let mut bad = good.clone();
    bad[4..8].copy_from_slice(&8u32.to_le_bytes());
    ext_err(&bad, &btf, "shorter than 24");
    let mut bad = good.clone();
    bad[4..8].copy_from_slice(&4096u32.to_le_bytes());
    ext_err(&bad, &btf, "past the end of the blob");
    // func_info block past the end.
    let mut bad = good.clone();
    bad[12..16].copy_from_slice(&4096u32.to_le_bytes());
    ext_err(&bad, &btf, "func_info block");
    let mut bad = good.clone();
    bad[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    ext_err(&bad, &btf, "func_info block");
    for len in 0..24 {
        assert!(BtfExt::parse(&good[..len], &btf).is_err());
    }
}

#[test]
fn empty_blocks_are_empty() {
    let (btf, ..) = btf();
    let ext = BtfExt::parse(&ext_blob(false, 24, [None, None, None]), &btf).unwrap();
    assert_eq!(ext, BtfExt::default());
    // A block with only its record size and no section groups.
    let empty = ExtBlock {
        rec_size: 8,
        ..Default::default()
    };
    let ext = BtfExt::parse(&ext_blob(false, 32, [Some(&empty), None, None]), &btf).unwrap();
    assert!(ext.func_info.is_empty());
}

#[test]
fn corruptions_never_panic() {
    let (btf, sockops, text, file, line) = btf();
    let funcs = ExtBlock {
        rec_size: 8,
        ..Default::default()
    }
    .sec(sockops, 1, &[0, 3])
    .sec(text, 1, &[0, 4]);
    let lines = ExtBlock {
        rec_size: 16,
        ..Default::default()
    }
    .sec(sockops, 1, &[0, file, line, 12 << 10]);
    let relos = ExtBlock {
        rec_size: 16,
        ..Default::default()
    }
    .sec(sockops, 1, &[8, 1, 0, 0]);
    for big in [false, true] {
        let blob = ext_blob(big, 32, [Some(&funcs), Some(&lines), Some(&relos)]);
        BtfExt::parse(&blob, &btf).unwrap();
        for len in 0..blob.len() {
            let _ = BtfExt::parse(&blob[..len], &btf);
        }
        for i in 0..blob.len() {
            for x in [0x01, 0x80, 0xff, 0x10] {
                let mut m = blob.clone();
                m[i] ^= x;
                let _ = BtfExt::parse(&m, &btf);
            }
        }
    }
}
