//! A verifier rejection at an instruction a CO-RE relocation poisoned (a call of helper
//! `0xbad2310`, "invalid func unknown#195896080"), explained by the relocation: its kind,
//! the local access path and the BTF it found no match in (libbpf's "failed to resolve
//! CO-RE relocation").

use std::path::Path;

use rawbpf_elf::btf::CoreReloKind;
use rawbpf_elf::btf::core::{CoreOutcome, POISON_HELPER};

use crate::error::{Error, PoisonedRelocation};
use crate::prog::verifier;

/// `e` as [`Error::CorePoisoned`] when it is the verifier refusing a poisoned instruction
/// of one of `core`'s programs; `e` unchanged otherwise. `target`: the BTF resolved against.
pub fn explain(e: Error, core: &[(String, CoreOutcome)], target: &Path) -> Error {
    let Error::Verifier {
        program,
        errno,
        log,
    } = e
    else {
        return e;
    };
    let poisoned: Vec<&CoreOutcome> = core
        .iter()
        .filter(|(p, o)| *p == program && o.poisoned)
        .map(|(_, o)| o)
        .collect();
    let call = format!("unknown#{POISON_HELPER}");
    if poisoned.is_empty() || !log.contains(&call) {
        return Error::Verifier {
            program,
            errno,
            log,
        };
    }
    // The instruction the verdict is about; any poisoned relocation of the program when
    // the log does not say (the first one is then the likeliest to be reached).
    let at = verifier::summarize(&log, None)
        .insns
        .last()
        .map(|i| i.insn as usize);
    let o = poisoned
        .iter()
        .find(|o| Some(o.insn) == at)
        .unwrap_or(&poisoned[0]);
    Error::CorePoisoned {
        program,
        relocation: Box::new(PoisonedRelocation {
            insn: o.insn,
            kind: format!("{:?}", o.kind),
            path: if o.path.is_empty() {
                o.type_name.clone()
            } else {
                o.path.clone()
            },
            access: o.access.clone(),
            target: target.to_path_buf(),
            guard: guard(o.kind),
        }),
        log,
    }
}

/// The `bpf_core_*` macro that makes code depending on a relocation of `kind` skippable.
fn guard(kind: CoreReloKind) -> &'static str {
    use CoreReloKind as K;
    match kind {
        K::TypeExists | K::TypeMatches | K::TypeSize | K::TypeIdLocal | K::TypeIdTarget => {
            "bpf_core_type_exists()"
        }
        K::EnumvalExists | K::EnumvalValue => "bpf_core_enum_value_exists()",
        _ => "bpf_core_field_exists()",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(insn: usize, poisoned: bool) -> CoreOutcome {
        CoreOutcome {
            insn,
            kind: CoreReloKind::FieldByteOffset,
            type_name: "task_struct___fake".into(),
            access: "0:1".into(),
            path: "struct task_struct___fake.rawbpf_no_such_field".into(),
            orig: 4,
            new: 0,
            poisoned,
        }
    }

    #[test]
    fn the_poisoned_call_names_its_relocation() {
        let log = "0: R1=ctx() R10=fp0\n0: (85) call unknown#195896080\n\
                   invalid func unknown#195896080\nprocessed 1 insns\n";
        let core = vec![
            ("p".to_string(), outcome(0, false)),
            ("p".to_string(), outcome(3, true)),
            ("p".to_string(), outcome(0, true)),
        ];
        let e = Error::Verifier {
            program: "p".into(),
            errno: libc::EINVAL,
            log: log.into(),
        };
        let e = explain(e, &core, Path::new("/sys/kernel/btf/vmlinux"));
        let Error::CorePoisoned { relocation: r, .. } = &e else {
            panic!("{e:?}");
        };
        assert_eq!(
            (r.insn, r.path.as_str()),
            (0, "struct task_struct___fake.rawbpf_no_such_field")
        );
        assert_eq!(e.exit_code(), crate::error::ExitCode::Verifier);
        assert_eq!(e.verifier_log(), Some(log));
        // Another program's rejection, or another verdict, stays the verifier's.
        let other = Error::Verifier {
            program: "q".into(),
            errno: libc::EINVAL,
            log: log.into(),
        };
        let other = explain(other, &core, Path::new("/x"));
        assert!(matches!(other, Error::Verifier { .. }), "{other:?}");
    }
}
