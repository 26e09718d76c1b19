//! Measures how long parsing a BTF blob takes (default: the running kernel's), and building
//! the CO-RE name index over it, both ways: the full parse (`Btf::parse`, every type decoded)
//! and the lazy view the loader uses (`CoreTarget::parse_indexed`: one walk over the record
//! heads that also indexes the wanted names):
//! `cargo run --release -p rawbpf-elf --example btf_parse_time`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use rawbpf_elf::btf::Btf;
use rawbpf_elf::btf::core::CoreTarget;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/sys/kernel/btf/vmlinux".into());
    let start = Instant::now();
    let bytes = std::fs::read(&path).expect("read BTF");
    let read = start.elapsed();
    let mut best = f64::MAX;
    let mut index_best = f64::MAX;
    let mut few_best = f64::MAX;
    let mut lazy_best = f64::MAX;
    let mut types = 0;
    for _ in 0..10 {
        let t = Instant::now();
        let btf = Btf::parse(&bytes).expect("parse");
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
        types = btf.len();
        let t = Instant::now();
        let target = CoreTarget::new(&btf);
        index_best = index_best.min(t.elapsed().as_secs_f64() * 1e3);
        assert!(!target.named("task_struct").is_empty() || path != "/sys/kernel/btf/vmlinux");
        let names: std::collections::HashSet<&str> = [
            "task_struct",
            "sk_buff",
            "sock",
            "bpf_map_type",
            "rq",
            "bpf_cast_to_kern_ctx",
        ]
        .into_iter()
        .collect();
        let t = Instant::now();
        let few = CoreTarget::for_names(&btf, &names);
        few_best = few_best.min(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(few.named("task_struct"), target.named("task_struct"));
        let t = Instant::now();
        let (view, index) = CoreTarget::parse_indexed(&bytes, &names).expect("view");
        let lazy = CoreTarget::from_index(&view, index);
        lazy_best = lazy_best.min(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(lazy.named("task_struct"), target.named("task_struct"));
    }
    println!(
        "{path}: {} bytes, {types} types; read {:.2} ms, parse {best:.2} ms (best of 10), CO-RE index {index_best:.2} ms (all names), {few_best:.2} ms (6 names); lazy view with the 6-name index {lazy_best:.2} ms",
        bytes.len(),
        read.as_secs_f64() * 1e3
    );
}
