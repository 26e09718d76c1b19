//! `attach_btf_id` of programs that name their kernel attach point in the section
//! (`tp_btf/X`, `fentry/X`, `fexit/X`, `fmod_ret/X`, `lsm/X`, `lsm_cgroup/X`, `iter/X`): the
//! kernel wants the BTF id of that point at load time, looked up in vmlinux BTF the way
//! libbpf does (`btf_trace_X`, `X`, `bpf_lsm_X`, `bpf_iter_X`).

use rawbpf_abi::{AttachType, ProgType};
use rawbpf_elf::btf::BtfType;
use rawbpf_elf::btf::core::CoreTarget;
use rawbpf_elf::{Object, Program};

use crate::error::{Error, Result};

/// What kind of kernel BTF entry a program attaches to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// A `TYPEDEF` (`btf_trace_<tracepoint>`).
    Typedef,
    /// A `FUNC`.
    Func,
}

/// The kernel BTF name a program's attach point has, if its type needs one.
fn target(p: &Program) -> Option<(String, Want)> {
    let name = p.kind.attach_target.as_deref()?;
    let attach = p.kind.expected_attach_type?;
    match (p.kind.prog_type, attach) {
        (ProgType::TRACING, AttachType::TRACE_RAW_TP) => {
            Some((format!("btf_trace_{name}"), Want::Typedef))
        }
        (
            ProgType::TRACING,
            AttachType::TRACE_FENTRY | AttachType::TRACE_FEXIT | AttachType::MODIFY_RETURN,
        ) => Some((name.to_string(), Want::Func)),
        (ProgType::TRACING, AttachType::TRACE_ITER) => {
            Some((format!("bpf_iter_{name}"), Want::Func))
        }
        (ProgType::LSM, _) => Some((format!("bpf_lsm_{name}"), Want::Func)),
        _ => None,
    }
}

/// Kernel BTF names the object's programs attach to (empty when none needs one).
pub fn names(obj: &Object) -> Vec<String> {
    obj.programs
        .iter()
        .filter_map(target)
        .map(|(n, _)| n)
        .collect()
}

/// Fills `attach_btf_id` of every program that needs one.
pub fn resolve(obj: &mut Object, kernel: &CoreTarget<'_>) -> Result<()> {
    for p in &mut obj.programs {
        let Some((name, want)) = target(p) else {
            continue;
        };
        let found = kernel.named(&name).into_iter().find(|&id| {
            kernel.btf().type_name(id).ok() == Some(name.as_str())
                && match kernel.btf().type_by_id(id) {
                    Ok(BtfType::Typedef(_)) => want == Want::Typedef,
                    Ok(BtfType::Func(_)) => want == Want::Func,
                    _ => false,
                }
        });
        match found {
            Some(id) => p.attach_btf_id = Some(id),
            None => {
                return Err(Error::Unsupported {
                    what: format!(
                        "program {}: section {} attaches to {name}, which the running kernel's \
                         BTF does not have (functions of kernel modules are not resolved yet)",
                        p.name, p.section
                    ),
                });
            }
        }
    }
    Ok(())
}
