//! Resolving an object's externs against the running kernel, before its programs load.
//!
//! - `__kconfig`: values from the kernel's configuration (`/proc/config.gz`, else
//!   `/boot/config-<release>`), `LINUX_KERNEL_VERSION` from `uname` (as libbpf reads it),
//!   `LINUX_HAS_BPF_COOKIE` and `LINUX_HAS_SYSCALL_WRAPPER` probed (`host::kernel_facts`),
//!   written into the `.kconfig` data section the parser laid out (a frozen read-only map,
//!   like libbpf's).
//! - typeless `__ksym` variables: the address from `/proc/kallsyms`, as an `ld_imm64` constant.
//! - typed `__ksym` variables: the `VAR`'s id in the kernel BTF (`BPF_PSEUDO_BTF_ID`).
//! - kfuncs: the `FUNC`'s id in the kernel BTF (`BPF_PSEUDO_KFUNC_CALL`), prototypes checked.
//!
//! A `__weak` extern the kernel does not have reads as zero (a kfunc call becomes a call of an
//! invalid helper, which the verifier only rejects when it is reachable, as libbpf does); a
//! strong one is an error naming it. See `docs/objects.md`.

use std::collections::HashMap;

use rawbpf_abi::Insn;
use rawbpf_elf::btf::core::{CoreTarget, types_compatible};
use rawbpf_elf::btf::{Btf, BtfType};
use rawbpf_elf::{DataSection, Extern, ExternKind, Object, Relocation};

use crate::error::{Error, Result};
use crate::host::kernel_config::{kernel_version_code, read_kernel_config};
use crate::host::kernel_facts::{has_bpf_cookie, has_syscall_wrapper};

/// libbpf's `POISON_CALL_KFUNC_BASE`: an unresolved weak kfunc call becomes a call of helper
/// `base + extern index`, invalid unless unreachable.
const POISON_CALL_KFUNC_BASE: i32 = 2_002_000_000;

fn unsupported(what: String) -> Error {
    Error::Unsupported { what }
}

/// True when resolving the object's `__ksym` externs needs the kernel BTF.
pub fn needs_kernel_btf(obj: &Object) -> bool {
    obj.externs.iter().any(|e| {
        matches!(
            e.kind,
            ExternKind::Kfunc { .. } | ExternKind::Ksym { type_id: Some(_) }
        )
    })
}

/// Writes the values of the `__kconfig` externs into the `.kconfig` data section.
pub fn fill_kconfig(obj: &mut Object) -> Result<()> {
    let wanted: Vec<Extern> = obj
        .externs
        .iter()
        .filter(|e| matches!(e.kind, ExternKind::Kconfig { .. }))
        .cloned()
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let btf = obj
        .btf
        .clone()
        .ok_or_else(|| unsupported("__kconfig externs without BTF".into()))?;
    let needs_config = wanted.iter().any(|e| e.name.starts_with("CONFIG_"));
    let config = if needs_config {
        read_kernel_config()?
    } else {
        HashMap::new()
    };
    let Some(section) = obj.data.iter_mut().find(|d| d.name == ".kconfig") else {
        return Err(unsupported(
            "__kconfig externs but no .kconfig section".into(),
        ));
    };
    for e in &wanted {
        let ExternKind::Kconfig {
            type_id,
            offset,
            size,
        } = e.kind
        else {
            continue;
        };
        let value = match e.name.as_str() {
            "LINUX_KERNEL_VERSION" => Some(KValue::Int(u64::from(kernel_version_code()?))),
            "LINUX_HAS_BPF_COOKIE" => Some(KValue::Int(u64::from(has_bpf_cookie()))),
            "LINUX_HAS_SYSCALL_WRAPPER" => Some(KValue::Int(u64::from(has_syscall_wrapper()))),
            name if name.starts_with("LINUX_") => {
                return Err(unsupported(format!(
                    "extern {name}: not one of the externs libbpf provides (LINUX_KERNEL_VERSION, \
                     LINUX_HAS_BPF_COOKIE, LINUX_HAS_SYSCALL_WRAPPER; configuration values are \
                     CONFIG_*)"
                )));
            }
            name => config.get(name).map(|v| parse_config_value(v)),
        };
        let Some(value) = value else {
            if e.weak {
                continue;
            }
            return Err(unsupported(format!(
                "extern {}: not set in the running kernel's configuration (declare it __weak to \
                 read it as 0 when absent)",
                e.name
            )));
        };
        let bytes = encode(&btf, type_id, size, &value)
            .map_err(|why| unsupported(format!("extern {}: {why}", e.name)))?;
        write_at(section, offset, &bytes, &e.name)?;
    }
    Ok(())
}

fn write_at(section: &mut DataSection, offset: u32, bytes: &[u8], name: &str) -> Result<()> {
    let start = offset as usize;
    let slot = start
        .checked_add(bytes.len())
        .and_then(|end| section.bytes.get_mut(start..end))
        .ok_or_else(|| unsupported(format!("extern {name}: outside .kconfig")))?;
    slot.copy_from_slice(bytes);
    Ok(())
}

/// A configuration value: `y`/`m`/`n`, a number, or a quoted string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KValue {
    Tristate(u8),
    Int(u64),
    Str(String),
}

fn parse_config_value(v: &str) -> KValue {
    match v {
        "y" => KValue::Tristate(b'y'),
        "m" => KValue::Tristate(b'm'),
        "n" => KValue::Tristate(b'n'),
        _ if v.starts_with('"') => KValue::Str(v.trim_matches('"').replace("\\\"", "\"")),
        _ => {
            let n = if let Some(hex) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
                u64::from_str_radix(hex, 16).ok()
            } else if let Some(neg) = v.strip_prefix('-') {
                neg.parse::<u64>().ok().map(|n| n.wrapping_neg())
            } else {
                v.parse::<u64>().ok()
            };
            match n {
                Some(n) => KValue::Int(n),
                None => KValue::Str(v.to_string()),
            }
        }
    }
}

/// The bytes of `value` for a `__kconfig` variable of type `type_id` (`size` bytes), with
/// libbpf's rules: `bool` takes y/n, `enum libbpf_tristate` y/n/m, `char[N]` a string, an
/// integer a number (or y=1, n=0, m=2).
fn encode(
    btf: &Btf,
    type_id: u32,
    size: u32,
    value: &KValue,
) -> std::result::Result<Vec<u8>, String> {
    let (_, t) = btf.resolve(type_id).map_err(|e| e.to_string())?;
    let size = size as usize;
    let int = |n: u64| -> std::result::Result<Vec<u8>, String> {
        if size < 8 && n >> (size * 8) != 0 && (n as i64) >= 0 {
            return Err(format!("value {n} does not fit {size} bytes"));
        }
        Ok(n.to_le_bytes()[..size.min(8)].to_vec())
    };
    match (t, value) {
        (BtfType::Int(i), KValue::Tristate(c)) if i.encoding & 4 != 0 || size == 1 => match c {
            b'y' => int(1),
            b'n' => int(0),
            _ => Err(
                "value 'm' (module) does not fit a bool; declare it enum libbpf_tristate".into(),
            ),
        },
        (BtfType::Enum(_) | BtfType::Int(_), KValue::Tristate(c)) => int(match c {
            b'y' => 1,
            b'm' => 2,
            _ => 0,
        }),
        (BtfType::Int(_) | BtfType::Enum(_), KValue::Int(n)) => int(*n),
        (BtfType::Array(a), KValue::Str(s)) => {
            let (_, elem) = btf.resolve(a.elem_type).map_err(|e| e.to_string())?;
            if !matches!(elem, BtfType::Int(i) if i.size == 1) {
                return Err("a string value needs a char array".into());
            }
            let mut out = vec![0u8; size];
            let n = s.len().min(size.saturating_sub(1));
            out[..n].copy_from_slice(&s.as_bytes()[..n]);
            Ok(out)
        }
        (t, v) => Err(format!(
            "a {} cannot hold the configuration value {v:?}",
            t.kind_name()
        )),
    }
}

/// Addresses of kernel symbols by name, from `/proc/kallsyms` (read only when needed).
fn kallsyms(names: &[&str]) -> Result<HashMap<String, u64>> {
    let failed = |e: std::io::Error| unsupported(format!("/proc/kallsyms: {e}"));
    let file = std::fs::File::open("/proc/kallsyms").map_err(failed)?;
    // Streamed through 64 KiB: the file is ~9 MB, none of which needs to stay.
    kallsyms_in(std::io::BufReader::with_capacity(1 << 16, file), names).map_err(failed)
}

/// The first address of each of `names` in kallsyms text: lines `ADDR TYPE NAME`, with
/// `\t[module]` after the name of a module's symbol. A byte scan (the file has ~200 000
/// lines): a name is compared only when its length is one of the wanted lengths.
fn kallsyms_in(
    mut text: impl std::io::BufRead,
    names: &[&str],
) -> std::io::Result<HashMap<String, u64>> {
    let mut lengths = [false; 256];
    for n in names {
        if let Some(slot) = lengths.get_mut(n.len()) {
            *slot = true;
        }
    }
    let mut out = HashMap::new();
    let mut buf = Vec::with_capacity(256);
    loop {
        buf.clear();
        if text.read_until(b'\n', &mut buf)? == 0 {
            return Ok(out);
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let Some(sp) = line.iter().position(|&b| b == b' ') else {
            continue;
        };
        // Past the address, the space, the one-letter type and its space.
        let Some(rest) = line.get(sp + 3..) else {
            continue;
        };
        let name = rest.split(|&b| b == b'\t').next().unwrap_or_default();
        if !lengths.get(name.len()).copied().unwrap_or(false) {
            continue;
        }
        let Some(&wanted) = names.iter().find(|n| n.as_bytes() == name) else {
            continue;
        };
        let addr = line
            .get(..sp)
            .and_then(|a| std::str::from_utf8(a).ok())
            .and_then(|a| u64::from_str_radix(a, 16).ok());
        if let Some(a) = addr {
            out.entry(wanted.to_string()).or_insert(a);
        }
    }
}

/// The kernel BTF id of the `FUNC` (`want_func`) or `VAR` named `name`.
fn kernel_id(target: &CoreTarget<'_>, name: &str, want_func: bool) -> Option<u32> {
    target.named(name).into_iter().find(|&id| {
        let t = target.btf().type_by_id(id);
        let named = target.btf().type_name(id).ok() == Some(name);
        named
            && match t {
                Ok(BtfType::Func(_)) => want_func,
                Ok(BtfType::Var(_)) => !want_func,
                _ => false,
            }
    })
}

/// How one `__ksym` extern resolved.
#[derive(Debug, Clone, Copy)]
enum Resolution {
    /// Typeless variable: its address.
    Address(u64),
    /// Typed variable or kfunc: its kernel BTF id.
    BtfId(u32),
    /// Weak and absent.
    Missing,
}

/// Resolves every `__ksym` extern and patches the instructions that use them; the
/// [`Relocation::Extern`]s are removed. `target` is the kernel BTF when the object needs it.
pub fn resolve_ksyms(obj: &mut Object, target: Option<&CoreTarget<'_>>) -> Result<()> {
    let used: Vec<&str> = obj
        .programs
        .iter()
        .flat_map(|p| p.relocations.iter())
        .filter_map(|r| match r {
            Relocation::Extern { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    if used.is_empty() {
        return Ok(());
    }
    // Variables (typed or not) need an address in kallsyms: the kernel looks typed ones up
    // there too, and has none for data symbols without CONFIG_KALLSYMS_ALL.
    // Undeclared ones (no __ksym/__kconfig) too, so that their refusal can say whether the
    // kernel has such a symbol.
    let typeless: Vec<&str> = obj
        .externs
        .iter()
        .filter(|e| {
            matches!(e.kind, ExternKind::Ksym { .. } | ExternKind::Unknown)
                && used.contains(&e.name.as_str())
        })
        .map(|e| e.name.as_str())
        .collect();
    let addresses = if typeless.is_empty() {
        HashMap::new()
    } else {
        kallsyms(&typeless)?
    };
    let mut resolved: HashMap<String, (Resolution, usize)> = HashMap::new();
    for (index, e) in obj.externs.iter().enumerate() {
        if !used.contains(&e.name.as_str()) {
            continue;
        }
        if let Some(r) = resolve_one(obj, e, target, &addresses)? {
            resolved.insert(e.name.clone(), (r, index));
        }
    }
    patch_programs(obj, &resolved)
}

/// How one used extern resolves (`None` for `__kconfig` ones, which are data); a missing
/// extern that is not weak is an error.
fn resolve_one(
    obj: &Object,
    e: &Extern,
    target: Option<&CoreTarget<'_>>,
    addresses: &HashMap<String, u64>,
) -> Result<Option<Resolution>> {
    let r = match &e.kind {
        ExternKind::Kconfig { .. } => return Ok(None),
        ExternKind::Unknown if obj.btf.is_none() => {
            return Err(unsupported(format!(
                "extern {}: the object has no BTF to say what it is (build with clang -g; \
                 rawbpf needs BTF to tell __kconfig from __ksym externs)",
                e.name
            )));
        }
        ExternKind::Unknown => {
            // The BTF is there and names it, outside .ksyms and .kconfig.
            let kernel = if addresses.contains_key(&e.name) {
                "; the running kernel has a symbol of that name: declare it `extern ... __ksym`"
            } else {
                ", and the running kernel has no symbol of that name (/proc/kallsyms)"
            };
            return Err(unsupported(format!(
                "extern {}: declared neither __ksym nor __kconfig (the object's BTF has it \
                 outside .ksyms and .kconfig), so nothing can resolve it{kernel}",
                e.name
            )));
        }
        ExternKind::Ksym { type_id: None } => match addresses.get(&e.name) {
            Some(&a) => Resolution::Address(a),
            None => Resolution::Missing,
        },
        ExternKind::Ksym {
            type_id: Some(local_type),
        } => {
            let target = target
                .ok_or_else(|| unsupported(format!("extern {}: kernel BTF not loaded", e.name)))?;
            match kernel_id(target, &e.name, false) {
                Some(id) if addresses.contains_key(&e.name) => {
                    check_var_type(obj, *local_type, target, id, &e.name)?;
                    Resolution::BtfId(id)
                }
                Some(_) if !e.weak => {
                    return Err(unsupported(format!(
                        "extern {}: the kernel's BTF has this variable but /proc/kallsyms has \
                         no address for it (a data symbol on a kernel built without \
                         CONFIG_KALLSYMS_ALL), so the kernel cannot resolve it either",
                        e.name
                    )));
                }
                _ => Resolution::Missing,
            }
        }
        ExternKind::Kfunc { func_id } => {
            let target = target
                .ok_or_else(|| unsupported(format!("extern {}: kernel BTF not loaded", e.name)))?;
            match kernel_id(target, &e.name, true) {
                Some(id) => {
                    check_func_proto(obj, *func_id, target, id, &e.name)?;
                    Resolution::BtfId(id)
                }
                None => Resolution::Missing,
            }
        }
    };
    if matches!(r, Resolution::Missing) && !e.weak {
        let what = if matches!(e.kind, ExternKind::Kfunc { .. }) {
            "kfunc"
        } else {
            "kernel symbol"
        };
        return Err(unsupported(format!(
            "extern {}: the running kernel has no {what} of that name (in vmlinux BTF{}); \
             declare it __weak to load without it",
            e.name,
            if what == "kfunc" {
                "; kfuncs of kernel modules are not resolved yet"
            } else {
                " / kallsyms"
            }
        )));
    }
    Ok(Some(r))
}

/// Patches every instruction that uses an extern and drops its [`Relocation::Extern`].
fn patch_programs(obj: &mut Object, resolved: &HashMap<String, (Resolution, usize)>) -> Result<()> {
    for p in &mut obj.programs {
        let mut kept = Vec::with_capacity(p.relocations.len());
        for r in std::mem::take(&mut p.relocations) {
            let Relocation::Extern { insn, name } = &r else {
                kept.push(r);
                continue;
            };
            let Some(&(res, index)) = resolved.get(name) else {
                return Err(unsupported(format!(
                    "program {}: extern {name} unresolved",
                    p.name
                )));
            };
            patch(&mut p.insns, *insn, res, index).map_err(|why| Error::Relocation {
                program: p.name.clone(),
                insn: *insn,
                reason: format!("extern {name}: {why}"),
            })?;
        }
        p.relocations = kept;
    }
    Ok(())
}

fn check_var_type(
    obj: &Object,
    local: u32,
    target: &CoreTarget<'_>,
    id: u32,
    name: &str,
) -> Result<()> {
    let (Some(btf), Ok(BtfType::Var(kvar))) = (obj.btf.as_ref(), target.btf().type_by_id(id))
    else {
        return Ok(());
    };
    // Both sides without modifiers and typedefs, as libbpf compares them.
    let (Ok((local, _)), Ok((kernel, _))) =
        (btf.resolve(local), target.btf().resolve(kvar.type_id))
    else {
        return Ok(());
    };
    let ok = types_compatible(btf, local, target.btf(), kernel).unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(unsupported(format!(
            "extern {name}: its type does not match the kernel's variable"
        )))
    }
}

fn check_func_proto(
    obj: &Object,
    local_func: u32,
    target: &CoreTarget<'_>,
    id: u32,
    name: &str,
) -> Result<()> {
    let Some(btf) = obj.btf.as_ref() else {
        return Ok(());
    };
    let (Ok(BtfType::Func(lf)), Ok(BtfType::Func(kf))) =
        (btf.type_by_id(local_func), target.btf().type_by_id(id))
    else {
        return Ok(());
    };
    if types_compatible(btf, lf.proto, target.btf(), kf.proto).unwrap_or(false) {
        Ok(())
    } else {
        Err(unsupported(format!(
            "extern {name}: its prototype does not match the kernel's kfunc"
        )))
    }
}

fn patch(
    insns: &mut [Insn],
    at: usize,
    res: Resolution,
    index: usize,
) -> std::result::Result<(), String> {
    let Some(insn) = insns.get(at).copied() else {
        return Err("instruction past the end".into());
    };
    if insn.code == Insn::CALL {
        let slot = &mut insns[at];
        match res {
            Resolution::BtfId(id) => {
                slot.src_reg = Insn::PSEUDO_KFUNC_CALL;
                slot.imm = i32::try_from(id).map_err(|_| "BTF id too large")?;
                slot.off = 0;
            }
            Resolution::Missing => {
                slot.src_reg = 0;
                slot.off = 0;
                slot.imm = POISON_CALL_KFUNC_BASE.saturating_add(i32::try_from(index).unwrap_or(0));
            }
            Resolution::Address(_) => return Err("a call of a variable".into()),
        }
        return Ok(());
    }
    if !insn.is_ld_imm64() || at + 1 >= insns.len() {
        return Err(format!(
            "opcode {:#04x} cannot refer to an extern",
            insn.code
        ));
    }
    let (src, lo, hi) = match res {
        Resolution::BtfId(id) => (
            Insn::PSEUDO_BTF_ID,
            i32::try_from(id).map_err(|_| "BTF id too large")?,
            0,
        ),
        Resolution::Address(a) => (0, a as u32 as i32, (a >> 32) as u32 as i32),
        Resolution::Missing => (0, 0, 0),
    };
    insns[at].src_reg = src;
    insns[at].imm = lo;
    insns[at + 1].imm = hi;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn kallsyms_lines_give_the_first_address_of_each_wanted_name() {
        let text = b"ffffffff81000000 T _text\n\
ffffffff81001000 t bpf_prog_active\n\
ffffffff81002000 D bpf_prog_active\n\
ffffffffc0001000 t helper_x\t[some_module]\n\
short\n\
\n\
ffffffff81003000 T bpf_prog_activ\n";
        let got =
            super::kallsyms_in(&text[..], &["bpf_prog_active", "helper_x", "absent"]).unwrap();
        assert_eq!(got.get("bpf_prog_active"), Some(&0xffff_ffff_8100_1000));
        assert_eq!(got.get("helper_x"), Some(&0xffff_ffff_c000_1000));
        assert_eq!(got.len(), 2);
    }

    use super::*;

    #[test]
    fn config_values() {
        assert_eq!(parse_config_value("250"), KValue::Int(250));
        assert_eq!(parse_config_value("\"abc\""), KValue::Str("abc".into()));
        assert_eq!(parse_config_value("0x10"), KValue::Int(16));
    }
}
