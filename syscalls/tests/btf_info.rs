//! `btf_info` and `btf_get_fd_by_id` against the running kernel. Like `kernel.rs`, these
//! need a working bpf(2) (root or CAP_BPF + CAP_SYS_ADMIN) and FAIL with the reason when it
//! is not usable. They create only BTF objects, which the kernel frees with their last fd:
//! no pins, no cgroups.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::fd::AsFd;

use rawbpf_syscalls::{BtfId, IdKind, btf_get_fd_by_id, btf_info, btf_load, fd_by_id, ids};

/// Unwrap a kernel result or fail the test saying that bpf(2) is needed.
#[track_caller]
fn kernel<T, E: std::fmt::Display>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!(
            "{what}: {e}\n(these tests need a working bpf(2): Linux with BPF enabled, run as \
             root or with CAP_BPF/CAP_SYS_ADMIN)"
        ),
    }
}

/// A BTF blob: `int`, `unsigned int` and `struct sock_key { unsigned int sip4, dip4; }`.
fn small_btf() -> Vec<u8> {
    let strings = b"\0int\0unsigned int\0sock_key\0sip4\0dip4\0";
    #[rustfmt::skip]
    let words: [u32; 17] = [
        1, 1 << 24, 4, (1 << 24) | 32, // [1] INT 'int' size 4, SIGNED, 32 bits
        5, 1 << 24, 4, 32,             // [2] INT 'unsigned int' size 4, 32 bits
        18, (4 << 24) | 2, 8,          // [3] STRUCT 'sock_key' size 8, 2 members
        27, 2, 0,                      //     'sip4' type 2 at bit 0
        32, 2, 32,                     //     'dip4' type 2 at bit 32
    ];
    let types: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut b = Vec::new();
    b.extend_from_slice(&0xeb9fu16.to_le_bytes());
    b.push(1); // version
    b.push(0); // flags
    b.extend_from_slice(&24u32.to_le_bytes()); // hdr_len
    b.extend_from_slice(&0u32.to_le_bytes()); // type_off
    b.extend_from_slice(&(types.len() as u32).to_le_bytes());
    b.extend_from_slice(&(types.len() as u32).to_le_bytes()); // str_off
    b.extend_from_slice(&(strings.len() as u32).to_le_bytes());
    b.extend_from_slice(&types);
    b.extend_from_slice(strings);
    b
}

#[test]
fn loaded_btf_comes_back_byte_for_byte() {
    let blob = small_btf();
    let mut log = vec![0u8; 64 * 1024];
    let fd = match btf_load(&blob, Some(&mut log)) {
        Ok(fd) => fd,
        Err(e) => {
            let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
            panic!(
                "BPF_BTF_LOAD: {e}\nlog: {}",
                String::from_utf8_lossy(&log[..end])
            );
        }
    };
    let info = kernel(btf_info(fd.as_fd()), "btf_info on a loaded blob");
    assert_ne!(info.id, BtfId(0));
    assert!(!info.kernel_btf);
    assert_eq!(info.name, "");
    assert_eq!(info.data, blob);

    // By id, twice: the generic fd_by_id and the typed wrapper.
    let by_id = kernel(fd_by_id(IdKind::Btf, info.id.0), "BPF_BTF_GET_FD_BY_ID");
    assert_eq!(kernel(btf_info(by_id.as_fd()), "btf_info by id"), info);
    let by_id = kernel(btf_get_fd_by_id(info.id), "btf_get_fd_by_id");
    assert_eq!(kernel(btf_info(by_id.as_fd()), "btf_info by id"), info);

    // The id is listed in the BTF id space.
    let listed: Vec<u32> = ids(IdKind::Btf).map(|r| kernel(r, "BTF ids")).collect();
    assert!(
        listed.contains(&info.id.0),
        "{} not in {listed:?}",
        info.id.0
    );
}

#[test]
fn vmlinux_btf_has_name_and_matches_sysfs() {
    let sysfs = std::fs::read("/sys/kernel/btf/vmlinux")
        .expect("/sys/kernel/btf/vmlinux (kernel built without CONFIG_DEBUG_INFO_BTF?)");
    // `bpf_btf_info.name` and `kernel_btf`, and kernel BTF objects with IDs at all, are
    // 5.11+: the kernel's own BTF says whether this kernel has them (the member name is in
    // its string table). Before, the vmlinux BTF has no ID and nothing is a kernel BTF.
    let named = sysfs.windows(11).any(|w| w == b"kernel_btf\0");
    let mut found = None;
    for id in ids(IdKind::Btf) {
        let id = kernel(id, "BTF ids");
        // An id can go away between listing and opening.
        let Ok(fd) = btf_get_fd_by_id(BtfId(id)) else {
            continue;
        };
        let info = kernel(btf_info(fd.as_fd()), "btf_info on kernel BTF");
        if !named {
            assert!(
                !info.kernel_btf && info.name.is_empty(),
                "BTF {id}: kernel_btf {}, name {:?}",
                info.kernel_btf,
                info.name
            );
        } else if info.kernel_btf && info.name == "vmlinux" {
            found = Some(info);
            break;
        }
    }
    if !named {
        return;
    }
    let info = found.expect("no kernel BTF object named vmlinux");
    assert_eq!(info.data.len(), sysfs.len());
    assert!(
        info.data == sysfs,
        "vmlinux BTF differs from /sys/kernel/btf/vmlinux"
    );
}

#[test]
fn unknown_btf_id_is_enoent() {
    // Ids are below INT_MAX; the largest one is never handed out in practice.
    let e = btf_get_fd_by_id(BtfId(i32::MAX as u32 - 1)).unwrap_err();
    assert!(e.is_enoent(), "{e}");
}
