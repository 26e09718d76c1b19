//! A lazy `BtfView` over arbitrary bytes must agree with `Btf::parse`: the same types when
//! both read the blob, an error from both otherwise; never a panic or a hang. Seed the corpus
//! with `.BTF` blobs (e.g. `cp /sys/kernel/btf/vmlinux corpus/btf_view/`, or the sections of
//! the committed objects: `llvm-objcopy --dump-section .BTF=x.btf obj.o`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rawbpf_elf::btf::{Btf, BtfTypes, BtfView};
use rawbpf_elf::btf::core::CoreTarget;

fuzz_target!(|data: &[u8]| {
    let full = Btf::parse(data);
    let view = BtfView::parse(data);
    let Ok(view) = view else {
        assert!(full.is_err(), "the view refused a blob the full parse read");
        return;
    };
    let mut first_err = None;
    for id in 0..view.len() as u32 {
        match (view.type_by_id(id), &full) {
            (Ok(t), Ok(btf)) => assert_eq!(Some(t), btf.types().get(id as usize)),
            (Err(_), Ok(_)) => panic!("type {id}: the view failed where the full parse read it"),
            (Err(_), Err(_)) => {
                first_err.get_or_insert(id);
            }
            (Ok(_), Err(_)) => {}
        }
        let _ = view.resolve(id);
        let _ = view.size_of(id);
    }
    if full.is_err() {
        assert!(first_err.is_some(), "the full parse failed but every type decoded");
    }
    let names = ["task_struct", "a", "x___y"].into_iter().collect();
    let target = CoreTarget::for_names_in(&view, &names);
    for id in target.named("task_struct") {
        let _ = view.type_name(id);
    }
});
