//! Making a parsed object loadable on the running kernel, before any map or program is
//! created: the choices of the command line (`--program`, `--prog-type`, `--set`), the map
//! fix-ups that depend on the machine, CO-RE relocations and externs. Everything here
//! rewrites the in-memory [`Object`]; nothing touches the kernel but reads of
//! `/sys/kernel/btf/vmlinux`, `/proc/config.gz` and `/proc/kallsyms`, each only when the
//! object needs it. See `docs/objects.md`.

use std::collections::HashSet;
use std::time::Duration;

use rawbpf_abi::{Insn, MapType};
use rawbpf_elf::btf::core::{self, CoreOutcome, CoreTarget};
use rawbpf_elf::{MapDef, Object, section};
use rawbpf_syscalls as sys;

use crate::error::{Error, Result};
use crate::host::{kernel_btf, kernel_types};
use crate::prepare::{attach_btf, externs, map_sizes, rodata_set};

/// The object-shaping options of `load`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompatOptions {
    /// Load only these programs (`--program NAME`, repeatable); all when empty.
    pub programs: Vec<String>,
    /// `--prog-type NAME=TYPE`: the program type of one program, overriding its section name
    /// (also makes a function of an unknown section a program).
    pub prog_types: Vec<(String, String)>,
    /// `--set NAME=VALUE`: `.rodata` variables to rewrite.
    pub sets: Vec<(String, String)>,
    /// Pin every loaded program at `<pin-root>/progs/<name>` (`--pin-progs`).
    pub pin_progs: bool,
    /// `--btf FILE`: resolve CO-RE, externs and attach points against this BTF instead of
    /// the running kernel's.
    pub btf: Option<std::path::PathBuf>,
    /// `--map NAME.FIELD=N`: map sizes set at run time.
    pub map_sizes: Vec<map_sizes::MapSize>,
}

/// What preparing did, for the report.
#[derive(Debug, Default)]
pub struct Prepared {
    pub warnings: Vec<String>,
    /// Time spent reading and parsing the kernel BTF, when it was needed.
    pub kernel_btf_time: Option<Duration>,
    /// Every CO-RE relocation applied, by program.
    pub core: Vec<(String, CoreOutcome)>,
}

fn unsupported(what: String) -> Error {
    Error::Unsupported { what }
}

fn bad_argument(what: String) -> Error {
    Error::BadArgument { what }
}

/// Applies the options, the machine-dependent fix-ups, CO-RE and externs to `obj`.
pub fn prepare(obj: &mut Object, opts: &CompatOptions) -> Result<Prepared> {
    let mut out = Prepared::default();
    override_types(obj, &opts.prog_types)?;
    select_programs(obj, &opts.programs, &mut out.warnings)?;
    check_untyped(obj, &opts.programs)?;
    rodata_set::apply(obj, &opts.sets)?;
    map_sizes::apply(obj, &opts.map_sizes)?;
    fix_maps(obj)?;
    for m in obj
        .maps
        .iter()
        .filter(|m| m.map_type == MapType::PROG_ARRAY && !m.initial_values.is_empty())
    {
        if m.pinning == rawbpf_elf::Pinning::None {
            out.warnings.push(format!(
                "map {}: a prog array filled from `values` but not pinned: the kernel empties it \
                 when rawbpf exits, so its tail calls work only while rawbpf runs (declare it \
                 with pinning LIBBPF_PIN_BY_NAME)",
                m.name
            ));
        }
    }
    externs::fill_kconfig(obj)?;
    check_callbacks(obj)?;
    check_arena_addresses(obj)?;

    let has_core = obj.programs.iter().any(|p| !p.core_relos.is_empty());
    let attach_points = attach_btf::names(obj);
    if has_core || externs::needs_kernel_btf(obj) || !attach_points.is_empty() {
        let start = std::time::Instant::now();
        let why = if has_core {
            "CO-RE relocations"
        } else if attach_points.is_empty() {
            "__ksym externs"
        } else {
            "programs attaching to kernel functions (tp_btf, fentry, lsm, iter)"
        };
        // Index only the names the object asks for: its CO-RE root types and its externs.
        let mut names: HashSet<String> = obj.externs.iter().map(|e| e.name.clone()).collect();
        names.extend(attach_points);
        if let Some(local) = obj.btf.as_ref() {
            for p in &obj.programs {
                for r in &p.core_relos {
                    if let Ok(n) = local.type_name(r.type_id) {
                        names.insert(n.to_string());
                    }
                }
            }
        }
        let names: HashSet<&str> = names.iter().map(String::as_str).collect();
        let file = match &opts.btf {
            Some(path) => kernel_btf::open_custom(path)?,
            None => kernel_btf::open(std::path::Path::new(kernel_btf::VMLINUX_BTF), why)?,
        };
        let (kbtf, index) = file.view_indexed(&names)?;
        let target = CoreTarget::from_index(&kbtf, index);
        out.kernel_btf_time = Some(start.elapsed());
        if has_core {
            let Some(local) = obj.btf.clone() else {
                return Err(unsupported("CO-RE relocations without .BTF".into()));
            };
            for p in &mut obj.programs {
                for o in
                    core::apply_all(&local, &target, p).map_err(|e| unsupported(e.to_string()))?
                {
                    if o.poisoned {
                        out.warnings.push(format!(
                            "program {}: CO-RE relocation at instruction {} ({:?} {}, access \
                             {}) matches nothing in the {}; the instruction was poisoned (it \
                             must be unreachable, e.g. guarded by bpf_core_field_exists())",
                            p.name,
                            o.insn,
                            o.kind,
                            o.path,
                            o.access,
                            if opts.btf.is_some() {
                                "--btf file"
                            } else {
                                "kernel"
                            },
                        ));
                    }
                    out.core.push((p.name.clone(), o));
                }
                p.core_relos.clear();
            }
        }
        // A kfunc of a feature the kernel lacks (bpf_arena_alloc_pages before 6.9): name
        // the missing map type rather than the kfunc.
        externs::resolve_ksyms(obj, Some(&target))
            .map_err(|e| lacking_map_type(&obj.maps).unwrap_or(e))?;
        attach_btf::resolve(obj, &target)?;
    } else {
        externs::resolve_ksyms(obj, None)?;
    }
    // Consumed: the loader's check for unapplied CO-RE relocations sees none left.
    if let Some(ext) = obj.btf_ext.as_mut() {
        ext.core_relos.clear();
    }
    Ok(out)
}

/// The first of `maps` whose type the running kernel's `enum bpf_map_type` lacks, as
/// [`Error::KernelLacks`]; `None` when the kernel has them all (or its BTF is unreadable).
/// Asked when something else of the object failed first (a kfunc of the same feature, as
/// `bpf_arena_alloc_pages` before 6.9), so that the refusal names the more basic lack.
pub(crate) fn lacking_map_type(maps: &[MapDef]) -> Option<Error> {
    let types: Vec<u32> = maps.iter().map(|m| m.map_type.0).collect();
    let missing = kernel_types::enum_lacks("bpf_map_type", &types)?;
    let def = maps.iter().find(|m| missing.contains(&m.map_type.0))?;
    Some(kernel_types::lacks(
        format!("map {}", def.name),
        "bpf_map_type",
        format!("{} maps", def.map_type),
        def.map_type.since(),
    ))
}

/// `--prog-type NAME=TYPE`.
fn override_types(obj: &mut Object, overrides: &[(String, String)]) -> Result<()> {
    for (name, ty) in overrides {
        let kind = section::kind_for_type_name(ty).ok_or_else(|| {
            bad_argument(format!(
                "--prog-type {name}={ty}: unknown program type (use a kernel name such as \
                 sched_cls, socket_filter, sk_skb, or a SEC() name such as sk_skb/stream_verdict)"
            ))
        })?;
        if let Some(p) = obj.programs.iter_mut().find(|p| &p.name == name) {
            p.kind = kind;
        } else if let Some(i) = obj.unclassified.iter().position(|p| &p.name == name) {
            let mut p = obj.unclassified.remove(i);
            p.kind = kind;
            obj.programs.push(p);
        } else {
            return Err(bad_argument(format!(
                "--prog-type {name}={ty}: {}",
                no_program(obj, name)
            )));
        }
    }
    Ok(())
}

fn no_program(obj: &Object, name: &str) -> String {
    let mut names: Vec<&str> = obj.programs.iter().map(|p| p.name.as_str()).collect();
    names.extend(obj.unclassified.iter().map(|p| p.name.as_str()));
    let near = crate::suggest::closest(name, names.iter().copied())
        .map(|near| format!("; did you mean {near}?"))
        .unwrap_or_default();
    format!(
        "the object has no program {name}{near} (it has: {})",
        names.join(", ")
    )
}

/// The functions of sections no rule types that are still without a type (no
/// `--prog-type`): an error, unless `--program` chose the programs to load.
fn check_untyped(obj: &Object, chosen: &[String]) -> Result<()> {
    if !chosen.is_empty() {
        return Ok(());
    }
    let sections = untyped(obj);
    if sections.is_empty() {
        Ok(())
    } else {
        Err(Error::UntypedPrograms { sections })
    }
}

/// Each section of no known type with its functions that no `--prog-type` made programs.
pub fn untyped(obj: &Object) -> Vec<(String, Vec<String>)> {
    obj.sections
        .iter()
        .filter(|s| s.kind.is_none())
        .filter_map(|s| {
            let left: Vec<String> = s
                .functions
                .iter()
                .filter(|f| !obj.programs.iter().any(|p| &p.name == *f))
                .cloned()
                .collect();
            (!left.is_empty()).then(|| (s.section.clone(), left))
        })
        .collect()
}

/// `--program NAME`: keeps only the named programs. A prog array slot that names a program
/// left out is dropped, with a warning.
fn select_programs(obj: &mut Object, names: &[String], warnings: &mut Vec<String>) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    for n in names {
        if obj.programs.iter().any(|p| &p.name == n) {
            continue;
        }
        let untyped = obj
            .sections
            .iter()
            .find(|s| s.kind.is_none() && s.functions.contains(n));
        return Err(bad_argument(match untyped {
            Some(s) => format!(
                "--program {n}: {n} is in section {}, whose name gives no program type; give \
                 its type with --prog-type {n}=TYPE",
                s.section
            ),
            None => format!("--program {n}: {}", no_program(obj, n)),
        }));
    }
    let keep: HashSet<&String> = names.iter().collect();
    retain_programs(obj, |name| keep.contains(name), "not selected", warnings);
    Ok(())
}

/// Keeps the programs whose names `keep` accepts; a prog array slot that names a program
/// left out is dropped, with a warning saying `why`.
pub fn retain_programs(
    obj: &mut Object,
    keep: impl Fn(&String) -> bool,
    why: &str,
    warnings: &mut Vec<String>,
) {
    obj.programs.retain(|p| keep(&p.name));
    for m in obj
        .maps
        .iter_mut()
        .filter(|m| m.map_type == MapType::PROG_ARRAY)
    {
        m.initial_values.retain(|v| {
            let kept = keep(&v.symbol);
            if !kept {
                warnings.push(format!(
                    "map {}: slot {} ({}) left empty: program {why}",
                    m.name, v.index, v.symbol
                ));
            }
            kept
        });
    }
}

/// Perf event arrays with `max_entries` 0 get one slot per possible CPU (libbpf's rule).
fn fix_maps(obj: &mut Object) -> Result<()> {
    fn fix(def: &mut MapDef, cpus: &mut Option<u32>) -> Result<()> {
        if def.map_type == MapType::PERF_EVENT_ARRAY && def.max_entries == 0 {
            let n = match *cpus {
                Some(n) => n,
                None => {
                    let n = sys::possible_cpus()
                        .ok()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| {
                            unsupported(format!(
                                "map {}: cannot read the number of possible CPUs",
                                def.name
                            ))
                        })?;
                    *cpus = Some(n);
                    n
                }
            };
            def.max_entries = n;
        }
        if let Some(inner) = def.inner.as_deref_mut() {
            fix(inner, cpus)?;
        }
        Ok(())
    }
    let mut cpus = None;
    for m in &mut obj.maps {
        fix(m, &mut cpus)?;
    }
    Ok(())
}

/// An arena that programs use needs its user-space address before they load: `map_extra`,
/// or the first `mmap()`, which libbpf makes in the process that loads it. rawbpf maps no
/// arena (the mapping would live and die with rawbpf), so an arena without `map_extra` is
/// refused here instead of by the verifier ("arena's user address must be set via
/// map_extra or mmap()"); on a kernel without arenas, that is said instead.
pub(crate) fn check_arena_addresses(obj: &Object) -> Result<()> {
    let used = |name: &str| {
        obj.programs.iter().any(|p| {
            p.relocations
                .iter()
                .any(|r| matches!(r, rawbpf_elf::Relocation::MapFd { map, .. } if map == name))
        })
    };
    let Some(def) = obj
        .maps
        .iter()
        .find(|m| m.map_type == MapType::ARENA && m.map_extra == 0 && used(&m.name))
    else {
        return Ok(());
    };
    if let Some(lacks) = lacking_map_type(std::slice::from_ref(def)) {
        return Err(lacks);
    }
    Err(unsupported(format!(
        "map {}: an arena without map_extra gets its user-space address from the first \
         mmap(), which the loading process must make (libbpf does); rawbpf maps no arena, so \
         the kernel would refuse every program using it: give the address with \
         __ulong(map_extra, ADDR)",
        def.name
    )))
}

/// A callback (`ld_imm64` with `BPF_PSEUDO_FUNC`) needs func_info, which needs BTF: say so
/// instead of letting the verifier answer "missing btf func_info".
fn check_callbacks(obj: &Object) -> Result<()> {
    for p in &obj.programs {
        let callback = p
            .insns
            .iter()
            .any(|i| i.is_ld_imm64() && i.src_reg == Insn::PSEUDO_FUNC);
        if callback && p.func_info.is_empty() {
            return Err(unsupported(format!(
                "program {}: passes a function as a callback, which the kernel accepts only with \
                 BTF func_info; rebuild the object with clang -g",
                p.name
            )));
        }
    }
    Ok(())
}
