//! `load`: the orchestration. Order (see `docs/architecture.md`, `docs/guarantees.md`):
//! parse → check cgroup and pin root → lock the pin root → BTF → maps (reuse or create, no
//! pins yet) → internal maps → relocate → load every program → initial map values → pin new
//! maps → per program: pending attach record, attach, final record → data map pins beside
//! the records → report.
//!
//! Every step that changes shared state pushes its undo onto a log; when a later step
//! fails, the log is replayed backwards: records restored, attachments reverted (a replaced
//! program put back), new pins removed (a replaced incompatible pin restored), created
//! directories removed, fds dropped. A failed load therefore leaves the previously attached
//! program and the pinned maps exactly as they were. The order is also crash-safe: a map is
//! pinned only once complete, and a program is pinned as an attach record before it is
//! attached, so a SIGKILL at any point leaves nothing the next run cannot find.

mod attach;
mod environment;
mod iface;
mod maps;
mod options;
mod program_set;
mod programs;
mod raw_tp;
mod report;
mod state;
mod unchanged;

use std::path::Path;

use rawbpf_elf::{Endian, Object};

use crate::attach::iface_records;
use crate::attach::plan::{Plan, plan};
use crate::cmd::inspect;
use crate::error::{Error, Result};
use crate::prepare::object::{Prepared, retain_programs};
use crate::prog::btf;
use crate::report::{LoadReport, RefusedProgram};
use crate::test_hook::{self, Step};
pub use options::{DEFAULT_PIN_ROOT, LoadOptions};
use state::State;

/// How often a load starts over after another program pinned a map under it (rawbpf's own
/// loads are serialised by the pin root lock; this covers other tools).
const PIN_RACE_RETRIES: usize = 3;

/// Loads `opts.object`: maps, programs, attachments and pins. On error nothing this call
/// did remains, and no fd stays open after it returns.
pub fn load(opts: &LoadOptions) -> Result<LoadReport> {
    load_noting(opts, &mut Vec::new())
}

/// [`load`], and on failure the warnings preparing the object gave (a poisoned CO-RE
/// relocation, ...) in `warnings`: on success they are in the report.
pub fn load_noting(opts: &LoadOptions, warnings: &mut Vec<String>) -> Result<LoadReport> {
    let mut obj = inspect::read_object(&opts.object)?;
    check_endian(&obj, &opts.object)?;
    // The object's whole program set, before --program or --skip-refused leave any out.
    let all_names: Vec<String> = obj.programs.iter().map(|p| p.name.clone()).collect();
    // Make it loadable here: CO-RE, externs, --set, --program, --prog-type (docs/objects.md).
    let mut prepared = crate::prepare::object::prepare(&mut obj, &opts.compat)?;
    let target = opts
        .compat
        .btf
        .clone()
        .unwrap_or_else(|| crate::host::kernel_btf::VMLINUX_BTF.into());
    let explain = |e| crate::prog::poisoned::explain(e, &prepared.core, &target);
    let mut refused = Vec::new();
    let mut attempt = 0;
    loop {
        let mut st = State::default();
        let mut noted = prepared.warnings.clone();
        let e = match run(opts, &obj, &all_names, &mut st, &mut noted) {
            Ok(mut report) => {
                report.refused = refused;
                return Ok(report);
            }
            Err(e) => e,
        };
        st.rollback();
        drop(st);
        match e {
            // --skip-refused: start over without it, unless it was the last one.
            Error::SkipRefused { program, source } if obj.programs.len() > 1 => {
                let source = explain(*source);
                refused.push(refused_program(program.clone(), &source));
                let keep = |name: &String| *name != program;
                let mut more = Vec::new();
                retain_programs(&mut obj, keep, "refused by the kernel", &mut more);
                prepared.warnings.extend(more);
            }
            Error::SkipRefused { source, .. } => {
                return Err(note(warnings, &prepared, explain(*source)));
            }
            Error::PinRace { .. } if attempt < PIN_RACE_RETRIES => attempt += 1,
            e => return Err(note(warnings, &prepared, explain(e))),
        }
    }
}

/// `e`, after handing the warnings of preparing the object to the caller.
fn note(warnings: &mut Vec<String>, prepared: &Prepared, e: Error) -> Error {
    warnings.extend(prepared.warnings.iter().cloned());
    e
}

/// The report entry of a program `--skip-refused` left out: the error, and the verifier's
/// verdict when it gave one.
fn refused_program(name: String, e: &Error) -> RefusedProgram {
    let verdict = e
        .verifier_log()
        .map(|log| crate::prog::verifier::summarize(log, None).verdict)
        .filter(|v| !v.is_empty());
    RefusedProgram {
        name,
        reason: match verdict {
            Some(v) => format!("{e}: {v}"),
            None => e.to_string(),
        },
    }
}

/// A big-endian object is refused before anything else is said about it.
fn check_endian(obj: &Object, path: &Path) -> Result<()> {
    if obj.endian == Endian::Big {
        return Err(Error::BigEndian {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

fn check_supported(obj: &Object, path: &Path) -> Result<()> {
    check_endian(obj, path)?;
    if let Some(ext) = &obj.btf_ext
        && let Some(sec) = ext.core_relos.iter().find(|s| !s.records.is_empty())
    {
        return Err(Error::Unsupported {
            what: format!(
                "section {} has {} CO-RE relocations; rawbpf does not apply CO-RE relocations yet",
                sec.section,
                sec.records.len()
            ),
        });
    }
    Ok(())
}

/// One attempt, step by step (the order is the module documentation's).
fn run(
    opts: &LoadOptions,
    obj: &Object,
    all_names: &[String],
    st: &mut State,
    warnings: &mut Vec<String>,
) -> Result<LoadReport> {
    check_supported(obj, &opts.object)?;
    crate::attach::links::validate_owner(&opts.owner)?;
    let plans: Vec<Plan> = obj
        .programs
        .iter()
        .map(|p| match plan(obj, p, opts.attach) {
            Plan::Iface { .. } if opts.iface.is_none() => Plan::NotAttached(format!(
                "{} program: give --iface NAME to attach it (through a pinned link); loaded \
                 only (it is unloaded when rawbpf exits)",
                p.section
            )),
            other => other,
        })
        .collect();
    if plans.iter().any(|p| matches!(p, Plan::Iface { .. }))
        && let Some(name) = opts.iface.as_deref()
    {
        st.iface = Some((name.to_string(), iface_records::ifindex(name)?));
    }
    let pin_paths = environment::enter(opts, obj, &plans, st)?;
    warnings.extend(environment::unpinned_over_pins(opts, obj));
    warnings.extend(environment::pinned_without_attach(opts, obj, &pin_paths));
    test_hook::reached(Step::Locked)?;

    // Programs recorded under names the object no longer has: renamed ones are replaced in
    // place, removed ones detached, an ambiguous pairing refused before anything is created.
    let changes = program_set::find(opts, obj, all_names, &plans, st.cgroup.as_ref())?;
    let forced;
    let check_opts = if changes.is_empty() {
        opts
    } else {
        // A changed program set is never `unchanged`.
        forced = LoadOptions {
            force: true,
            ..opts.clone()
        };
        &forced
    };

    // Nothing to do when the attached programs already are this object's; otherwise the
    // previous programs' frozen .rodata maps with the same bytes are used again.
    let cg = st.cgroup.as_ref();
    let mut reusable = match unchanged::check(check_opts, obj, &plans, &pin_paths, cg)? {
        unchanged::Outcome::Unchanged(mut report) => {
            // What preparing the object found (a poisoned CO-RE relocation, ...) still holds,
            // and so do old-named programs left attached beside it.
            warnings.extend(attach::others_recorded(opts, obj, &plans, st));
            report.warnings = std::mem::take(warnings);
            return Ok(*report);
        }
        unchanged::Outcome::Load(reusable) => reusable,
    };
    st.previous = reusable.take_attached();
    let removals = program_set::adopt(changes, st);
    warnings.extend(reusable.warning.take());

    st.btf = btf::load(obj, warnings)?;
    test_hook::reached(Step::BtfLoaded)?;

    maps::object_maps(opts, obj, st, &mut reusable, pin_paths)?;
    maps::internal_maps(opts, obj, st, &mut reusable)?;
    test_hook::reached(Step::MapsReady)?;

    programs::load_all(opts, obj, st)?;
    test_hook::reached(Step::ProgramsLoaded)?;
    if opts.compat.pin_progs {
        programs::pin_all(opts, obj, st)?;
    }

    // New maps get their initial values, then their pins: a pin always names a complete map.
    maps::fill_initial_values(obj, st)?;
    for i in 0..st.maps.len() {
        maps::pin_map(&opts.pin_root, st, i)?;
    }
    test_hook::reached(Step::AfterPin)?;

    for (i, (p, plan)) in obj.programs.iter().zip(&plans).enumerate() {
        attach::attach_one(opts, st, i, p, plan)?;
    }
    test_hook::reached(Step::AfterRecords)?;
    // Past the last step that can fail (what follows only warns), so none of it is undone.
    warnings.extend(program_set::remove_all(st, removals));
    warnings.extend(program_set::tidy_map_records(opts, obj, st));
    warnings.extend(attach::pin_data_maps(opts, obj, st));
    warnings.extend(attach::index_cgroup(opts, st));
    warnings.extend(attach::others_recorded(opts, obj, &plans, st));

    Ok(report::report(
        opts,
        obj,
        &plans,
        st,
        std::mem::take(warnings),
    ))
}
