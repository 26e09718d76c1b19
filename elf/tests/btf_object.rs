//! `.BTF` and `.BTF.ext` of the real clang-built objects in `bpf-prog/`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

use object::{Object, ObjectSection};
use rawbpf_elf::btf::{Btf, BtfExt, BtfType, FuncLinkage};

fn sections(path: &str) -> (Vec<u8>, Vec<u8>) {
    let full = format!("{}/../bpf-prog/{path}", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(&full).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let btf = file
        .section_by_name(".BTF")
        .unwrap()
        .data()
        .unwrap()
        .to_vec();
    let ext = file
        .section_by_name(".BTF.ext")
        .unwrap()
        .data()
        .unwrap()
        .to_vec();
    (btf, ext)
}

#[test]
fn sockops_btf_has_maps_datasec_key_and_func() {
    let (data, _) = sections("bpf_sockops.o");
    let btf = Btf::parse(&data).unwrap();
    assert!(!btf.is_big_endian());

    let (_, maps) = btf.datasec(".maps").unwrap();
    assert_eq!(maps.vars.len(), 1);
    let BtfType::Var(var) = btf.type_by_id(maps.vars[0].type_id).unwrap() else {
        panic!("secinfo does not point at a VAR");
    };
    assert_eq!(btf.string(var.name_off).unwrap(), "sock_ops_map");

    let (key_id, key) = btf.find_by_name("sock_key").unwrap();
    assert!(matches!(key, BtfType::Struct(_)));
    assert_eq!(btf.size_of(key_id).unwrap(), 16);

    let (_, func) = btf.find_by_name("bpf_add_to_sockhash").unwrap();
    let BtfType::Func(func) = func else {
        panic!("not a FUNC: {func:?}")
    };
    assert_eq!(func.linkage, FuncLinkage::Global);
    assert!(matches!(
        btf.type_by_id(func.proto).unwrap(),
        BtfType::FuncProto(_)
    ));
}

#[test]
fn sockops_btf_ext_has_func_and_line_info_for_sockops() {
    let (data, ext) = sections("bpf_sockops.o");
    let btf = Btf::parse(&data).unwrap();
    let ext = BtfExt::parse(&ext, &btf).unwrap();

    let funcs = ext.func_info_for("sockops").unwrap();
    assert_eq!(funcs.records.len(), 1);
    assert_eq!(funcs.records[0].insn_off, 0);
    assert_eq!(
        btf.type_name(funcs.records[0].type_id).unwrap(),
        "bpf_add_to_sockhash"
    );

    // The static subprogram lives in .text.
    let text = ext.func_info_for(".text").unwrap();
    assert_eq!(
        btf.type_name(text.records[0].type_id).unwrap(),
        "extract_key"
    );

    let lines = ext.line_info_for("sockops").unwrap();
    assert!(!lines.records.is_empty());
    for l in &lines.records {
        assert_eq!(l.insn_off % 8, 0, "insn_off is in bytes");
        assert!(
            btf.string(l.file_name_off)
                .unwrap()
                .ends_with("bpf_sockops.c")
        );
        assert!(l.line() > 0);
        btf.string(l.line_off).unwrap();
    }
    assert!(ext.core_relos.is_empty());
}

/// (section name, size) and (section name, symbol name, value) of an object.
type Layout = (Vec<(String, u32)>, Vec<(String, String, u32)>);

/// Section sizes and symbol values of the object, as the object parser will supply them.
fn elf_layout(path: &str) -> Layout {
    use object::ObjectSymbol;
    let full = format!("{}/../bpf-prog/{path}", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(&full).unwrap();
    let file = object::File::parse(&*data).unwrap();
    let sections = file
        .sections()
        .map(|s| {
            (
                s.name().unwrap().to_string(),
                u32::try_from(s.size()).unwrap(),
            )
        })
        .collect();
    let symbols = file
        .symbols()
        .filter_map(|sym| {
            let sec = file.section_by_index(sym.section_index()?).ok()?;
            let name = sym.name().ok()?.to_string();
            Some((
                sec.name().ok()?.to_string(),
                name,
                u32::try_from(sym.address()).unwrap(),
            ))
        })
        .collect();
    (sections, symbols)
}

#[test]
fn sockops_fixed_for_kernel_has_section_sizes_and_round_trips() {
    let (data, _) = sections("bpf_sockops.o");
    let btf = Btf::parse(&data).unwrap();
    let (secs, syms) = elf_layout("bpf_sockops.o");
    let size = |s: &str| secs.iter().find(|(n, _)| n == s).map(|(_, z)| *z);
    let off = |s: &str, v: &str| {
        syms.iter()
            .find(|(sec, name, _)| sec == s && name == v)
            .map(|(_, _, o)| *o)
    };
    let fixed = btf.fixed_for_kernel(&size, &off).unwrap();

    for (name, want) in [(".maps", 40), (".rodata", 21), ("license", 4)] {
        let (_, d) = btf.datasec(name).unwrap();
        assert_eq!(d.size, 0, "clang leaves {name} at size 0");
        let (_, d) = fixed.datasec(name).unwrap();
        assert_eq!(d.size, want, "{name}");
        assert_eq!(d.vars.len(), 1);
        assert_eq!(d.vars[0].offset, 0);
    }
    // Nothing else changed.
    assert_eq!(fixed.len(), btf.len());
    for (a, b) in btf.types().iter().zip(fixed.types()) {
        if !matches!(a, BtfType::Datasec(_)) {
            assert_eq!(a, b);
        }
    }

    let bytes = fixed.to_bytes();
    let again = Btf::parse(&bytes).unwrap();
    assert_eq!(again, fixed);
    // The original is already canonical little-endian: serialising it gives it back.
    assert_eq!(btf.to_bytes(), data);
}

#[test]
fn all_committed_objects_parse() {
    for path in [
        "bpf_sockops.o",
        "bpf_sockops_nopin.o",
        "bpf_sockops_invalid.o",
        "bpf_skmsg.o",
    ] {
        let (data, ext) = sections(path);
        let btf = Btf::parse(&data).unwrap_or_else(|e| panic!("{path}: {e}"));
        BtfExt::parse(&ext, &btf).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(btf.datasec(".maps").unwrap().1.vars.len(), 1, "{path}");
        assert_eq!(Btf::parse(&btf.to_bytes()).unwrap(), btf, "{path}");
    }
}
