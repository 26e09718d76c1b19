//! The first step of `load`, before any bpf(2) call: where each map pins, bpffs (mounted on
//! `--mount-bpffs`), the pin root checked, the cgroup opened, and the pin root locked so that
//! the pins and records read afterwards stay true until the load is done.

use std::path::PathBuf;

use rawbpf_elf::Object;

use super::LoadOptions;
use super::state::{State, Undo};
use crate::attach::plan::Plan;
use crate::error::Result;
use crate::host::cgroup::Cgroup;
use crate::host::{lock, pin_root};
use crate::map::create;

/// Checks the environment and locks the pin root; returns each object map's pin path.
pub(super) fn enter(
    opts: &LoadOptions,
    obj: &Object,
    plans: &[Plan],
    st: &mut State,
) -> Result<Vec<Option<PathBuf>>> {
    let any_cgroup = plans.iter().any(|p| matches!(p, Plan::Cgroup { .. }));
    let mut pin_paths = Vec::with_capacity(obj.maps.len());
    let mut object_bytes = None;
    for def in &obj.maps {
        // iproute2 maps (PIN_GLOBAL_NS / PIN_OBJECT_NS) pin under <pin-root>/tc/.
        if opts.pin
            && matches!(
                def.pinning,
                rawbpf_elf::Pinning::GlobalNs | rawbpf_elf::Pinning::ObjectNs
            )
        {
            pin_root::validate_pin_name(&def.name)?;
            if object_bytes.is_none() {
                object_bytes = Some(
                    std::fs::read(&opts.object)
                        .map_err(crate::error::io_err("read", &opts.object))?,
                );
            }
            let bytes = object_bytes.as_deref().unwrap_or_default();
            pin_paths.push(crate::attach::prog_pins::iproute2_pin_path(
                &opts.pin_root,
                bytes,
                def,
            ));
            continue;
        }
        pin_paths.push(create::pin_path(&opts.pin_root, def, opts.pin)?);
    }
    if opts.mount_bpffs {
        pin_root::mount_bpffs()?;
    }
    // An interface or raw tracepoint attachment is recorded under the pin root, as a
    // cgroup one is.
    let any_iface = plans
        .iter()
        .any(|p| matches!(p, Plan::Iface { .. } | Plan::RawTp { .. }));
    let shared =
        any_cgroup || any_iface || pin_paths.iter().any(Option::is_some) || opts.compat.pin_progs;
    if shared {
        pin_root::check(&opts.pin_root)?;
    }
    if any_cgroup {
        st.cgroup = Some(Cgroup::open(&opts.cgroup)?);
    }
    // One rawbpf at a time on this pin root: the pins and records read below stay true
    // until this load is done.
    if shared && let Some((held, created)) = lock::acquire(&opts.pin_root, true)? {
        if created {
            st.undo.push(Undo::Dir(opts.pin_root.clone()));
        }
        st.lock = Some(held);
    }
    Ok(pin_paths)
}

/// With `--no-pin`, the maps that are pinned under the pin root all the same: this load
/// makes new, empty ones, so the programs it attaches stop using the pinned maps and what
/// they hold (a sockhash's sockets). Said, not refused: it may be what the user wants.
pub(super) fn unpinned_over_pins(opts: &LoadOptions, obj: &Object) -> Vec<String> {
    if opts.pin {
        return Vec::new();
    }
    obj.maps
        .iter()
        .filter_map(|def| {
            let path = create::pin_path(&opts.pin_root, def, true).ok()??;
            path.exists().then(|| {
                format!(
                    "--no-pin: map {} is pinned at {}, but this load creates a new, empty map; \
                     the programs it attaches use the new one, not the pinned map or its entries",
                    def.name,
                    path.display()
                )
            })
        })
        .collect()
}

/// With `--no-attach`, the pins this load makes all the same: the maps (and the pin root)
/// stay after rawbpf exits, while the programs go with it unless `--pin-progs` keeps them.
/// Said, not refused: pre-creating pinned maps for another loader is a use.
pub(super) fn pinned_without_attach(
    opts: &LoadOptions,
    obj: &Object,
    pin_paths: &[Option<PathBuf>],
) -> Option<String> {
    if opts.attach {
        return None;
    }
    let new: Vec<String> = obj
        .maps
        .iter()
        .zip(pin_paths)
        .filter_map(|(def, path)| {
            let path = path.as_ref()?;
            (!path.exists()).then(|| format!("{} at {}", def.name, path.display()))
        })
        .collect();
    if new.is_empty() {
        return None;
    }
    let progs = if opts.compat.pin_progs {
        "its programs stay pinned under the pin root's progs/"
    } else {
        "its programs are unloaded when rawbpf exits (--pin-progs keeps them)"
    };
    Some(format!(
        "--no-attach: this load pins {} (they stay after rawbpf exits; --no-pin pins nothing); {progs}",
        new.join(", ")
    ))
}
