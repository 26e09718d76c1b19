//! Internal maps: each global data section (`.rodata*`, `.data*`, `.bss*`) becomes a
//! one-entry ARRAY map holding the section's bytes, named as libbpf names it. `.rodata` is
//! created `BPF_F_RDONLY_PROG` and frozen after its bytes are written. Never pinned.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use rawbpf_abi::MapType;
use rawbpf_abi::map_flags::BPF_F_RDONLY_PROG;
use rawbpf_elf::{DataKind, DataSection};
use rawbpf_syscalls as sys;

use crate::error::{Result, bpf_err};
use crate::map::create::create_with_btf;

/// `BPF_OBJ_NAME_LEN`.
const OBJ_NAME_LEN: usize = 16;

/// The object name libbpf derives from a path: the file name up to its first `.`.
pub fn object_name(path: &Path) -> String {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    match file.split_once('.') {
        Some((stem, _)) => stem.to_string(),
        None => file,
    }
}

/// libbpf's `internal_map_name`: up to 8 characters of the object name followed by the
/// section name (`bpf_sock.rodata`), at most 15 characters. The suffix reserves at least 7
/// characters, so `.bss` still gets only 8 prefix characters. Sections with a second dot
/// (`.rodata.str1.1`) keep their own name with no prefix. Characters the kernel refuses
/// become `_`.
pub fn internal_map_name(obj_name: &str, section: &str) -> String {
    let max = OBJ_NAME_LEN - 1;
    let sfx_len = section.len().max(7).min(max);
    let custom = section.get(1..).is_some_and(|rest| rest.contains('.'));
    let pfx_len = if custom {
        0
    } else {
        (OBJ_NAME_LEN - sfx_len - 1).min(obj_name.len())
    };
    let prefix: String = obj_name.chars().take(pfx_len).collect();
    let suffix: String = section.chars().take(sfx_len).collect();
    let name: String = format!("{prefix}{suffix}")
        .chars()
        .take(max)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    name
}

/// Creates the internal map of one data section and fills it; `None` for an empty section
/// (the kernel refuses value_size 0, and nothing can refer into it).
pub fn create(
    section: &DataSection,
    kernel_name: &str,
    btf: Option<BorrowedFd<'_>>,
) -> Result<Option<sys::MapFd>> {
    let size = section.size();
    if size == 0 {
        return Ok(None);
    }
    let what = format!("map {kernel_name} (section {})", section.name);
    let spec = sys::MapCreate {
        map_type: MapType::ARRAY.0,
        key_size: 4,
        value_size: size,
        max_entries: 1,
        map_flags: if section.kind == DataKind::Rodata {
            BPF_F_RDONLY_PROG
        } else {
            0
        },
        name: sys::ObjName::new(kernel_name),
        ..Default::default()
    };
    // A keyless BTF (key id 0, value = the section's DATASEC) is what the kernel accepts for
    // global data arrays.
    let fd = create_with_btf(&spec, btf, 0, section.btf_datasec_id.unwrap_or(0), &what)?;
    if section.kind != DataKind::Bss {
        sys::map_update_elem(
            &fd,
            &0u32.to_ne_bytes(),
            &section.bytes,
            sys::UpdateFlags::Any,
        )
        .map_err(bpf_err(format!("{what}: write initial value")))?;
    }
    if section.kind == DataKind::Rodata {
        sys::map_freeze(fd.as_fd()).map_err(bpf_err(format!("{what}: freeze")))?;
    }
    Ok(Some(fd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_like_libbpf() {
        assert_eq!(
            object_name(Path::new("bpf-prog/bpf_sockops.o")),
            "bpf_sockops"
        );
        assert_eq!(object_name(Path::new("a.b.o")), "a");
        assert_eq!(
            internal_map_name("bpf_sockops", ".rodata"),
            "bpf_sock.rodata"
        );
        assert_eq!(internal_map_name("bpf_sockops", ".bss"), "bpf_sock.bss");
        assert_eq!(internal_map_name("bpf_sockops", ".data"), "bpf_sock.data");
        assert_eq!(
            internal_map_name("my_object_name", ".kconfig"),
            "my_obje.kconfig"
        );
        assert_eq!(
            internal_map_name("bpf_sockops", ".rodata.str1.1"),
            ".rodata.str1.1"
        );
        assert_eq!(
            internal_map_name("x", ".rodata.abracadabra"),
            ".rodata.abracad"
        );
        assert_eq!(internal_map_name("a-b", ".data"), "a_b.data");
        assert_eq!(internal_map_name("ab", ".data"), "ab.data");
    }
}
