//! `rawbpf inspect`.

use std::path::PathBuf;

use rawbpf::report::{InspectRelocation, InspectReport};

use super::Global;
use super::output::print_json;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The BPF object file.
    pub object: PathBuf,
}

pub fn run(args: &Args, g: Global) -> rawbpf::Result<()> {
    let report = rawbpf::inspect(&args.object)?;
    if g.json {
        print_json(&report);
    } else {
        print_human(&report);
    }
    Ok(())
}

fn print_human(r: &InspectReport) {
    let version = r
        .kernel_version
        .map(|v| format!(", kernel version {v:#x}"))
        .unwrap_or_default();
    println!("license {}, {}-endian{version}", r.license, r.endian);
    for p in &r.programs {
        println!(
            "program {}  section {}  type {}  attach {}  {} insns",
            p.name,
            p.section,
            p.prog_type,
            p.attach_type.as_deref().unwrap_or("-"),
            p.insns
        );
        if p.core_relos > 0 {
            println!("  CO-RE relocations: {}", p.core_relos);
        }
        if p.loose_section {
            println!("  section name matched by a loose rule (libbpf 1.x refuses it)");
        }
        if !p.subprograms.is_empty() {
            println!("  subprograms: {}", p.subprograms.join(", "));
        }
        for rel in &p.relocations {
            match rel {
                InspectRelocation::MapFd { insn, map } => println!("  insn {insn}: map {map}"),
                InspectRelocation::Extern { insn, name } => {
                    println!("  insn {insn}: extern {name}")
                }
                InspectRelocation::MapValue {
                    insn,
                    section,
                    offset,
                } => {
                    println!("  insn {insn}: {section} + {offset}")
                }
            }
        }
    }
    for m in &r.maps {
        println!(
            "map {}  {}  key {}  value {}  max_entries {}  flags {:#x}{}  pinning {}  ({})",
            m.name,
            m.map_type,
            m.key_size,
            m.value_size,
            m.max_entries,
            m.flags,
            if m.map_extra == 0 {
                String::new()
            } else {
                format!("  map_extra {:#x}", m.map_extra)
            },
            m.pinning,
            m.source
        );
    }
    for d in &r.data {
        println!("data {}  {}  {} bytes", d.name, d.kind, d.size);
    }
    for e in &r.externs {
        println!(
            "extern {}  {}{}",
            e.name,
            e.kind,
            if e.weak { "  (weak)" } else { "" }
        );
    }
    for s in &r.unknown_sections {
        println!(
            "section {}  no known program type  functions {}  (load refuses it: give each a \
             type with --prog-type NAME=TYPE)",
            s.section,
            s.functions.join(", ")
        );
    }
    for p in &r.problems {
        println!("problem: {p}");
    }
    match &r.btf {
        Some(b) => println!(
            "btf: {} types, {} bytes of strings, {} func_info, {} line_info, {} CO-RE relocations",
            b.types, b.strings, b.func_info, b.line_info, b.core_relos
        ),
        None => println!("btf: none"),
    }
}
