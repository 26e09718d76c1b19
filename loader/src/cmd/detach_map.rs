//! `detach OBJ` for programs attached to a map: an `sk_msg` / `sk_skb` program of OBJ is
//! detached from the object's pinned SOCKMAP/SOCKHASH it was attached to by `load`.
//!
//! `load` writes no attach record for map attachments (a map holds one program per attach
//! type, and `load` replaces it in place), so the program is found by asking the map:
//! `BPF_PROG_QUERY` with the map fd as target (Linux 5.19 and later), then detached with
//! `BPF_PROG_DETACH` (target = map fd, `attach_bpf_fd` = the program, the attach type) if
//! it carries the object's program name. Sockets already in the map keep the program they
//! picked up when they were added (the kernel copies a map's programs into a socket only
//! then); see `docs/performance.md`, "The fast path".

use std::os::fd::AsFd;
use std::path::Path;

use rawbpf_abi::AttachType;
use rawbpf_elf::Object;
use rawbpf_syscalls as sys;

use crate::attach::plan::{Plan, plan};
use crate::error::{Result, bpf_err};
use crate::report::DetachedProgram;
use crate::{host::pin_root, map::create};

/// Detaches every map-attached program of `obj` from its map pinned under `pin_root`.
/// Programs whose map is not pinned there, or not attached, are skipped.
pub(crate) fn detach_object(pin_root: &Path, obj: &Object) -> Result<Vec<DetachedProgram>> {
    let mut out = Vec::new();
    for p in &obj.programs {
        let Plan::Map { attach_type, map } = plan(obj, p, true) else {
            continue;
        };
        let Some(def) = obj.map(&map) else {
            continue;
        };
        let Some(path) = create::pin_path(pin_root, def, true)?.filter(|p| p.exists()) else {
            continue;
        };
        let map_fd = match sys::obj_get(&pin_root::c_path(&path)?) {
            Ok(fd) => fd,
            Err(e) if e.is_enoent() => continue,
            Err(e) => {
                return Err(bpf_err(format!("map {map}: open pin {}", path.display()))(
                    e,
                ));
            }
        };
        // EINVAL: a kernel before 5.19 cannot be asked; nothing to find then.
        let Ok(q) = sys::prog_query(map_fd.as_fd(), attach_type) else {
            continue;
        };
        let want = sys::ObjName::new(&p.name);
        for id in q.prog_ids {
            let Ok(prog) = sys::fd_by_id(sys::IdKind::Prog, id.0) else {
                continue;
            };
            let info = sys::prog_info(prog.as_fd())
                .map_err(bpf_err(format!("info of program {}", id.0)))?;
            if info.name != want.as_str() {
                continue;
            }
            sys::prog_detach(map_fd.as_fd(), Some(prog.as_fd()), attach_type).map_err(bpf_err(
                format!(
                    "program {} (id {}): detach from map {map} ({})",
                    p.name,
                    id.0,
                    AttachType(attach_type)
                ),
            ))?;
            out.push(DetachedProgram {
                id: id.0,
                name: info.name.clone(),
                attach_type: AttachType(attach_type).to_string(),
            });
        }
    }
    Ok(out)
}
