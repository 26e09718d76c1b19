//! `BPF_PROG_LOAD` of one relocated program, with the verifier log on failure.
//!
//! The first attempt asks for no log (the fast path). When it fails, the load is repeated with
//! log level 1 and a 64 KiB buffer, growing ×4 on ENOSPC up to 16 MiB, and the log goes into
//! [`Error::Verifier`]. With `verbose`, the log (level 1 | stats) is requested on success too.
//! EPERM with an empty log is no verifier verdict but the kernel refusing the program
//! ([`Error::LoadRefused`], [`failure`]).

use std::ffi::CStr;
use std::os::fd::{BorrowedFd, OwnedFd};

use rawbpf_elf::Program;
use rawbpf_elf::btf::{FuncInfo, LineInfo};
use rawbpf_syscalls as sys;

use crate::error::{Error, Result, bpf_err};
use crate::{host::kernel_types, host::memlock, prog::log};

/// `BPF_LOG_LEVEL1`.
const LOG_LEVEL1: u32 = 1;
/// `BPF_LOG_STATS`.
const LOG_STATS: u32 = 4;

/// A loaded program: its fd and, when asked for, the verifier log of the successful load.
#[derive(Debug)]
pub struct Loaded {
    pub fd: OwnedFd,
    pub log: Option<String>,
}

/// `struct bpf_func_info` records, 8 bytes each.
pub fn encode_func_info(records: &[FuncInfo]) -> Vec<u8> {
    records
        .iter()
        .flat_map(|r| [r.insn_off.to_le_bytes(), r.type_id.to_le_bytes()].concat())
        .collect()
}

/// `struct bpf_line_info` records, 16 bytes each.
pub fn encode_line_info(records: &[LineInfo]) -> Vec<u8> {
    records
        .iter()
        .flat_map(|r| {
            [
                r.insn_off.to_le_bytes(),
                r.file_name_off.to_le_bytes(),
                r.line_off.to_le_bytes(),
                r.line_col.to_le_bytes(),
            ]
            .concat()
        })
        .collect()
}

/// What a program load needs besides the program itself.
#[derive(Debug, Clone, Copy)]
pub struct LoadParams<'a> {
    pub license: &'a CStr,
    pub kern_version: u32,
    /// The object's BTF, when the kernel accepted it.
    pub btf: Option<BorrowedFd<'a>>,
    /// Request the verifier log on success too.
    pub verbose: bool,
}

/// Loads `program` from its relocated, encoded instructions.
pub fn load(program: &Program, insns: &[u8], params: LoadParams<'_>) -> Result<Loaded> {
    let use_btf = params.btf.filter(|_| !program.func_info.is_empty());
    let func_info = if use_btf.is_some() {
        encode_func_info(&program.func_info)
    } else {
        Vec::new()
    };
    let line_info = if use_btf.is_some() {
        encode_line_info(&program.line_info)
    } else {
        Vec::new()
    };
    let spec = sys::ProgLoad {
        prog_type: program.kind.prog_type.0,
        expected_attach_type: program.kind.expected_attach_type.map_or(0, |a| a.0),
        name: sys::ObjName::new(&program.name),
        insns,
        license: params.license,
        kern_version: params.kern_version,
        // `.s` sections are sleepable, `xdp.frags` has frags (the section says so).
        prog_flags: rawbpf_elf::section::prog_flags(&program.section),
        prog_btf_fd: use_btf,
        func_info: &func_info,
        line_info: &line_info,
        attach_btf_id: program.attach_btf_id.unwrap_or(0),
    };
    let what = || format!("program {}", program.name);

    if !params.verbose {
        match memlock::retry(
            |e: &sys::ProgLoadError| e.source.errno,
            || sys::prog_load(&spec, 0, None),
        ) {
            Ok(fd) => return Ok(Loaded { fd, log: None }),
            Err(e) => {
                if let err @ (Error::Privileges { .. } | Error::Memlock { .. }) =
                    bpf_err(what())(e.source)
                {
                    return Err(err);
                }
            }
        }
    }

    let level = if params.verbose {
        LOG_LEVEL1 | LOG_STATS
    } else {
        LOG_LEVEL1
    };
    let mut size = log::LOG_START;
    loop {
        let mut buf = vec![0u8; size];
        match memlock::retry(
            |e: &sys::ProgLoadError| e.source.errno,
            || sys::prog_load(&spec, level, Some(&mut buf)),
        ) {
            Ok(fd) => {
                return Ok(Loaded {
                    fd,
                    log: Some(log::text(&buf)),
                });
            }
            Err(e) if e.source.errno == libc::ENOSPC && size < log::LOG_MAX => size *= 4,
            Err(e) => {
                let text = if e.log.is_empty() {
                    log::text(&buf)
                } else {
                    e.log
                };
                if e.source.errno == libc::ENOSPC && params.verbose {
                    // The log did not fit even at the largest size; load without it.
                    if let Ok(fd) = sys::prog_load(&spec, 0, None) {
                        return Ok(Loaded {
                            fd,
                            log: Some(text),
                        });
                    }
                }
                if let Some(err) = lacking_in_kernel(program, &e.source, &text) {
                    return Err(err);
                }
                return Err(failure(
                    &program.name,
                    e.source,
                    text,
                    &crate::host::privileges::missing_for(sys::Cmd::ProgLoad),
                ));
            }
        }
    }
}

/// An EINVAL that the kernel's BTF explains, as [`Error::KernelLacks`]: a program type it
/// does not list (refused before the verifier said anything), or helper functions it does
/// not have (older verifiers fail on them in ways that do not name the helper, e.g. a
/// `bpf_loop` callback miscounted as "number of funcs in func_info doesn't match").
fn lacking_in_kernel(program: &Program, source: &sys::Error, log: &str) -> Option<Error> {
    if source.errno != libc::EINVAL {
        return None;
    }
    let err = || Error::Bpf {
        what: format!("program {}", program.name),
        source: source.clone(),
    };
    if log.trim().is_empty() {
        let kind = format!("{} programs", program.kind.prog_type);
        let prog_type = program.kind.prog_type.0;
        if let e @ Error::KernelLacks { .. } =
            kernel_types::explain_einval(err(), "bpf_prog_type", prog_type, kind, None)
        {
            return Some(e);
        }
    }
    let mut helpers: Vec<u32> = program
        .insns
        .iter()
        .filter(|i| i.code == rawbpf_elf::Insn::CALL && i.src_reg == 0)
        // A poisoned CO-RE instruction is no helper the kernel lacks (`prog::poisoned`).
        .filter(|i| i.imm != rawbpf_elf::btf::core::POISON_HELPER)
        .filter_map(|i| u32::try_from(i.imm).ok())
        .collect();
    helpers.sort_unstable();
    helpers.dedup();
    let missing = kernel_types::enum_lacks("bpf_func_id", &helpers)?;
    let first = *missing.first()?;
    let ids: Vec<String> = missing
        .iter()
        .map(|&id| match rawbpf_abi::helper_name(id) {
            Some(name) => format!("{id} (bpf_{name})"),
            None => id.to_string(),
        })
        .collect();
    let plural = if ids.len() == 1 { "" } else { "s" };
    let kind = format!("helper function{plural} {}", ids.join(", "));
    Some(kernel_types::explain_einval(
        err(),
        "bpf_func_id",
        first,
        kind,
        None,
    ))
}

/// What a failed `BPF_PROG_LOAD` means, from its errno and verifier log (`missing`: the
/// capabilities a program load may need that this process lacks):
///
/// * EPERM while a capability is missing, or the verifier refusing a helper ("cannot use
///   helper", e.g. `bpf_trace_printk` without CAP_PERFMON) while CAP_PERFMON is missing:
///   [`Error::Privileges`] naming them (exit 4);
/// * EPERM with an empty log: the kernel refused the program before the verifier said
///   anything (a missing CAP_NET_ADMIN or CAP_PERFMON for the program type, lockdown, an
///   LSM): [`Error::LoadRefused`] (exit 4);
/// * anything else: the verifier's verdict, [`Error::Verifier`] (exit 6).
pub(crate) fn failure(
    program: &str,
    source: sys::Error,
    log: String,
    missing: &[&'static str],
) -> Error {
    let helper_refused = log.contains("cannot use helper") && missing.contains(&"CAP_PERFMON");
    if (source.errno == libc::EPERM || helper_refused) && !missing.is_empty() {
        return Error::Privileges {
            what: format!("program {program}"),
            missing: missing.to_vec(),
            source,
        };
    }
    let empty = log
        .trim_matches(|c: char| c.is_whitespace() || c == '\0')
        .is_empty();
    if source.errno == libc::EPERM && empty {
        return Error::LoadRefused {
            program: program.to_string(),
            lockdown: crate::host::lockdown::clause(),
            source,
        };
    }
    Error::Verifier {
        program: program.to_string(),
        errno: source.errno,
        log,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ExitCode;

    fn load_error(errno: i32) -> sys::Error {
        sys::Error {
            cmd: sys::Cmd::ProgLoad,
            errno,
        }
    }

    #[test]
    fn eperm_without_a_log_is_a_refusal_not_a_verdict() {
        for log in ["", "\n", "  \n\0"] {
            let e = failure("knobs", load_error(libc::EPERM), log.to_string(), &[]);
            assert!(matches!(e, Error::LoadRefused { .. }), "{log:?}: {e:?}");
            assert_eq!(e.exit_code(), ExitCode::Environment);
            assert_eq!(e.verifier_log(), None);
            let text = e.to_string();
            assert!(text.contains("without a verifier verdict"), "{text}");
            assert!(!text.contains("verifier rejected"), "{text}");
            let hint = e.hint().unwrap_or_default();
            for cause in [
                "CAP_BPF",
                "CAP_PERFMON",
                "bpf_printk",
                "CAP_NET_ADMIN",
                "lockdown",
                "LSM",
            ] {
                assert!(hint.contains(cause), "hint lacks {cause}: {hint}");
            }
        }
    }

    #[test]
    fn load_failures_are_classified() {
        // The verifier spoke: its verdict, whatever the errno.
        let log = "0: (95) exit\nR0 !read_ok\n".to_string();
        let e = failure("p", load_error(libc::EPERM), log.clone(), &[]);
        assert!(
            matches!(
                e,
                Error::Verifier {
                    errno: libc::EPERM,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.exit_code(), ExitCode::Verifier);
        let e = failure("p", load_error(libc::EACCES), log, &[]);
        assert_eq!(e.exit_code(), ExitCode::Verifier);
        assert!(e.to_string().contains("the verifier rejected it"), "{e}");
        // No CAP_BPF/CAP_SYS_ADMIN at all: the privileges error, with or without a log.
        let e = failure("p", load_error(libc::EPERM), String::new(), &["CAP_BPF"]);
        assert!(matches!(e, Error::Privileges { .. }), "{e:?}");
        assert_eq!(e.exit_code(), ExitCode::Environment);
        // A helper refused for want of CAP_PERFMON is a privilege problem, not a bug.
        let log = "29: (85) call bpf_trace_printk#6\nprogram of this type cannot use helper \
                   bpf_trace_printk#6\n"
            .to_string();
        let e = failure("p", load_error(libc::EINVAL), log.clone(), &["CAP_PERFMON"]);
        assert!(matches!(e, Error::Privileges { .. }), "{e:?}");
        assert!(e.to_string().contains("CAP_PERFMON"), "{e}");
        let e = failure("p", load_error(libc::EINVAL), log, &[]);
        assert_eq!(e.exit_code(), ExitCode::Verifier);
        // Other errnos with an empty log stay what they were.
        let e = failure("p", load_error(libc::EINVAL), String::new(), &[]);
        assert!(
            matches!(
                e,
                Error::Verifier {
                    errno: libc::EINVAL,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn encodes_btf_ext_records() {
        let f = encode_func_info(&[
            FuncInfo {
                insn_off: 0,
                type_id: 5,
            },
            FuncInfo {
                insn_off: 30,
                type_id: 7,
            },
        ]);
        assert_eq!(f, [0, 0, 0, 0, 5, 0, 0, 0, 30, 0, 0, 0, 7, 0, 0, 0]);
        let l = encode_line_info(&[LineInfo {
            insn_off: 1,
            file_name_off: 2,
            line_off: 3,
            line_col: (40 << 10) | 5,
        }]);
        assert_eq!(l.len(), 16);
        assert_eq!(&l[12..16], &((40u32 << 10) | 5).to_le_bytes());
    }
}
