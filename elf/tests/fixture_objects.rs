//! `Object::parse` on the small parser fixtures in `elf/tests/fixtures/` (built by its
//! `build.sh`): several programs per section, subprogram linking (relocated calls, an
//! unrelocated same-section call, a `bpf_loop` callback), global data, legacy maps,
//! map-in-map and prog array initialisers, and a big-endian build.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use rawbpf_elf::{
    AttachType, DataKind, Endian, Insn, MapInitialValue, MapSource, MapType, Object, Pinning,
    ProgType, Program, Relocation,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str) -> Object {
    Object::parse(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Where the call/callback at `at` lands: `at + imm + 1`.
fn target(prog: &Program, at: usize) -> usize {
    let imm = i64::from(prog.insns[at].imm);
    usize::try_from(at as i64 + imm + 1).unwrap()
}

fn func_names(obj: &Object, prog: &Program) -> Vec<(u32, String)> {
    let btf = obj.btf.as_ref().unwrap();
    prog.func_info
        .iter()
        .map(|f| (f.insn_off, btf.type_name(f.type_id).unwrap().to_owned()))
        .collect()
}

fn map_fd(insn: usize, map: &str) -> Relocation {
    Relocation::MapFd {
        insn,
        map: map.into(),
    }
}

fn map_value(insn: usize, section: &str, offset: u32) -> Relocation {
    Relocation::MapValue {
        insn,
        section: section.into(),
        offset,
    }
}

#[test]
fn multi_prog_sections_split_into_programs_by_function_symbol() {
    let obj = parse("multi_prog.o");
    assert_eq!(obj.license, "Dual BSD/GPL");
    let names: Vec<_> = obj
        .programs
        .iter()
        .map(|p| (p.name.as_str(), p.section.as_str()))
        .collect();
    assert_eq!(
        names,
        [("xdp_one", "xdp"), ("xdp_two", "xdp"), ("tc_prog", "tc")]
    );

    let sections: Vec<_> = obj
        .sections
        .iter()
        .map(|s| (s.section.as_str(), s.kind.clone()))
        .collect();
    assert_eq!(sections.len(), 3);
    assert_eq!(sections[0].0, "xdp");
    let xdp = sections[0].1.clone().unwrap();
    assert_eq!(
        (xdp.prog_type, xdp.expected_attach_type),
        (ProgType::XDP, Some(AttachType::XDP))
    );
    assert_eq!(sections[1].0, "tc");
    assert_eq!(
        sections[1].1.as_ref().unwrap().prog_type,
        ProgType::SCHED_CLS
    );
    // An executable section with a name libbpf does not know: listed, not a program.
    assert_eq!(sections[2], ("weird_section", None));
    assert!(obj.program("not_a_program").is_none());
}

#[test]
fn program_calling_two_subprograms_links_each_once() {
    let obj = parse("multi_prog.o");
    let p = obj.program("xdp_one").unwrap();
    // xdp_one (12) + bump (22) + global_helper (3) + leaf, reached from global_helper (7).
    assert_eq!(p.subprograms, ["bump", "global_helper", "leaf"]);
    assert_eq!(p.insns.len(), 12 + 22 + 3 + 7);
    assert_eq!(target(p, 2), 12, "call against .text + imm reaches bump");
    assert_eq!(target(p, 5), 34, "call against the global_helper symbol");
    assert_eq!(
        target(p, 34),
        37,
        "unrelocated same-section call from global_helper to leaf"
    );
    assert!([2, 5, 34].iter().all(|&i| p.insns[i].is_pseudo_call()));
    assert_eq!(
        p.relocations,
        [
            map_fd(15, "counters"),
            map_value(20, ".data", 0),
            map_value(26, ".bss", 0),
            map_value(38, ".rodata", 0),
        ]
    );
    for r in &p.relocations {
        assert!(p.insns[r.insn()].is_ld_imm64());
    }
    assert_eq!(
        func_names(&obj, p),
        [
            (0, "xdp_one".into()),
            (12, "bump".into()),
            (34, "global_helper".into()),
            (37, "leaf".into())
        ]
    );
}

#[test]
fn callback_address_is_linked_like_a_call() {
    let obj = parse("multi_prog.o");
    let p = obj.program("xdp_two").unwrap();
    assert_eq!(p.subprograms, ["loop_cb", "bump"]);
    assert_eq!(p.insns.len(), 17 + 7 + 22);
    assert!(p.insns[5].is_ld_imm64());
    assert_eq!(p.insns[5].src_reg, Insn::PSEUDO_FUNC);
    assert_eq!(
        target(p, 5),
        17,
        "bpf_loop callback appended after the program"
    );
    assert_eq!(target(p, 10), 24, "bump appended after loop_cb");
    assert_eq!(
        p.relocations,
        [
            map_fd(27, "counters"),
            map_value(32, ".data", 0),
            map_value(38, ".bss", 0)
        ]
    );
    assert_eq!(
        func_names(&obj, p),
        [
            (0, "xdp_two".into()),
            (17, "loop_cb".into()),
            (24, "bump".into())
        ]
    );
}

#[test]
fn subprogram_shared_by_programs_is_copied_into_each() {
    let obj = parse("multi_prog.o");
    let tc = obj.program("tc_prog").unwrap();
    assert_eq!(tc.subprograms, ["leaf"]);
    assert_eq!(tc.insns.len(), 9 + 7);
    assert_eq!(target(tc, 1), 9);
    assert_eq!(tc.relocations, [map_value(10, ".rodata", 0)]);
    let one = obj.program("xdp_one").unwrap();
    assert_eq!(&tc.insns[9..], &one.insns[37..], "same leaf body in both");
}

#[test]
fn global_data_sections_become_data() {
    let obj = parse("multi_prog.o");
    let get = |n: &str| obj.data.iter().find(|d| d.name == n).unwrap();
    assert_eq!(obj.data.len(), 3);
    assert_eq!(
        (get(".data").kind, get(".data").bytes.as_slice()),
        (DataKind::Data, &1u64.to_le_bytes()[..])
    );
    assert_eq!(
        (get(".bss").kind, get(".bss").bytes.as_slice()),
        (DataKind::Bss, &[0u8; 8][..])
    );
    assert_eq!(
        (get(".rodata").kind, get(".rodata").bytes.as_slice()),
        (DataKind::Rodata, &7u32.to_le_bytes()[..])
    );
    assert!(obj.data.iter().all(|d| d.btf_datasec_id.is_some()));
    let counters = obj.map("counters").unwrap();
    assert_eq!(
        (
            counters.map_type,
            counters.key_size,
            counters.value_size,
            counters.max_entries
        ),
        (MapType::ARRAY, 4, 8, 4)
    );
}

#[test]
fn big_endian_build_parses_to_the_same_programs_and_maps() {
    let le = parse("multi_prog.o");
    let be = parse("multi_prog.be.o");
    assert_eq!(be.endian, Endian::Big);
    assert_eq!(le.endian, Endian::Little);
    assert_eq!(be.programs, le.programs);
    assert_eq!(be.maps, le.maps);
    assert_eq!(be.sections, le.sections);
    let data = be.data.iter().find(|d| d.name == ".data").unwrap();
    assert_eq!(data.bytes, 1u64.to_be_bytes());
}

#[test]
fn legacy_maps_section_is_read_as_struct_bpf_map_def() {
    let obj = parse("legacy_maps.o");
    assert_eq!(obj.kernel_version, Some(0x050a00));
    let names: Vec<_> = obj.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["legacy_hash", "legacy_array", "legacy_outer"]);
    let hash = obj.map("legacy_hash").unwrap();
    assert_eq!(
        (
            hash.map_type,
            hash.key_size,
            hash.value_size,
            hash.max_entries,
            hash.map_flags
        ),
        (MapType::HASH, 4, 8, 128, 1)
    );
    assert_eq!(
        (hash.source, hash.pinning, hash.numa_node),
        (MapSource::Legacy, Pinning::None, None)
    );
    let array = obj.map("legacy_array").unwrap();
    assert_eq!(
        (array.map_type, array.max_entries, array.numa_node),
        (MapType::ARRAY, 1, Some(1))
    );
    let outer = obj.map("legacy_outer").unwrap();
    assert_eq!(outer.map_type, MapType::ARRAY_OF_MAPS);
    assert_eq!(outer.inner.as_deref(), Some(array));
    let prog = obj.program("legacy_prog").unwrap();
    assert_eq!(prog.kind.prog_type, ProgType::SOCKET_FILTER);
    assert_eq!(
        prog.relocations,
        [map_fd(4, "legacy_hash"), map_fd(9, "legacy_array")]
    );
}

#[test]
fn map_in_map_and_prog_array_initialisers() {
    let obj = parse("map_in_map.o");
    let outer = obj.map("outer").unwrap();
    assert_eq!(
        (
            outer.map_type,
            outer.key_size,
            outer.value_size,
            outer.max_entries
        ),
        (MapType::ARRAY_OF_MAPS, 4, 4, 4)
    );
    let inner = outer.inner.as_deref().unwrap();
    assert_eq!(inner.name, "outer.inner");
    assert_eq!(
        (
            inner.map_type,
            inner.key_size,
            inner.value_size,
            inner.max_entries
        ),
        (MapType::ARRAY, 4, 4, 1)
    );
    assert_eq!(
        outer.initial_values,
        [
            MapInitialValue {
                index: 0,
                symbol: "inner_a".into()
            },
            MapInitialValue {
                index: 2,
                symbol: "inner_b".into()
            },
        ]
    );
    let jumps = obj.map("jumps").unwrap();
    assert_eq!(
        (
            jumps.map_type,
            jumps.key_size,
            jumps.value_size,
            jumps.max_entries
        ),
        (MapType::PROG_ARRAY, 4, 4, 2)
    );
    assert_eq!(
        jumps.initial_values,
        [MapInitialValue {
            index: 1,
            symbol: "tail".into()
        }]
    );
    assert!(obj.map("inner_a").unwrap().initial_values.is_empty());

    let names: Vec<_> = obj.programs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["tail", "entry"]);
    let entry = obj.program("entry").unwrap();
    assert_eq!(entry.insns.len(), 19);
    assert_eq!(entry.relocations, [map_fd(5, "outer"), map_fd(11, "jumps")]);
    assert_eq!(func_names(&obj, entry), [(0, "entry".into())]);
}

#[test]
fn externs_become_kconfig_data_and_extern_relocations() {
    use rawbpf_elf::{ExternKind, Relocation};
    let obj = Object::parse(&fixture("externs_kfunc.o")).unwrap();
    assert_eq!(obj.externs.len(), 1);
    assert_eq!(obj.externs[0].name, "bpf_rcu_read_lock");
    assert!(matches!(obj.externs[0].kind, ExternKind::Kfunc { .. }));
    assert!(!obj.externs[0].weak);
    assert_eq!(
        obj.programs[0].relocations,
        [Relocation::Extern {
            insn: 0,
            name: "bpf_rcu_read_lock".into()
        }]
    );

    let obj = Object::parse(&fixture("externs_kconfig.o")).unwrap();
    assert_eq!(obj.externs.len(), 1);
    assert!(matches!(
        obj.externs[0].kind,
        ExternKind::Kconfig {
            offset: 0,
            size: 4,
            ..
        }
    ));
    let kconfig = obj.data.iter().find(|d| d.name == ".kconfig").unwrap();
    assert_eq!(kconfig.bytes.len(), 4);
    assert!(obj.programs[0].relocations.iter().any(|r| matches!(r,
        Relocation::MapValue { section, offset: 0, .. } if section == ".kconfig")));
    // The kernel's BTF checks: .kconfig sized, no extern linkage left.
    let fixed = obj.btf_for_kernel.as_ref().unwrap();
    let (_, sec) = fixed.datasec(".kconfig").unwrap();
    assert_eq!(sec.size, 4);
}
