//! `Object::parse` on arbitrary bytes must return `Ok` or `Err`: no panic, no hang, no
//! allocation driven by an unchecked count. Seed the corpus with the committed objects:
//! `mkdir -p corpus/parse_object && cp ../../bpf-prog/*.o ../tests/fixtures/*.o corpus/parse_object/`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(obj) = rawbpf_elf::Object::parse(data) {
        // The loader's layout-cycle check runs on every object it reads.
        if let Some(btf) = &obj.btf {
            let _ = btf.find_layout_cycle();
        }
        // Touch what the loader reads, so lazily wrong values would show.
        for prog in &obj.programs {
            for r in &prog.relocations {
                assert!(r.insn() < prog.insns.len(), "relocation past the program");
                let insn = prog.insns[r.insn()];
                match r {
                    // A `__ksym` kfunc is called: the loader patches the `call`'s imm.
                    rawbpf_elf::Relocation::Extern { .. } => assert!(
                        insn.is_ld_imm64() || insn.code == rawbpf_elf::Insn::CALL,
                        "extern relocation on neither ld_imm64 nor call"
                    ),
                    _ => assert!(insn.is_ld_imm64(), "relocation not on ld_imm64"),
                }
            }
            assert!(prog.func_info.iter().all(|f| (f.insn_off as usize) < prog.insns.len()));
            assert!(prog.line_info.iter().all(|l| (l.insn_off as usize) < prog.insns.len()));
            if let Some(btf) = &obj.btf_for_kernel {
                let _ = btf.to_bytes();
            }
        }
    }
});
