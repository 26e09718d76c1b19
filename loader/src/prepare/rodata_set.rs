//! `rawbpf load --set NAME=VALUE`: rewrites a `const volatile` global in `.rodata` before the
//! object loads, like a libbpf skeleton's `skel->rodata->NAME = VALUE` before `load()`.
//!
//! The variable is found by name in the `.rodata*` `DATASEC`s of the object's BTF; its type
//! decides how `VALUE` is read: an integer (decimal, `0x` hex, negative for signed types, or
//! `true`/`false` for `bool`), an enum (an enumerator's name or a number), a `char[N]` (a
//! string that fits with its NUL). Anything else, or a value that does not fit, is an error.

use rawbpf_elf::btf::{Btf, BtfType};
use rawbpf_elf::{DataKind, Object};

use crate::error::{Error, Result};

/// A `--set` that cannot be applied to this object: a usage error (exit 2).
fn err(name: &str, reason: impl Into<String>) -> Error {
    Error::BadArgument {
        what: format!("--set {name}: {}", reason.into()),
    }
}

/// Applies every `NAME=VALUE` to the object's `.rodata*` sections.
pub fn apply(obj: &mut Object, sets: &[(String, String)]) -> Result<()> {
    if sets.is_empty() {
        return Ok(());
    }
    let Some(btf) = obj.btf.clone() else {
        return Err(err(
            &sets[0].0,
            "the object has no BTF, so its .rodata variables have no names or types",
        ));
    };
    let Some(fixed) = obj.btf_for_kernel.clone() else {
        return Err(err(&sets[0].0, "the object has no BTF"));
    };
    for (name, value) in sets {
        let (section, offset, type_id) = find(&btf, &fixed, obj, name)?;
        let bytes = encode(&btf, type_id, value).map_err(|why| err(name, why))?;
        let Some(data) = obj.data.iter_mut().find(|d| d.name == section) else {
            return Err(err(name, format!("section {section} not found")));
        };
        let start = offset as usize;
        let slot = start
            .checked_add(bytes.len())
            .and_then(|end| data.bytes.get_mut(start..end))
            .ok_or_else(|| err(name, format!("lies outside {section}")))?;
        slot.copy_from_slice(&bytes);
    }
    Ok(())
}

/// (section, offset, type) of the `.rodata*` variable `name`. Offsets come from the fixed-up
/// BTF (clang leaves them 0), types from the original (same ids).
fn find(btf: &Btf, fixed: &Btf, obj: &Object, name: &str) -> Result<(String, u32, u32)> {
    let mut available = Vec::new();
    for d in obj
        .data
        .iter()
        .filter(|d| d.kind == DataKind::Rodata && d.name != ".kconfig")
    {
        let Some((_, sec)) = fixed.datasec(&d.name) else {
            continue;
        };
        for v in &sec.vars {
            let Ok((var, var_name)) = btf.secinfo_var(v) else {
                continue;
            };
            if var_name == name {
                return Ok((d.name.clone(), v.offset, var.type_id));
            }
            // A function's `static` (`bpf_printk`'s `func.____fmt`) is the compiler's, not
            // a knob: settable when named exactly, never offered.
            if !var_name.contains('.') {
                available.push(var_name.to_string());
            }
        }
    }
    for d in obj.data.iter().filter(|d| d.kind != DataKind::Rodata) {
        if let Some((_, sec)) = fixed.datasec(&d.name)
            && sec
                .vars
                .iter()
                .any(|v| btf.secinfo_var(v).is_ok_and(|(_, n)| n == name))
        {
            return Err(err(
                name,
                format!(
                    "is in {}, not .rodata: only `const volatile` globals can be set",
                    d.name
                ),
            ));
        }
    }
    Err(err(
        name,
        if available.is_empty() {
            "the object has no `const volatile` globals to set".to_string()
        } else {
            format!(
                "no such .rodata variable{} (it has: {})",
                crate::suggest::closest(name, available.iter().map(String::as_str))
                    .map(|near| format!("; did you mean {near}?"))
                    .unwrap_or_default(),
                available.join(", ")
            )
        },
    ))
}

/// The bytes of `value` for a variable of type `type_id` (little-endian).
fn encode(btf: &Btf, type_id: u32, value: &str) -> std::result::Result<Vec<u8>, String> {
    let (_, t) = btf.resolve(type_id).map_err(|e| e.to_string())?;
    match t {
        BtfType::Int(i) => {
            let size = i.size as usize;
            if i.encoding & 4 != 0 {
                let b = match value {
                    "true" | "1" | "y" => 1u8,
                    "false" | "0" | "n" => 0,
                    _ => return Err(format!("{value:?} is not a bool (true/false)")),
                };
                let mut out = vec![0; size];
                if let Some(first) = out.first_mut() {
                    *first = b;
                }
                return Ok(out);
            }
            int_bytes(value, size, i.encoding & 1 != 0)
        }
        BtfType::Enum(e) => {
            let found = e
                .values
                .iter()
                .find(|v| btf.string(v.name_off).ok() == Some(value));
            match found {
                Some(v) => Ok(i64::from(v.val).to_le_bytes()[..e.size as usize].to_vec()),
                None => int_bytes(value, e.size as usize, e.signed),
            }
        }
        BtfType::Enum64(e) => {
            let found = e
                .values
                .iter()
                .find(|v| btf.string(v.name_off).ok() == Some(value));
            match found {
                Some(v) => Ok(v.val.to_le_bytes()[..(e.size as usize).min(8)].to_vec()),
                None => int_bytes(value, e.size as usize, e.signed),
            }
        }
        BtfType::Array(a) => {
            let (_, elem) = btf.resolve(a.elem_type).map_err(|e| e.to_string())?;
            if !matches!(elem, BtfType::Int(i) if i.size == 1) {
                return Err("only char arrays (strings) can be set among arrays".into());
            }
            let n = a.nelems as usize;
            if value.len() >= n {
                return Err(format!("{value:?} does not fit char[{n}] with its NUL"));
            }
            let mut out = vec![0u8; n];
            out[..value.len()].copy_from_slice(value.as_bytes());
            Ok(out)
        }
        other => Err(format!(
            "a {} cannot be set from the command line",
            other.kind_name()
        )),
    }
}

/// `value` as a `size`-byte integer, range-checked for the type's signedness.
fn int_bytes(value: &str, size: usize, signed: bool) -> std::result::Result<Vec<u8>, String> {
    let parsed: Option<i128> = if let Some(hex) = value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
    {
        i128::from_str_radix(hex, 16).ok()
    } else {
        value.parse::<i128>().ok()
    };
    let Some(n) = parsed else {
        return Err(format!("{value:?} is not a number"));
    };
    if size == 0 || size > 16 {
        return Err(format!("integer of {size} bytes"));
    }
    let bits = (size * 8) as u32;
    let (min, max) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else if bits >= 128 {
        (0, i128::MAX)
    } else {
        (0, (1i128 << bits) - 1)
    };
    if n < min || n > max {
        return Err(format!(
            "{value} does not fit a {}{bits}-bit integer ({min}..={max})",
            if signed { "signed " } else { "unsigned " }
        ));
    }
    Ok(n.to_le_bytes()[..size].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_range_checked() {
        assert_eq!(int_bytes("255", 1, false).unwrap(), [255]);
        assert!(int_bytes("256", 1, false).is_err());
        assert_eq!(int_bytes("-1", 2, true).unwrap(), [0xff, 0xff]);
        assert!(int_bytes("-1", 4, false).is_err());
        assert_eq!(int_bytes("0x10", 4, false).unwrap(), [16, 0, 0, 0]);
        assert!(int_bytes("abc", 4, false).is_err());
    }
}
