//! `Object::parse` on the committed clang-built objects in `bpf-prog/`, checked against the
//! `llvm-objdump -dr` fixture of `bpf_sockops.o`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use rawbpf_elf::{
    AttachType, DataKind, Endian, Insn, MapSource, MapType, Object, Pinning, ProgType, Relocation,
};

fn read(rel: &str) -> Vec<u8> {
    let path = format!("{}/../{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(rel: &str) -> Object {
    Object::parse(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// One line of the objdump fixture: an instruction (index, raw bytes) or a relocation.
#[derive(Debug)]
enum Line {
    Insn {
        section: String,
        index: usize,
        bytes: Vec<u8>,
    },
    Reloc {
        section: String,
        offset: u64,
        r_type: String,
        symbol: String,
    },
}

/// Parses `llvm-objdump -dr` output (with raw bytes).
fn objdump(text: &str) -> Vec<Line> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Disassembly of section ") {
            section = rest.trim_end_matches(':').to_owned();
            continue;
        }
        let trimmed = line.trim_start();
        let Some((addr, rest)) = trimmed.split_once(':') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if let Some(r_type) = fields.first().filter(|f| f.starts_with("R_BPF_")) {
            out.push(Line::Reloc {
                section: section.clone(),
                offset: u64::from_str_radix(addr, 16).unwrap(),
                r_type: (*r_type).to_owned(),
                symbol: fields[1].to_owned(),
            });
        } else if let Ok(index) = addr.parse::<usize>() {
            let bytes: Vec<u8> = rest
                .split('\t')
                .nth(1)
                .unwrap()
                .split_whitespace()
                .map_while(|b| {
                    (b.len() == 2)
                        .then(|| u8::from_str_radix(b, 16).ok())
                        .flatten()
                })
                .collect();
            out.push(Line::Insn {
                section: section.clone(),
                index,
                bytes,
            });
        }
    }
    out
}

fn fixture_insns(lines: &[Line], want: &str) -> Vec<Insn> {
    let mut insns = Vec::new();
    for line in lines {
        if let Line::Insn {
            section,
            index,
            bytes,
        } = line
            && section == want
        {
            assert_eq!(*index, insns.len(), "fixture instruction index");
            for chunk in bytes.chunks_exact(8) {
                insns.push(Insn::from_bytes(chunk.try_into().unwrap(), false));
            }
        }
    }
    insns
}

#[test]
fn sockops_object_parses_to_exactly_what_the_source_declares() {
    let obj = parse("bpf-prog/bpf_sockops.o");
    assert_eq!(obj.endian, Endian::Little);
    assert_eq!(obj.license, "GPL");
    assert_eq!(obj.kernel_version, None);

    // One program, in section sockops, with its subprogram.
    assert_eq!(obj.programs.len(), 1);
    let prog = &obj.programs[0];
    assert_eq!(prog.name, "bpf_add_to_sockhash");
    assert_eq!(prog.section, "sockops");
    assert_eq!(prog.kind.prog_type, ProgType::SOCK_OPS);
    assert_eq!(
        prog.kind.expected_attach_type,
        Some(AttachType::CGROUP_SOCK_OPS)
    );
    assert_eq!(prog.kind.attach_target, None);
    assert_eq!(prog.subprograms, vec!["extract_key".to_owned()]);
    assert_eq!(obj.sections.len(), 1);
    assert_eq!(obj.sections[0].section, "sockops");
    assert_eq!(obj.sections[0].kind.as_ref(), Some(&prog.kind));

    // The map.
    assert_eq!(obj.maps.len(), 1);
    let map = obj.map("sock_ops_map").unwrap();
    assert_eq!(map.map_type, MapType::SOCKHASH);
    assert_eq!((map.key_size, map.value_size), (16, 8));
    assert_eq!(map.max_entries, 65535);
    assert_eq!(map.map_flags, 0);
    assert_eq!(map.pinning, Pinning::ByName);
    assert_eq!(map.numa_node, None);
    assert_eq!(map.source, MapSource::BtfMaps);
    assert!(map.inner.is_none() && map.initial_values.is_empty());
    let btf = obj.btf.as_ref().unwrap();
    let key = map.btf_key_type_id.unwrap();
    let value = map.btf_value_type_id.unwrap();
    assert_eq!(btf.type_name(key).unwrap(), "sock_key");
    assert_eq!(btf.size_of(key).unwrap(), 16);
    assert_eq!(btf.size_of(value).unwrap(), 8);

    // The printk format in .rodata.
    assert_eq!(obj.data.len(), 1);
    let rodata = &obj.data[0];
    assert_eq!(rodata.name, ".rodata");
    assert_eq!(rodata.kind, DataKind::Rodata);
    assert_eq!(rodata.bytes, b"sockops: op %d %x:%d\0");
    assert!(rodata.btf_datasec_id.is_some());

    assert!(obj.btf_for_kernel.is_some());
    assert!(obj.btf_ext.is_some());
}

#[test]
fn sockops_instructions_and_relocations_match_llvm_objdump() {
    let obj = parse("bpf-prog/bpf_sockops.o");
    let prog = obj.program("bpf_add_to_sockhash").unwrap();
    let lines = objdump(
        &String::from_utf8(read("elf/tests/fixtures/bpf_sockops.objdump-raw.txt")).unwrap(),
    );
    let main = fixture_insns(&lines, "sockops");
    let text = fixture_insns(&lines, ".text");
    assert_eq!(main.len(), 32);
    assert_eq!(text.len(), 44);
    assert_eq!(
        prog.insns.len(),
        main.len() + text.len(),
        "program + extract_key"
    );
    assert_eq!(
        &prog.insns[main.len()..],
        &text[..],
        "subprogram appended verbatim"
    );

    // Relocations of the plain fixture (no raw bytes), before linking: the program's own
    // instructions start at 0, so section offset / 8 is the linked index.
    let plain =
        objdump(&String::from_utf8(read("elf/tests/fixtures/bpf_sockops.objdump.txt")).unwrap());
    let fixture: Vec<_> = plain
        .iter()
        .filter_map(|l| match l {
            Line::Reloc {
                section,
                offset,
                r_type,
                symbol,
            } if section == "sockops" => Some((*offset, r_type.as_str(), symbol.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(fixture.len(), 3, "{fixture:?}");

    let mut expected_relocs = Vec::new();
    for (offset, r_type, symbol) in fixture {
        let index = usize::try_from(offset / 8).unwrap();
        match (r_type, symbol) {
            ("R_BPF_64_32", ".text") => {
                // The call now reaches extract_key where it was appended.
                let call = prog.insns[index];
                assert!(call.is_pseudo_call());
                assert_eq!(index as i64 + i64::from(call.imm) + 1, main.len() as i64);
            }
            ("R_BPF_64_64", ".rodata") => {
                assert!(prog.insns[index].is_ld_imm64());
                expected_relocs.push(Relocation::MapValue {
                    insn: index,
                    section: ".rodata".into(),
                    offset: 0,
                });
            }
            ("R_BPF_64_64", map) => {
                assert!(prog.insns[index].is_ld_imm64());
                expected_relocs.push(Relocation::MapFd {
                    insn: index,
                    map: map.into(),
                });
            }
            other => panic!("unexpected fixture relocation {other:?}"),
        }
    }
    assert_eq!(prog.relocations, expected_relocs);

    // Every other instruction is the file's, unchanged.
    for (i, (got, want)) in prog.insns.iter().zip(&main).enumerate() {
        if i != 16 {
            assert_eq!(got, want, "instruction {i}");
        }
    }
}

#[test]
fn sockops_btf_ext_records_are_rebased_to_the_linked_program() {
    let obj = parse("bpf-prog/bpf_sockops.o");
    let prog = obj.program("bpf_add_to_sockhash").unwrap();
    let btf = obj.btf.as_ref().unwrap();
    let names: Vec<(u32, String)> = prog
        .func_info
        .iter()
        .map(|f| (f.insn_off, btf.type_name(f.type_id).unwrap().to_owned()))
        .collect();
    assert_eq!(
        names,
        vec![
            (0, "bpf_add_to_sockhash".to_owned()),
            (32, "extract_key".to_owned())
        ]
    );
    assert!(!prog.line_info.is_empty());
    assert_eq!(prog.line_info[0].insn_off, 0);
    assert!(
        prog.line_info.iter().any(|l| l.insn_off == 32),
        "subprogram line info rebased"
    );
    assert!(
        prog.line_info
            .windows(2)
            .all(|w| w[0].insn_off < w[1].insn_off)
    );
    assert!(
        prog.line_info
            .iter()
            .all(|l| (l.insn_off as usize) < prog.insns.len())
    );
}

#[test]
fn nopin_variant_is_not_pinned() {
    let obj = parse("bpf-prog/bpf_sockops_nopin.o");
    let map = obj.map("sock_ops_map").unwrap();
    assert_eq!(map.pinning, Pinning::None);
    assert_eq!(map.map_type, MapType::SOCKHASH);
    assert_eq!(obj.programs.len(), 1);
}

#[test]
fn skmsg_object_is_an_sk_msg_verdict_program() {
    let obj = parse("bpf-prog/bpf_skmsg.o");
    assert_eq!(obj.programs.len(), 1);
    let prog = obj.program("bpf_redir").unwrap();
    assert_eq!(prog.section, "sk_msg");
    assert_eq!(prog.kind.prog_type, ProgType::SK_MSG);
    assert_eq!(
        prog.kind.expected_attach_type,
        Some(AttachType::SK_MSG_VERDICT)
    );
    assert!(prog.subprograms.is_empty());
    assert!(
        prog.relocations
            .iter()
            .any(|r| matches!(r, Relocation::MapFd { map, .. } if map == "sock_ops_map"))
    );
    assert_eq!(obj.map("sock_ops_map").unwrap().pinning, Pinning::ByName);
}

#[test]
fn invalid_object_still_parses() {
    // The verifier rejects it; the parser has nothing to object to.
    let obj = parse("bpf-prog/bpf_sockops_invalid.o");
    assert!(obj.program("bpf_add_to_sockhash").is_some());
}
