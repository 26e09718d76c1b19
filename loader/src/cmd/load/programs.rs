//! The program steps of `load`: every program relocated against this run's maps and loaded,
//! then pinned under `<pin-root>/progs/` with `--pin-progs`.

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd};

use rawbpf_elf::Object;
use rawbpf_syscalls as sys;

use super::LoadOptions;
use super::state::{ProgHandle, State, Undo, ensure_dir_tracked};
use crate::attach::prog_pins;
use crate::error::{Error, Result, bpf_err};
use crate::prog::{load, relocate};

/// Relocates and loads every program of `obj`, in order.
pub(super) fn load_all(opts: &LoadOptions, obj: &Object, st: &mut State) -> Result<()> {
    let btf_fd = st.btf.as_ref().map(|f| f.as_fd());
    let mut fds = relocate::Fds::default();
    for m in &st.maps {
        match (&m.def, &m.section) {
            (Some(def), _) => fds.maps.insert(def.name.clone(), m.fd.as_raw_fd()),
            (_, Some(sec)) => fds.sections.insert(sec.clone(), m.fd.as_raw_fd()),
            _ => None,
        };
    }
    let license = CString::new(obj.license.as_str()).map_err(|_| Error::Unsupported {
        what: "license contains a NUL byte".to_string(),
    })?;
    let params = load::LoadParams {
        license: &license,
        kern_version: obj.kernel_version.unwrap_or(0),
        btf: btf_fd,
        verbose: opts.verbose,
    };
    for p in &obj.programs {
        let insns = relocate::relocate(p, &fds)?;
        let loaded = match load::load(p, &insns, params) {
            Ok(loaded) => loaded,
            Err(e) if opts.skip_refused && e.is_program_refusal() => {
                return Err(Error::SkipRefused {
                    program: p.name.clone(),
                    source: Box::new(e),
                });
            }
            Err(e) => return Err(e),
        };
        let info = sys::prog_info(loaded.fd.as_fd())
            .map_err(bpf_err(format!("program {}: info", p.name)))?;
        st.progs.push(ProgHandle {
            fd: loaded.fd,
            info,
            log: loaded.log,
        });
    }
    Ok(())
}

/// `--pin-progs`: pins each loaded program; a previous load's pin of that name is replaced,
/// and put back on rollback.
pub(super) fn pin_all(opts: &LoadOptions, obj: &Object, st: &mut State) -> Result<()> {
    ensure_dir_tracked(st, &prog_pins::dir(&opts.pin_root))?;
    for (i, p) in obj.programs.iter().enumerate() {
        let Some(fd) = st.progs.get(i).map(|h| h.fd.as_fd()) else {
            continue;
        };
        let (path, restore) = prog_pins::pin(fd, &opts.pin_root, &p.name)?;
        st.undo.push(Undo::Pin {
            path: path.clone(),
            restore,
        });
        st.prog_pins.push((i, path));
    }
    Ok(())
}
