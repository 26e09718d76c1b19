//! rawbpf's hand-written attr and info structs against the running kernel's own layout.
//!
//! Each test reads the kernel's `union bpf_attr` member or `struct bpf_*_info` from
//! `/sys/kernel/btf/vmlinux` (rawbpf's BTF parser) and compares every field offset and size
//! with the Rust struct (`offset_of!`, `size_of`). Fields newer than the kernel must sit past
//! the end of its struct; they and the kernel members rawbpf leaves unnamed are printed
//! (`--nocapture`). Run on every kernel of the matrix (`tests/kernels.sh`), this is what
//! shows a struct that differs by kernel. Missing BTF fails the test unless
//! `RAWBPF_SKIP_KERNEL_TESTS=1` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod layout;

use layout::compare::{Names, RustLayout, compare};
use layout::kernel::{AttrMember, KernelLayout, attr_layout, bpf_attr_size, struct_layout};
use rawbpf_elf::btf::Btf;
use rawbpf_syscalls::ProgTestRunAttr;
use rawbpf_syscalls::attr::{
    BpfBtfInfo, BpfLinkInfo, BpfMapInfo, BpfProgInfo, BtfLoadAttr, GetIdAttr, InfoByFdAttr,
    LinkCreateAttr, LinkDetachAttr, LinkUpdateAttr, MapCreateAttr, MapElemAttr, MapFreezeAttr,
    ObjPinAttr, ProgAttachAttr, ProgLoadAttr, ProgQueryAttr, RawTracepointOpenAttr,
};

/// Compares `rust` with the kernel layout `kernel` reads; prints the notes, fails with
/// every error at once.
fn check(rust: RustLayout, kernel: impl FnOnce(&Btf) -> Result<KernelLayout, String>, n: Names) {
    let Some(btf) = layout::vmlinux() else {
        return;
    };
    let k = kernel(btf).unwrap_or_else(|e| panic!("{}: {e}", rust.name));
    let found = compare(&rust, &k, &n);
    for note in &found.notes {
        println!("note: {note}");
    }
    assert!(
        found.errors.is_empty(),
        "{} does not match the kernel's {}:\n  {}",
        rust.name,
        k.what,
        found.errors.join("\n  ")
    );
}

/// [`check`] against a member of `union bpf_attr`; also notes when the Rust struct is
/// longer than the whole union (the kernel then wants the excess zero, or says E2BIG).
fn check_attr(rust: RustLayout, member: AttrMember, n: Names) {
    if let Some(btf) = layout::vmlinux() {
        let whole = bpf_attr_size(btf).unwrap();
        if rust.size > whole as usize {
            println!(
                "note: {}: {} bytes, longer than this kernel's union bpf_attr ({whole})",
                rust.name, rust.size
            );
        }
    }
    check(rust, |btf| attr_layout(btf, member), n);
}

/// The meanings of a `target_fd` slot (`target_ifindex` since 6.6).
const TARGET: (&str, &[&str]) = ("target_fd", &["target_fd", "target_ifindex"]);

#[test]
fn map_create_attr() {
    let rust = rust_layout!(MapCreateAttr {
        map_type,
        key_size,
        value_size,
        max_entries,
        map_flags,
        inner_map_fd,
        numa_node,
        map_name,
        map_ifindex,
        btf_fd,
        btf_key_type_id,
        btf_value_type_id,
        btf_vmlinux_value_type_id,
        map_extra,
        value_type_btf_obj_fd,
        map_token_fd,
        excl_prog_hash,
        excl_prog_hash_size,
        _pad0,
    });
    check_attr(rust, AttrMember::FirstField("map_type"), Names::default());
}

#[test]
fn map_elem_attr() {
    let rust = rust_layout!(MapElemAttr {
        map_fd,
        _pad0,
        key,
        value_or_next_key,
        flags,
    });
    let names = Names {
        aliases: &[("value_or_next_key", &["value", "next_key"])],
        ..Names::default()
    };
    check_attr(rust, AttrMember::FirstField("map_fd"), names);
}

#[test]
fn map_freeze_attr() {
    let rust = rust_layout!(MapFreezeAttr { map_fd });
    check_attr(rust, AttrMember::FirstField("map_fd"), Names::default());
}

#[test]
fn prog_load_attr() {
    let rust = rust_layout!(ProgLoadAttr {
        prog_type,
        insn_cnt,
        insns,
        license,
        log_level,
        log_size,
        log_buf,
        kern_version,
        prog_flags,
        prog_name,
        prog_ifindex,
        expected_attach_type,
        prog_btf_fd,
        func_info_rec_size,
        func_info,
        func_info_cnt,
        line_info_rec_size,
        line_info,
        line_info_cnt,
        attach_btf_id,
        attach_prog_fd,
        core_relo_cnt,
        fd_array,
        core_relos,
        core_relo_rec_size,
        log_true_size,
        prog_token_fd,
        fd_array_cnt,
        signature,
        signature_size,
        keyring_id,
    });
    let names = Names {
        aliases: &[("attach_prog_fd", &["attach_prog_fd", "attach_btf_obj_fd"])],
        ..Names::default()
    };
    check_attr(rust, AttrMember::FirstField("prog_type"), names);
}

#[test]
fn obj_pin_attr() {
    let rust = rust_layout!(ObjPinAttr {
        pathname,
        bpf_fd,
        file_flags,
        path_fd,
        _pad0,
    });
    check_attr(rust, AttrMember::FirstField("pathname"), Names::default());
}

#[test]
fn prog_attach_attr() {
    let rust = rust_layout!(ProgAttachAttr {
        target_fd,
        attach_bpf_fd,
        attach_type,
        attach_flags,
        replace_bpf_fd,
        relative_fd,
        expected_revision,
    });
    let names = Names {
        aliases: &[TARGET, ("relative_fd", &["relative_fd", "relative_id"])],
        ..Names::default()
    };
    check_attr(rust, AttrMember::FirstField("target_fd"), names);
}

#[test]
fn prog_query_attr() {
    let rust = rust_layout!(ProgQueryAttr {
        target_fd,
        attach_type,
        query_flags,
        attach_flags,
        prog_ids,
        prog_cnt,
        _pad0,
        prog_attach_flags,
        link_ids,
        link_attach_flags,
        revision,
    });
    let names = Names {
        aliases: &[TARGET, ("prog_cnt", &["prog_cnt", "count"])],
        ..Names::default()
    };
    check_attr(rust, AttrMember::Named("query"), names);
}

#[test]
fn prog_test_run_attr() {
    let rust = rust_layout!(ProgTestRunAttr {
        prog_fd,
        retval,
        data_size_in,
        data_size_out,
        data_in,
        data_out,
        repeat,
        duration,
        ctx_size_in,
        ctx_size_out,
        ctx_in,
        ctx_out,
        flags,
        cpu,
        batch_size,
        _pad,
    });
    check_attr(rust, AttrMember::Named("test"), Names::default());
}

#[test]
fn info_by_fd_attr() {
    let rust = rust_layout!(InfoByFdAttr {
        bpf_fd,
        info_len,
        info
    });
    check_attr(rust, AttrMember::Named("info"), Names::default());
}

#[test]
fn get_id_attr() {
    let rust = rust_layout!(GetIdAttr {
        id,
        next_id,
        open_flags,
        fd_by_id_token_fd,
    });
    const IDS: &[&str] = &["start_id", "prog_id", "map_id", "btf_id", "link_id"];
    let names = Names {
        aliases: &[("id", IDS)],
        ..Names::default()
    };
    check_attr(rust, AttrMember::FirstField("start_id"), names);
}

#[test]
fn btf_load_attr() {
    let rust = rust_layout!(BtfLoadAttr {
        btf,
        btf_log_buf,
        btf_size,
        btf_log_size,
        btf_log_level,
        btf_log_true_size,
        btf_flags,
        btf_token_fd,
    });
    check_attr(rust, AttrMember::FirstField("btf"), Names::default());
}

#[test]
fn bpf_map_info() {
    let rust = rust_layout!(BpfMapInfo {
        map_type,
        id,
        key_size,
        value_size,
        max_entries,
        map_flags,
        name,
        ifindex,
        btf_vmlinux_value_type_id,
        netns_dev,
        netns_ino,
        btf_id,
        btf_key_type_id,
        btf_value_type_id,
        btf_vmlinux_id,
        map_extra,
        hash,
        hash_size,
        _pad0,
    });
    let names = Names {
        aliases: &[("map_type", &["type"])],
        ..Names::default()
    };
    check(rust, |btf| struct_layout(btf, "bpf_map_info"), names);
}

#[test]
fn bpf_prog_info() {
    let rust = rust_layout!(BpfProgInfo {
        prog_type,
        id,
        tag,
        jited_prog_len,
        xlated_prog_len,
        jited_prog_insns,
        xlated_prog_insns,
        load_time,
        created_by_uid,
        nr_map_ids,
        map_ids,
        name,
        ifindex,
        gpl_compatible_bits,
        netns_dev,
        netns_ino,
        nr_jited_ksyms,
        nr_jited_func_lens,
        jited_ksyms,
        jited_func_lens,
        btf_id,
        func_info_rec_size,
        func_info,
        nr_func_info,
        nr_line_info,
        line_info,
        jited_line_info,
        nr_jited_line_info,
        line_info_rec_size,
        jited_line_info_rec_size,
        nr_prog_tags,
        prog_tags,
        run_time_ns,
        run_cnt,
        recursion_misses,
        verified_insns,
        attach_btf_obj_id,
        attach_btf_id,
        _pad0,
    });
    let names = Names {
        aliases: &[
            ("prog_type", &["type"]),
            ("gpl_compatible_bits", &["gpl_compatible"]),
        ],
        // `prog_info_from_raw` reads `gpl_compatible_bits & 1`.
        bitfields: &[("gpl_compatible", "gpl_compatible_bits", 0)],
    };
    check(rust, |btf| struct_layout(btf, "bpf_prog_info"), names);
}

#[test]
fn bpf_btf_info() {
    let rust = rust_layout!(BpfBtfInfo {
        btf,
        btf_size,
        id,
        name,
        name_len,
        kernel_btf,
    });
    check(
        rust,
        |btf| struct_layout(btf, "bpf_btf_info"),
        Names::default(),
    );
}

#[test]
fn link_create_attr() {
    let rust = rust_layout!(LinkCreateAttr {
        prog_fd,
        target_fd,
        attach_type,
        flags,
        target_btf_id,
        _pad0,
    });
    let names = Names {
        aliases: &[TARGET, ("prog_fd", &["prog_fd", "map_fd"])],
        ..Names::default()
    };
    check_attr(rust, AttrMember::Named("link_create"), names);
}

#[test]
fn link_update_attr() {
    let rust = rust_layout!(LinkUpdateAttr {
        link_fd,
        new_prog_fd,
        flags,
        old_prog_fd,
    });
    let names = Names {
        aliases: &[
            ("new_prog_fd", &["new_prog_fd", "new_map_fd"]),
            ("old_prog_fd", &["old_prog_fd", "old_map_fd"]),
        ],
        ..Names::default()
    };
    check_attr(rust, AttrMember::Named("link_update"), names);
}

#[test]
fn link_detach_attr() {
    let rust = rust_layout!(LinkDetachAttr { link_fd });
    check_attr(rust, AttrMember::Named("link_detach"), Names::default());
}

/// `raw_tracepoint`: `name`, `prog_fd`; `cookie` (6.10+) lies past the struct's size.
#[test]
fn raw_tracepoint_open_attr() {
    let rust = rust_layout!(RawTracepointOpenAttr {
        name,
        prog_fd,
        _pad
    });
    check_attr(rust, AttrMember::Named("raw_tracepoint"), Names::default());
}

/// `struct bpf_link_info`: its union is read through two of its parts, which the Rust
/// struct lays over the same bytes, so each kernel member rawbpf reads is checked by
/// name (`outer.inner` for the union's named parts; `xdp` is 5.9+). `sockmap` is 6.10+: on an older
/// kernel it is absent, and noted.
#[test]
fn bpf_link_info() {
    use std::mem::{offset_of, size_of};
    let Some(btf) = layout::vmlinux() else {
        return;
    };
    let k = struct_layout(btf, "bpf_link_info").unwrap();
    let lo = offset_of!(BpfLinkInfo, target_lo);
    let want: &[(&str, usize, usize, bool)] = &[
        ("type", offset_of!(BpfLinkInfo, link_type), 4, true),
        ("id", offset_of!(BpfLinkInfo, id), 4, true),
        ("prog_id", offset_of!(BpfLinkInfo, prog_id), 4, true),
        ("cgroup.cgroup_id", lo, 8, true),
        (
            "cgroup.attach_type",
            offset_of!(BpfLinkInfo, cgroup_attach_type),
            4,
            true,
        ),
        ("xdp.ifindex", lo, 4, true),
        ("tcx.ifindex", lo, 4, false),
        (
            "tcx.attach_type",
            offset_of!(BpfLinkInfo, target_hi),
            4,
            false,
        ),
        ("sockmap.map_id", lo, 4, false),
        (
            "sockmap.attach_type",
            offset_of!(BpfLinkInfo, target_hi),
            4,
            false,
        ),
    ];
    let mut errors = Vec::new();
    for &(name, offset, size, required) in want {
        match k.fields.iter().find(|f| f.name == name) {
            Some(f) if f.bit_offset as usize == offset * 8 && f.size as usize == size => {}
            Some(f) => errors.push(format!(
                "{name}: the kernel has {} bytes at bit {}, rawbpf reads {size} at byte {offset}",
                f.size, f.bit_offset
            )),
            None if required => errors.push(format!("{name}: not in the kernel's struct")),
            None => println!("note: struct bpf_link_info has no {name} on this kernel"),
        }
    }
    if size_of::<BpfLinkInfo>() < k.size as usize {
        println!(
            "note: BpfLinkInfo is {} bytes, this kernel's struct {}: the kernel fills the first",
            size_of::<BpfLinkInfo>(),
            k.size
        );
    }
    assert!(errors.is_empty(), "BpfLinkInfo: {}", errors.join("; "));
}
