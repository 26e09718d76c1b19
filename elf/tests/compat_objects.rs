//! The compatibility objects of `tests/objects/` (committed, prebuilt): every map form,
//! section-name rule, extern and CO-RE record the parser must understand, checked without
//! a kernel.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use rawbpf_elf::btf::core::essential;
use rawbpf_elf::{
    ExternKind, Insn, MapInitialValue, MapSource, MapType, Object, Pinning, ProgType,
};

fn object(name: &str) -> Object {
    let path = format!("{}/../tests/objects/{name}", env!("CARGO_MANIFEST_DIR"));
    Object::parse(&std::fs::read(&path).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn names(obj: &Object) -> Vec<&str> {
    obj.programs.iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn iproute2_elf_maps_and_pinning() {
    let obj = object("iproute2_sockmesh.o");
    let sock = obj.map("mesh_sock_map").unwrap();
    assert_eq!(
        (
            sock.map_type,
            sock.key_size,
            sock.value_size,
            sock.max_entries
        ),
        (MapType::SOCKHASH, 16, 4, 1024)
    );
    assert_eq!(
        (sock.source, sock.pinning),
        (MapSource::Iproute2, Pinning::GlobalNs)
    );
    assert_eq!(obj.map("mesh_counts").unwrap().pinning, Pinning::ObjectNs);
    assert_eq!(names(&obj), ["mesh_sockops", "mesh_redir"]);
    assert_eq!(
        obj.program("mesh_redir").unwrap().kind.prog_type,
        ProgType::SK_MSG
    );
}

#[test]
fn legacy_map_defs_of_every_size_and_own_sections() {
    let obj = object("legacy_samples.o");
    let m: Vec<(&str, u32, u32, u32, MapSource)> = obj
        .maps
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                m.key_size,
                m.value_size,
                m.max_entries,
                m.source,
            )
        })
        .collect();
    assert_eq!(
        m,
        [
            ("old_counts", 4, 8, 8, MapSource::Legacy),
            ("old_hash", 4, 4, 64, MapSource::Legacy),
            ("own_section", 4, 4, 2, MapSource::Legacy),
        ]
    );
    // Two programs in `socket/2`, one in `socket1`: loose names, split by function symbols.
    assert_eq!(names(&obj), ["sock_first", "sock_second", "sock_third"]);
    assert!(
        obj.programs
            .iter()
            .all(|p| p.kind.prog_type == ProgType::SOCKET_FILTER)
    );
    assert_eq!(obj.kernel_version, Some(0x040e00));
}

#[test]
fn trailing_bytes_of_a_legacy_map_name_it() {
    let path = format!(
        "{}/../tests/objects/bad_trailing.o",
        env!("CARGO_MANIFEST_DIR")
    );
    match Object::parse(&std::fs::read(path).unwrap()) {
        Err(rawbpf_elf::Error::Map { map, reason }) => {
            assert_eq!(map, "odd_map");
            assert!(reason.contains("byte 28 is not zero"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ringbuf_and_perf_array_sizes_fixed_up() {
    let obj = object("ringbuf_events.o");
    let rb = obj.map("events").unwrap();
    assert_eq!(
        (
            rb.key_size,
            rb.value_size,
            rb.btf_key_type_id,
            rb.btf_value_type_id
        ),
        (0, 0, None, None)
    );
    let perf = obj.map("perf_events").unwrap();
    // max_entries 0 stays for the loader (one per possible CPU is machine-dependent).
    assert_eq!(
        (perf.key_size, perf.value_size, perf.max_entries),
        (4, 4, 0)
    );
}

#[test]
fn values_initialisers_subprograms_and_callbacks() {
    let obj = object("tailcall_mim.o");
    // `bump` is a static function of section `tc` that both programs call: a subprogram.
    assert_eq!(names(&obj), ["tail_target", "entry"]);
    let jumps = obj.map("jumps").unwrap();
    assert_eq!(
        jumps.initial_values,
        [MapInitialValue {
            index: 2,
            symbol: "tail_target".into()
        }]
    );
    let outer = obj.map("outer").unwrap();
    assert_eq!(outer.initial_values.len(), 2);
    assert_eq!(outer.inner.as_ref().unwrap().max_entries, 1);
    let entry = obj.program("entry").unwrap();
    for sub in ["bump", "loop_cb", "add_twice"] {
        assert!(
            entry.subprograms.iter().any(|s| s == sub),
            "{sub} in {:?}",
            entry.subprograms
        );
    }
    // The bpf_loop callback is an ld_imm64 with BPF_PSEUDO_FUNC, and has func_info.
    assert!(
        entry
            .insns
            .iter()
            .any(|i| i.is_ld_imm64() && i.src_reg == Insn::PSEUDO_FUNC)
    );
    assert_eq!(entry.func_info.len(), 1 + entry.subprograms.len());
}

#[test]
fn core_relocations_rebased_per_program() {
    let obj = object("core_vmlinux.o");
    let p = obj.program("core_probe").unwrap();
    assert_eq!(p.core_relos.len(), 24);
    assert!(
        p.core_relos
            .iter()
            .all(|r| (r.insn_off as usize) < p.insns.len())
    );
    assert_eq!(essential("task_struct___fake"), "task_struct");
    assert_eq!(essential("a___b___c"), "a___b");
    assert_eq!(essential("__u32"), "__u32");
    assert_eq!(essential("x____y"), "x____y");
}

#[test]
fn externs_by_kind_and_kernel_ready_btf() {
    let obj = object("externs_kernel.o");
    let kind = |n: &str| {
        obj.externs
            .iter()
            .find(|e| e.name == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    assert!(matches!(
        kind("LINUX_KERNEL_VERSION").kind,
        ExternKind::Kconfig { size: 4, .. }
    ));
    assert!(kind("CONFIG_RAWBPF_NOT_A_REAL_OPTION").weak);
    assert!(matches!(
        kind("CONFIG_DEFAULT_HOSTNAME").kind,
        ExternKind::Kconfig { size: 16, .. }
    ));
    assert!(matches!(
        kind("schedule").kind,
        ExternKind::Ksym { type_id: None }
    ));
    assert!(matches!(
        kind("runqueues").kind,
        ExternKind::Ksym { type_id: Some(_) }
    ));
    assert!(matches!(
        kind("bpf_cast_to_kern_ctx").kind,
        ExternKind::Kfunc { .. }
    ));
    assert!(kind("bpf_rawbpf_no_such_kfunc").weak);
    // Kconfig layout: 16-byte char array after the 4-byte values, all inside .kconfig.
    let kconfig = obj.data.iter().find(|d| d.name == ".kconfig").unwrap();
    for e in &obj.externs {
        if let ExternKind::Kconfig { offset, size, .. } = e.kind {
            assert!(
                offset as usize + size as usize <= kconfig.bytes.len(),
                "{}",
                e.name
            );
        }
    }
    // The kernel-ready BTF has no extern linkage left and round-trips.
    let fixed = obj.btf_for_kernel.as_ref().unwrap();
    let again = rawbpf_elf::btf::Btf::parse(&fixed.to_bytes()).unwrap();
    assert_eq!(again.len(), fixed.len());
    let (_, ksyms) = fixed.datasec(".ksyms").unwrap();
    assert_eq!(ksyms.size, 4 * ksyms.vars.len() as u32);
}

#[test]
fn loose_sections_and_unclassified_functions() {
    let obj = object("loose_sections.o");
    assert_eq!(
        names(&obj),
        ["loose_parser", "loose_verdict", "loose_plain", "loose_cls"]
    );
    let unknown: Vec<&str> = obj.unclassified.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(unknown, ["custom_filter"]);
}

/// The sections of no known type that hold functions, with those functions.
fn untyped(obj: &Object) -> Vec<(&str, Vec<&str>)> {
    obj.sections
        .iter()
        .filter(|s| s.kind.is_none() && !s.functions.is_empty())
        .map(|s| {
            let fns = s.functions.iter().map(String::as_str).collect();
            (s.section.as_str(), fns)
        })
        .collect()
}

#[test]
fn functions_of_unknown_sections_are_listed_by_section() {
    let obj = object("unknown_sections.o");
    assert_eq!(names(&obj), ["us_socket"]);
    assert_eq!(obj.programs[0].subprograms, ["us_clamp"]);
    assert_eq!(
        untyped(&obj),
        [
            ("tc_ingress", vec!["us_tc_ingress"]),
            ("program1", vec!["us_program1"]),
            ("prog", vec!["us_prog_a", "us_prog_b"]),
        ]
    );
    let socket = obj.sections.iter().find(|s| s.section == "socket").unwrap();
    assert_eq!(socket.functions, ["us_socket"]);
}

/// `.text` subprograms, maps, data, license and BTF are not programs: no other object has a
/// section that would make `load` refuse it as untyped.
#[test]
fn only_unknown_executable_sections_are_untyped() {
    let dir = format!("{}/../tests/objects", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(bytes) = name
            .ends_with(".o")
            .then(|| std::fs::read(format!("{dir}/{name}")).unwrap())
        else {
            continue;
        };
        let Ok(obj) = Object::parse(&bytes) else {
            continue; // the malformed ones are other tests' business
        };
        seen += 1;
        let expected: &[&str] = match name.as_str() {
            "loose_sections.o" => &["my_filter"],
            "unknown_sections.o" => &["tc_ingress", "program1", "prog"],
            _ => &[],
        };
        let found: Vec<&str> = untyped(&obj).into_iter().map(|(s, _)| s).collect();
        assert_eq!(found, expected, "{name}");
    }
    assert!(seen >= 10, "{seen} objects in {dir}");
}

#[test]
fn big_endian_object_parses_to_the_same_program() {
    let le = object("rodata_knobs.o");
    let be = object("rodata_knobs.be.o");
    assert_eq!(be.endian, rawbpf_elf::Endian::Big);
    assert_eq!(le.programs[0].insns.len(), be.programs[0].insns.len());
    assert_eq!(le.programs[0].relocations, be.programs[0].relocations);
    assert_eq!(le.data[0].bytes.len(), be.data[0].bytes.len());
}

#[test]
fn core_against_a_target_without_the_types_poisons_or_zeroes() {
    use rawbpf_elf::btf::CoreReloKind as K;
    use rawbpf_elf::btf::core::{CoreTarget, POISON_HELPER, apply_all};
    let obj = object("core_vmlinux.o");
    let local = obj.btf.clone().unwrap();
    // A "kernel" that has none of the types: rodata_knobs.o's BTF.
    let other = object("rodata_knobs.o").btf.unwrap();
    let target = CoreTarget::new(&other);
    let mut p = obj.program("core_probe").unwrap().clone();
    let outcomes = apply_all(&local, &target, &mut p).unwrap();
    assert_eq!(outcomes.len(), 24);
    for o in &outcomes {
        match o.kind {
            // Existence and type queries answer 0; no value to compute, nothing poisoned.
            K::FieldExists | K::TypeExists | K::TypeSize | K::TypeIdTarget | K::EnumvalExists => {
                assert!(!o.poisoned && o.new == 0, "{o:?}")
            }
            K::TypeIdLocal => assert_eq!(o.new, o.orig),
            // Offsets, sizes and enum values of what is not there: poisoned.
            _ => {
                assert!(o.poisoned, "{o:?}");
                assert_eq!(
                    (p.insns[o.insn].code, p.insns[o.insn].imm),
                    (Insn::CALL, POISON_HELPER)
                );
            }
        }
    }
}

#[test]
fn type_matches_relocation_by_hand() {
    use rawbpf_elf::btf::core::{CoreTarget, apply};
    use rawbpf_elf::btf::{CoreRelo, CoreReloKind};
    // clang 14 cannot emit TYPE_MATCHES: build one on `r0 = 1` for `struct sk_buff___old`
    // of core_vmlinux.o, with the object's own BTF as the target. Candidates (essential name
    // sk_buff): vmlinux.h's sk_buff, whose `protocol` sits in an anonymous group (no match),
    // and sk_buff___old itself (match): exactly one, so 1.
    let obj = object("core_vmlinux.o");
    let btf = obj.btf.unwrap();
    let (old, _) = btf.find_by_name("sk_buff___old").unwrap();
    let zero = obj.programs[0]
        .core_relos
        .iter()
        .find(|r| btf.string(r.access_str_off).ok() == Some("0"))
        .unwrap()
        .access_str_off;
    let relo = CoreRelo {
        insn_off: 0,
        type_id: old,
        access_str_off: zero,
        kind: CoreReloKind::TypeMatches,
    };
    let mut insns = vec![
        Insn {
            code: 0xb7,
            imm: 1,
            ..Insn::default()
        },
        Insn {
            code: Insn::EXIT,
            ..Insn::default()
        },
    ];
    let o = apply(&btf, &CoreTarget::new(&btf), &relo, &mut insns).unwrap();
    assert_eq!((o.orig, o.new, o.poisoned), (1, 1, false));
    // Against a BTF without any sk_buff: 0, written into the instruction.
    let other = object("rodata_knobs.o").btf.unwrap();
    let o = apply(&btf, &CoreTarget::new(&other), &relo, &mut insns).unwrap();
    assert_eq!((o.new, insns[0].imm), (0, 0));
}

#[test]
fn arena_map_extra_from_ulong() {
    let obj = object("arena_pages.o");
    let arena = obj.map("arena").unwrap();
    assert_eq!(
        (
            arena.map_type,
            arena.key_size,
            arena.value_size,
            arena.max_entries,
            arena.map_flags,
            arena.map_extra
        ),
        // max_entries is pages; BPF_F_MMAPABLE; the user-space address from __ulong().
        (MapType::ARENA, 0, 0, 4, 1 << 10, 0x4000_0000)
    );
    let kfuncs: Vec<&str> = obj
        .externs
        .iter()
        .filter(|e| matches!(e.kind, ExternKind::Kfunc { .. }))
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(kfuncs, ["bpf_arena_alloc_pages", "bpf_arena_free_pages"]);
    assert_eq!(
        obj.program("arena_alloc").unwrap().kind.prog_type,
        ProgType::SYSCALL
    );
}

#[test]
fn usdt_header_maps_externs_and_hidden_subprograms() {
    use rawbpf_elf::btf::{BtfType, FuncLinkage};
    let obj = object("usdt_probe.o");
    let specs = obj.map("__bpf_usdt_specs").unwrap();
    let ips = obj.map("__bpf_usdt_ip_to_spec_id").unwrap();
    assert_eq!(
        (specs.map_type, specs.key_size, specs.max_entries),
        (MapType::ARRAY, 4, 256)
    );
    assert_eq!(
        (ips.map_type, ips.key_size, ips.value_size, ips.max_entries),
        (MapType::HASH, 8, 4, 1024)
    );
    let mut kconfig: Vec<&str> = obj
        .externs
        .iter()
        .filter(|e| matches!(e.kind, ExternKind::Kconfig { .. }))
        .map(|e| e.name.as_str())
        .collect();
    kconfig.sort_unstable();
    assert_eq!(
        kconfig,
        [
            "LINUX_HAS_BPF_COOKIE",
            "LINUX_HAS_SYSCALL_WRAPPER",
            "LINUX_KERNEL_VERSION"
        ]
    );
    assert!(
        obj.programs
            .iter()
            .all(|p| p.kind.prog_type == ProgType::KPROBE)
    );
    // `__weak __hidden` bpf_usdt_arg: global in the object's BTF, static to the kernel.
    let linkage = |btf: &rawbpf_elf::btf::Btf| {
        btf.types()
            .iter()
            .find_map(|t| match t {
                BtfType::Func(f) if btf.string(f.name_off).ok() == Some("bpf_usdt_arg") => {
                    Some(f.linkage)
                }
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(linkage(obj.btf.as_ref().unwrap()), FuncLinkage::Global);
    assert_eq!(
        linkage(obj.btf_for_kernel.as_ref().unwrap()),
        FuncLinkage::Static
    );
}

#[test]
fn an_extern_without_ksym_is_unknown_though_the_object_has_btf() {
    let obj = object("extern_plain.o");
    assert!(obj.btf.is_some());
    let e = obj.externs.iter().find(|e| e.name == "schedule").unwrap();
    assert_eq!(e.kind, ExternKind::Unknown);
}
