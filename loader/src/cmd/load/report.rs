//! The [`LoadReport`] of a load that went through: what was loaded, reused, pinned and
//! attached, from the state the load built.

use rawbpf_abi::AttachType;
use rawbpf_elf::{MapType, Object};

use super::LoadOptions;
use super::state::{AttachTarget, State};
use crate::attach::iface_records::XdpMode;
use crate::attach::plan::Plan;
use crate::report::{AttachReport, LoadReport, LoadedMap, LoadedProgram, MapStatus, ProgramStatus};

pub(super) fn report(
    opts: &LoadOptions,
    obj: &Object,
    plans: &[Plan],
    st: &State,
    warnings: Vec<String>,
) -> LoadReport {
    let programs = obj
        .programs
        .iter()
        .zip(&st.progs)
        .enumerate()
        .map(|(i, (p, h))| {
            let attach = st
                .attachments
                .iter()
                .find(|a| a.prog == i)
                .map(|a| AttachReport {
                    target: match &a.target {
                        AttachTarget::Cgroup(_) => opts.cgroup.display().to_string(),
                        AttachTarget::Map(m) => format!("map {}", st.maps[*m].name),
                        AttachTarget::Iface(_) => st
                            .iface
                            .as_ref()
                            .map_or_else(String::new, |(name, _)| name.clone()),
                        AttachTarget::RawTp(tp) => format!("raw tracepoint {tp}"),
                    },
                    attach_type: AttachType(a.attach_type).to_string(),
                    mode: match &a.target {
                        AttachTarget::Cgroup(mode) => Some(mode.name().to_string()),
                        AttachTarget::Map(_) => None,
                        AttachTarget::RawTp(_) => Some("link".to_string()),
                        AttachTarget::Iface(_) => Some(iface_mode(opts, a.attach_type)),
                    },
                    replaced_id: a.replaced.as_ref().map(|r| r.id),
                    replaced_name: st.renames.get(&i).map(|r| r.old_name.clone()),
                });
            LoadedProgram {
                name: p.name.clone(),
                section: p.section.clone(),
                prog_type: p.kind.prog_type.to_string(),
                id: h.info.id.0,
                tag: crate::hex::encode(&h.info.tag),
                status: ProgramStatus::Loaded,
                attach,
                not_attached: match &plans[i] {
                    Plan::NotAttached(why) => Some(why.clone()),
                    _ => None,
                },
                verifier_log: h.log.clone(),
                pin_path: st
                    .prog_pins
                    .iter()
                    .find(|(p, _)| *p == i)
                    .map(|(_, path)| path.display().to_string()),
            }
        })
        .collect();
    let maps = st
        .maps
        .iter()
        .map(|m| LoadedMap {
            name: m.name.clone(),
            map_type: MapType(m.info.map_type).to_string(),
            id: m.info.id.0,
            key_size: m.info.key_size,
            value_size: m.info.value_size,
            max_entries: m.info.max_entries,
            status: if m.reused {
                MapStatus::Reused
            } else if m.recreated && m.pinned {
                MapStatus::Recreated
            } else if m.pinned {
                MapStatus::CreatedPinned
            } else {
                MapStatus::Created
            },
            pin_path: if m.reused || m.pinned {
                m.pin_path.as_ref().map(|p| p.display().to_string())
            } else {
                None
            },
        })
        .collect();
    LoadReport {
        object: opts.object.display().to_string(),
        pin_root: opts.pin_root.display().to_string(),
        programs,
        maps,
        warnings,
        refused: Vec::new(),
        removed: st.removed.clone(),
    }
}

/// The `mode` of an interface attachment: `link` for tcx, the XDP mode and `link` for XDP
/// (`link` alone in auto mode).
pub(super) fn iface_mode(opts: &LoadOptions, attach_type: u32) -> String {
    match opts.xdp_mode {
        _ if attach_type != AttachType::XDP.0 => "link".to_string(),
        XdpMode::Auto => "link".to_string(),
        m => format!("{} mode, link", m.name()),
    }
}
