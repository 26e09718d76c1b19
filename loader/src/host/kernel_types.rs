//! Which map and program types the running kernel knows, from the enums of its BTF
//! (`enum bpf_map_type`, `enum bpf_prog_type`). Asked only after the kernel refused a map
//! or program with EINVAL, so that the error can say "this kernel has no bloom_filter maps"
//! instead of a bare "invalid argument"; a kernel without BTF gives no answer. Only the
//! enum asked for is decoded.

use std::path::Path;

use rawbpf_elf::btf::{BtfType, BtfTypes};

use crate::error::Error;
use crate::host::kernel_btf::{VMLINUX_BTF, open};
use crate::host::kernel_config::kernel_release;

/// True when the kernel's `enum <name>` has an enumerator of value `value`, false when it
/// has not, `None` when the kernel's BTF (or the enum) cannot be read.
pub fn enum_has(name: &str, value: u32) -> Option<bool> {
    enum_lacks(name, &[value]).map(|missing| missing.is_empty())
}

/// Which of `values` the kernel's `enum <name>` has no enumerator for (in the order
/// given), `None` when the kernel's BTF (or the enum) cannot be read. One BTF read.
pub fn enum_lacks(name: &str, values: &[u32]) -> Option<Vec<u32>> {
    let file = open(Path::new(VMLINUX_BTF), "naming what the kernel lacks").ok()?;
    let btf = file.view().ok()?;
    let (_, BtfType::Enum(e)) = btf.find_by_name(name)? else {
        return None;
    };
    // `__MAX_BPF_MAP_TYPE`, `__BPF_FUNC_MAX_ID`, ... count the others: on 6.8 the first
    // has the value 33, which is arena's number, not an arena.
    let known = |v: u32| {
        e.values.iter().any(|k| {
            u32::try_from(k.val) == Ok(v)
                && btf.string(k.name_off).is_ok_and(|n| !n.starts_with("__"))
        })
    };
    Some(values.iter().copied().filter(|&v| !known(v)).collect())
}

/// `err` (of `what`) becomes [`Error::KernelLacks`] when it is an EINVAL and the kernel's
/// `enum <kernel_enum>` has no `value`; any other error, or no answer, stays as it is.
/// `since` is the Linux release that introduced `kind`, when known.
pub fn explain_einval(
    err: Error,
    kernel_enum: &'static str,
    value: u32,
    kind: String,
    since: Option<&str>,
) -> Error {
    let Error::Bpf { what, source } = &err else {
        return err;
    };
    if source.errno != libc::EINVAL || enum_has(kernel_enum, value) != Some(false) {
        return err;
    }
    lacks(what.clone(), kernel_enum, kind, since)
}

/// [`Error::KernelLacks`] for `what`, which needs `kind` (introduced in Linux `since`).
pub fn lacks(what: String, kernel_enum: &'static str, kind: String, since: Option<&str>) -> Error {
    let needs = match since {
        Some(v) => format!("{kind} need Linux {v} or later"),
        None => "it needs a newer kernel".to_string(),
    };
    Error::KernelLacks {
        what,
        kind,
        kernel_enum,
        release: kernel_release().unwrap_or_else(|_| "unknown release".to_string()),
        needs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_kernel_knows_hash_maps_and_sock_ops_and_not_type_9999() {
        // Every kernel rawbpf supports has BTF (CONFIG_DEBUG_INFO_BTF) and hash maps.
        assert_eq!(enum_has("bpf_map_type", 1), Some(true));
        assert_eq!(enum_has("bpf_map_type", 9999), Some(false));
        assert_eq!(enum_has("bpf_prog_type", 13), Some(true), "sock_ops");
        assert_eq!(enum_has("no_such_enum_in_any_kernel", 1), None);
    }

    #[test]
    fn the_count_enumerators_are_no_type() {
        // __MAX_BPF_ATTACH_TYPE's value is the next attach type number, one this kernel
        // lacks (bpf_attach_type has it on every supported kernel; __MAX_BPF_MAP_TYPE is
        // newer than 6.1).
        let file = open(Path::new(VMLINUX_BTF), "test").unwrap();
        let btf = file.view().unwrap();
        let Some((_, BtfType::Enum(e))) = btf.find_by_name("bpf_attach_type") else {
            panic!("no enum bpf_attach_type");
        };
        let max = e
            .values
            .iter()
            .find(|v| btf.string(v.name_off).ok() == Some("__MAX_BPF_ATTACH_TYPE"))
            .map(|v| u32::try_from(v.val).unwrap())
            .unwrap();
        assert_eq!(enum_has("bpf_attach_type", max), Some(false), "{max}");
        assert_eq!(enum_has("bpf_attach_type", max - 1), Some(true), "{max}");
    }
}
