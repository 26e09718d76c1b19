//! The map steps of `load`: object maps reused from their pins or created, internal maps for
//! global data, the initial values of new maps, and their pins (a pin always names a
//! complete map).

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::path::{Path, PathBuf};

use rawbpf_elf::{MapDef, MapType, Object};
use rawbpf_syscalls as sys;

use super::LoadOptions;
use super::state::{MapHandle, State, Undo, ensure_dir_tracked};
use super::unchanged::Reusable;
use crate::error::{Error, Result, bpf_err};
use crate::host::pin_root;
use crate::map::{create, global_data, owned};

/// Object maps: the compatible pins reused (the unchanged check's, else opened now), the
/// rest created. Nothing is pinned yet.
pub(super) fn object_maps(
    opts: &LoadOptions,
    obj: &Object,
    st: &mut State,
    reusable: &mut Reusable,
    pin_paths: Vec<Option<PathBuf>>,
) -> Result<()> {
    let btf_fd = st.btf.as_ref().map(|f| f.as_fd());
    let obj_btf = obj.btf_for_kernel.as_ref().or(obj.btf.as_ref());
    for (def, pin_path) in obj.maps.iter().zip(pin_paths) {
        let found = match (reusable.take_pinned(&def.name), &pin_path) {
            (Some((fd, info)), _) => create::Pinned::Compatible(fd, info),
            (None, Some(path)) => create::open_pinned(def, path, obj_btf)?,
            (None, None) => create::Pinned::Absent,
        };
        let (fd, info, reused, replaces) = match found {
            create::Pinned::Compatible(fd, info) => (fd, info, true, None),
            create::Pinned::Incompatible {
                fd: old,
                mut mismatches,
            } => {
                if !opts.replace_incompatible {
                    let sizes = &opts.compat.map_sizes;
                    crate::prepare::map_sizes::annotate(&mut mismatches, &def.name, sizes);
                    return Err(Error::PinnedMapConflict {
                        map: def.name.clone(),
                        path: pin_path.clone().unwrap_or_default(),
                        mismatches,
                    });
                }
                let (fd, info) = create_map(def, btf_fd)?;
                (fd, info, false, Some(old))
            }
            create::Pinned::Absent => {
                let (fd, info) = create_map(def, btf_fd)?;
                (fd, info, false, None)
            }
        };
        st.maps.push(MapHandle {
            name: def.name.clone(),
            def: Some(def.clone()),
            section: None,
            fd,
            info,
            reused,
            recreated: replaces.is_some(),
            replaces,
            pin_path,
            pinned: false,
        });
    }
    Ok(())
}

/// Internal maps for global data: a previous program's equal frozen `.rodata` reused, the
/// rest created with the section's bytes.
pub(super) fn internal_maps(
    opts: &LoadOptions,
    obj: &Object,
    st: &mut State,
    reusable: &mut Reusable,
) -> Result<()> {
    let btf_fd = st.btf.as_ref().map(|f| f.as_fd());
    let obj_name = global_data::object_name(&opts.object);
    for section in &obj.data {
        let name = global_data::internal_map_name(&obj_name, &section.name);
        let (fd, info, reused) = match reusable.take(&section.name) {
            Some((fd, info)) => (fd, info, true),
            None => {
                let Some(fd) = global_data::create(section, &name, btf_fd)? else {
                    continue;
                };
                // For the ID in the report: the map's only info call.
                let info =
                    sys::map_info(fd.as_fd()).map_err(bpf_err(format!("map {name}: info")))?;
                (fd, info, false)
            }
        };
        st.maps.push(MapHandle {
            name,
            def: None,
            section: Some(section.name.clone()),
            fd,
            info,
            reused,
            replaces: None,
            recreated: false,
            pin_path: None,
            pinned: false,
        });
    }
    Ok(())
}

/// Creates an object map and reads back what the kernel made of it (its ID, for the report).
fn create_map(def: &MapDef, btf: Option<BorrowedFd<'_>>) -> Result<(sys::MapFd, sys::MapInfo)> {
    let fd = create::create(def, btf)?;
    let info = sys::map_info(fd.as_fd()).map_err(bpf_err(format!("map {}: info", def.name)))?;
    Ok((fd, info))
}

/// Pins a created map. A replaced incompatible pin is removed first (its map stays open for
/// rollback); EEXIST means another program pinned there meanwhile, and the load starts over.
pub(super) fn pin_map(pin_root: &Path, st: &mut State, i: usize) -> Result<()> {
    // iproute2 pins live in subdirectories (tc/globals, tc/<object>): create them.
    let parent = st.maps[i]
        .pin_path
        .as_ref()
        .and_then(|p| p.parent())
        .map(Path::to_path_buf);
    if let (false, Some(parent)) = (st.maps[i].reused, parent) {
        ensure_dir_tracked(st, &parent)?;
    }
    let m = &mut st.maps[i];
    let (false, Some(path), Some(def)) = (m.reused, m.pin_path.clone(), m.def.as_ref()) else {
        return Ok(());
    };
    let name = def.name.clone();
    let id = m.info.id.0;
    // Marked as rawbpf's before it is pinned, so that no crash leaves a pin of ours
    // unmarked (`map::owned`; `detach --unpin` removes only marked pins).
    ensure_dir_tracked(st, &owned::mark(pin_root, &name, id))?;
    let m = &mut st.maps[i];
    let c = pin_root::c_path(&path)?;
    let restore = m.replaces.take();
    if restore.is_some() {
        std::fs::remove_file(&path)
            .map_err(crate::error::io_err("remove incompatible pin", &path))?;
    }
    let pinned = sys::obj_pin(m.fd.as_fd(), &c);
    match pinned {
        Ok(()) => {
            m.pinned = true;
            st.undo.push(Undo::Pin { path, restore });
            Ok(())
        }
        Err(e) => {
            if let Some(old) = &restore {
                let _ = sys::obj_pin(old.as_fd(), &c);
            }
            if e.errno == libc::EEXIST {
                Err(Error::PinRace { map: name, path })
            } else {
                Err(bpf_err(format!("map {name}: pin {}", path.display()))(e))
            }
        }
    }
}

/// Writes the static `.values` of created prog arrays and map-in-maps (never of reused maps).
pub(super) fn fill_initial_values(obj: &Object, st: &State) -> Result<()> {
    let progs: HashMap<&str, RawFd> = obj
        .programs
        .iter()
        .zip(&st.progs)
        .map(|(p, h)| (p.name.as_str(), h.fd.as_raw_fd()))
        .collect();
    let maps_by_name: HashMap<&str, RawFd> = st
        .maps
        .iter()
        .map(|m| (m.name.as_str(), m.fd.as_raw_fd()))
        .collect();
    for m in &st.maps {
        let Some(def) = m
            .def
            .as_ref()
            .filter(|d| !m.reused && !d.initial_values.is_empty())
        else {
            continue;
        };
        for v in &def.initial_values {
            let target = if def.map_type == MapType::PROG_ARRAY {
                progs.get(v.symbol.as_str())
            } else {
                maps_by_name.get(v.symbol.as_str())
            };
            let Some(target) = target else {
                return Err(Error::Unsupported {
                    what: format!(
                        "map {}: initial value [{}] refers to unknown {}",
                        def.name, v.index, v.symbol
                    ),
                });
            };
            let fd = u32::try_from(*target).unwrap_or(0);
            sys::map_update_elem(
                &m.fd,
                &v.index.to_ne_bytes(),
                &fd.to_ne_bytes(),
                sys::UpdateFlags::Any,
            )
            .map_err(bpf_err(format!(
                "map {}: initial value [{}] = {}",
                def.name, v.index, v.symbol
            )))?;
        }
    }
    Ok(())
}
