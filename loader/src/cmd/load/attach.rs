//! The attach step of `load`: each program attached as planned, cgroup and socket-map
//! attachments bracketed by their pending and final attach records, every stage in the undo
//! log; then the index entry that lets `detach` find this pin root, and the warning about
//! programs an earlier load recorded under names the object no longer has and this load
//! left attached (`program_set` decides which).

use std::os::fd::AsFd;
use std::path::Path;

use rawbpf_elf::Program;

use super::LoadOptions;
use super::program_set;
use super::state::{AttachTarget, Attachment, Stage, State, Undo, ensure_dir_tracked, set_stage};
use crate::attach::plan::Plan;
use crate::attach::{apply, index, links, map_records};
use crate::attach::{data_pins, records};
use crate::error::{Result, bpf_err};
use crate::test_hook::{self, Step};

/// Attaches program `i` as planned. A cgroup attachment: the previous program is found
/// through the records (a crashed run's pending record included), the new program is
/// pinned as the pending record, attached (replacing the previous one), and the pending
/// record is renamed over the final one. Each stage is in the undo log.
pub(super) fn attach_one(
    opts: &LoadOptions,
    st: &mut State,
    i: usize,
    p: &Program,
    plan: &Plan,
) -> Result<()> {
    match plan {
        Plan::None | Plan::NotAttached(_) => Ok(()),
        Plan::Cgroup { attach_type } => {
            let Some(cg) = st.cgroup.as_ref() else {
                return Ok(());
            };
            let inode = cg.inode;
            let record = records::path(&opts.pin_root, inode, *attach_type, &p.name);
            let pending = records::pending_path(&opts.pin_root, inode, *attach_type, &p.name);
            ensure_dir_tracked(st, &records::dir(&opts.pin_root))?;
            let Some(cg) = st.cgroup.as_ref() else {
                return Ok(());
            };
            let previous = match st.previous.remove(&i) {
                Some(found) => Some(found),
                None => records::recover(&record, &pending, cg, *attach_type)?,
            };

            program_set::before_attach(st, i, &record);
            records::pin(st.progs[i].fd.as_fd(), &pending)?;
            let att = st.attachments.len();
            st.attachments.push(Attachment {
                prog: i,
                target: AttachTarget::Cgroup(opts.attach_mode),
                attach_type: *attach_type,
                replaced: None,
                new_link: None,
            });
            st.undo.push(Undo::Cgroup {
                att,
                pending: pending.clone(),
                record: record.clone(),
                stage: Stage::Pending,
            });
            test_hook::reached(Step::RecordPending)?;

            let Some(cg) = st.cgroup.as_ref() else {
                return Ok(());
            };
            let attached = apply::attach_cgroup(
                cg,
                st.progs[i].fd.as_fd(),
                &p.name,
                *attach_type,
                opts.attach_mode,
                previous,
            )?;
            st.attachments[att].replaced = attached.replaced;
            st.attachments[att].new_link = attached.new_link;
            set_stage(st, Stage::Attached);
            own_link(opts, st, att, &record)?;
            test_hook::reached(Step::AfterAttach)?;

            records::commit(&pending, &record)?;
            set_stage(st, Stage::Committed);
            // Renamed in the source: the old name's record goes, its program replaced.
            program_set::retire_old_record(st, i)
        }
        Plan::Map { attach_type, map } => attach_to_map(opts, st, i, p, *attach_type, map),
        Plan::Iface { attach_type } => super::iface::attach_to_iface(opts, st, i, p, *attach_type),
        Plan::RawTp { tracepoint } => super::raw_tp::attach_raw_tp(opts, st, i, p, tracepoint),
    }
}

/// After a cgroup attach: pins the new link beside the record (`attach::links`), then
/// detaches the old program an earlier rawbpf attached without a link (both ran for that
/// moment: never none); or, when an existing link was updated, renames its pin to this
/// load's owner. Each step is in the undo log.
fn own_link(opts: &LoadOptions, st: &mut State, att: usize, record: &Path) -> Result<()> {
    if !pin_new_link(opts, st, att, record)? {
        return take_over_replaced(opts, st, att, record);
    }
    let a = &st.attachments[att];
    if let (Some(old), Some(cg)) = (a.replaced.as_ref(), st.cgroup.as_ref()) {
        test_hook::reached(Step::LinkPinned)?;
        rawbpf_syscalls::prog_detach(cg.fd(), Some(old.fd.as_fd()), a.attach_type).map_err(
            bpf_err(format!(
                "detach program {} (attached without a link by an earlier rawbpf) from {}",
                old.id,
                cg.path.display()
            )),
        )?;
        st.undo.push(Undo::OldDetached(att));
    }
    Ok(())
}

/// Pins the link this load created for attachment `att` beside `record`, named for this
/// load's owner, and logs its removal for rollback; false when the attach created none.
pub(super) fn pin_new_link(
    opts: &LoadOptions,
    st: &mut State,
    att: usize,
    record: &Path,
) -> Result<bool> {
    let Some(link) = st.attachments[att].new_link.as_ref() else {
        return Ok(false);
    };
    let path = links::pin(link, record, &opts.owner)?;
    st.undo.push(Undo::Pin {
        path,
        restore: None,
    });
    Ok(true)
}

/// An updated link is this record's now: its pin is renamed to this record's name (a
/// renamed program takes over the old name's link) and this load's owner, when it has
/// another; renamed back on rollback.
pub(super) fn take_over_replaced(
    opts: &LoadOptions,
    st: &mut State,
    att: usize,
    record: &Path,
) -> Result<()> {
    let a = &st.attachments[att];
    if let Some(pin) = a.replaced.as_ref().and_then(|r| r.link.as_ref())
        && pin.path != links::path(record, &opts.owner)
    {
        let from = pin.path.clone();
        let to = links::take_over(&from, record, &opts.owner)?;
        st.undo.push(Undo::Rename { from: to, to: from });
    }
    Ok(())
}

/// Attaches program `i` to the object's socket map `map`. Under a locked pin root the
/// program is also recorded (`attach::map_records`): pinned as the pending record before the
/// attach, renamed over the final one after it, the previous record put back on rollback.
fn attach_to_map(
    opts: &LoadOptions,
    st: &mut State,
    i: usize,
    p: &Program,
    attach_type: u32,
    map: &str,
) -> Result<()> {
    let Some(m) = st
        .maps
        .iter()
        .position(|h| h.def.as_ref().is_some_and(|d| d.name == map))
    else {
        return Ok(());
    };
    let map_id = st.maps[m].info.id.0;
    let record = st.lock.is_some().then(|| {
        (
            map_records::path(&opts.pin_root, map_id, attach_type, &p.name),
            map_records::pending_path(&opts.pin_root, map_id, attach_type, &p.name),
        )
    });
    let mut recorded = None;
    let mut renamed_from = None;
    if let Some((record, pending)) = &record {
        ensure_dir_tracked(st, &records::dir(&opts.pin_root))?;
        recorded = records::open(record)?;
        if recorded.is_none() {
            renamed_from = program_set::other_map_record(&opts.pin_root, map_id, attach_type, p);
        }
        records::pin(st.progs[i].fd.as_fd(), pending)?;
        st.undo.push(Undo::Pin {
            path: pending.clone(),
            restore: None,
        });
    }
    // The program to replace (and put back on rollback): this name's, or (renamed in the
    // source) the one recorded under another name, which a kernel before 5.19 cannot name
    // itself; and the link that runs it, when it was attached through one (6.10+).
    let previous = recorded.as_ref().or(renamed_from.as_ref());
    let recorded_link = match (&record, previous) {
        (Some((record, _)), Some(fd)) => {
            let id = rawbpf_syscalls::prog_info(fd.as_fd()).ok().map(|i| i.id);
            let link = match links::open_map(record, map_id, attach_type)? {
                Some(link) => Some(link),
                None => program_set::other_map_link(&opts.pin_root, map_id, attach_type, p),
            };
            link.filter(|l| Some(l.info.prog_id) == id)
        }
        _ => None,
    };
    let target = apply::MapTarget {
        map: st.maps[m].fd.as_fd(),
        name: map,
        link: record.is_some(),
    };
    let attached = apply::attach_map(
        target,
        st.progs[i].fd.as_fd(),
        &p.name,
        attach_type,
        previous.and_then(|fd| fd.try_clone().ok()),
        recorded_link,
    )?;
    st.attachments.push(Attachment {
        prog: i,
        target: AttachTarget::Map(m),
        attach_type,
        replaced: attached.replaced,
        new_link: attached.new_link,
    });
    let att = st.attachments.len() - 1;
    st.undo.push(Undo::MapAttach(att));
    if let Some((record, pending)) = record {
        own_map_link(opts, st, att, &record)?;
        records::commit(&pending, &record)?;
        // The previous record's program goes back on rollback, as the attach does.
        st.undo.push(Undo::Pin {
            path: record,
            restore: recorded,
        });
    }
    Ok(())
}

/// After a socket-map attach: pins a new link beside the map record, or renames the pin of
/// an updated link to this load's owner. (A new sockmap link replaced the previous program
/// in the kernel's one step: nothing to detach.)
fn own_map_link(opts: &LoadOptions, st: &mut State, att: usize, record: &Path) -> Result<()> {
    if pin_new_link(opts, st, att, record)? {
        return Ok(());
    }
    take_over_replaced(opts, st, att, record)
}

/// Programs an earlier load recorded on this cgroup with an attach type this object uses,
/// under a name the object no longer has, that this load left attached (`--keep-old-programs`,
/// or a load of part of the object, which cannot tell a removed program from one left out;
/// otherwise `program_set` replaced or detached them): they still run next to the new
/// ones, which the load says.
pub(super) fn others_recorded(
    opts: &LoadOptions,
    obj: &rawbpf_elf::Object,
    plans: &[Plan],
    st: &State,
) -> Vec<String> {
    let Some(cg) = st.cgroup.as_ref() else {
        return Vec::new();
    };
    let types: Vec<u32> = plans
        .iter()
        .filter_map(|p| match p {
            Plan::Cgroup { attach_type } => Some(*attach_type),
            _ => None,
        })
        .collect();
    records::list(&opts.pin_root, cg.inode)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            !r.pending && types.contains(&r.attach_type) && obj.program(&r.program).is_none()
        })
        .map(|r| {
            let id = records::open(&r.path)
                .ok()
                .flatten()
                .and_then(|fd| rawbpf_syscalls::prog_info(fd.as_fd()).ok())
                .map_or_else(|| "ID".to_string(), |i| i.id.0.to_string());
            format!(
                "program {} (id {id}) recorded by an earlier load is still attached to {} ({}); \
                 if this object renamed or dropped it, detach it: rawbpf detach --prog-id {id} \
                 --cgroup {} --pin-root {}",
                r.program,
                cg.path.display(),
                rawbpf_abi::AttachType(r.attach_type),
                cg.path.display(),
                opts.pin_root.display()
            )
        })
        .collect()
}

/// Points the index (`attach::index`) at this pin root for the cgroup, once a program is
/// attached there; undone on rollback like any directory this load makes. Best effort: a
/// failure (someone else's index directory) is a warning, never a failed load.
pub(super) fn index_cgroup(opts: &LoadOptions, st: &mut State) -> Option<String> {
    let attached = st
        .attachments
        .iter()
        .any(|a| matches!(a.target, AttachTarget::Cgroup(_)));
    let inode = st.cgroup.as_ref().map(|c| c.inode).filter(|_| attached)?;
    let entry = index::entry(inode, &opts.pin_root)?;
    ensure_dir_tracked(st, &entry).err().map(|e| {
        format!(
            "cannot note the pin root in {} ({e}); `detach` will need --pin-root {}",
            index::dir().display(),
            opts.pin_root.display()
        )
    })
}

/// Pins each attached program's internal data maps beside its final record (cgroup or
/// socket-map, `attach::data_pins`), replacing the previous program's, so that a reload
/// without CAP_SYS_ADMIN can compare them with the object. Runs once every attachment is
/// committed, so nothing needs undoing; best effort: a failure is a warning, never a failed
/// load.
pub(super) fn pin_data_maps(
    opts: &LoadOptions,
    obj: &rawbpf_elf::Object,
    st: &State,
) -> Vec<String> {
    let mut warnings = Vec::new();
    for a in &st.attachments {
        let (Some(p), Some(prog)) = (obj.programs.get(a.prog), st.progs.get(a.prog)) else {
            continue;
        };
        let record = match (&a.target, st.cgroup.as_ref()) {
            (AttachTarget::Cgroup(_), Some(cg)) => {
                records::path(&opts.pin_root, cg.inode, a.attach_type, &p.name)
            }
            // Socket-map records exist only under a locked pin root.
            (AttachTarget::Map(m), _) if st.lock.is_some() => match st.maps.get(*m) {
                Some(map) => {
                    map_records::path(&opts.pin_root, map.info.id.0, a.attach_type, &p.name)
                }
                None => continue,
            },
            _ => continue,
        };
        let maps: Vec<_> = st
            .maps
            .iter()
            .filter(|m| m.section.is_some() && prog.info.map_ids.contains(&m.info.id))
            .map(|m| (m.fd.as_fd(), m.info.id.0))
            .collect();
        if let Err(e) = data_pins::sync(&record, &maps) {
            warnings.push(format!(
                "program {}: {e}; a reload without CAP_SYS_ADMIN will load it again",
                p.name
            ));
        }
    }
    warnings
}
