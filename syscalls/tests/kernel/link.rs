//! bpf_link commands against the running kernel: a cgroup link created, pinned, updated
//! (with and without `BPF_F_REPLACE`), immune to `BPF_PROG_DETACH`, and detached; a sockmap
//! link where the kernel has them (6.10+, probed from its BTF), the refusal where not.

use super::*;
use rawbpf_syscalls::{
    LinkTarget, MapId, link_create, link_detach, link_info, link_update, map_info,
};

const BPF_PROG_TYPE_SK_MSG: u32 = ProgType::SK_MSG.0;
const BPF_SK_MSG_VERDICT: u32 = AttachType::SK_MSG_VERDICT.0;

/// The cgroup's inode number: what a cgroup link reports as its `cgroup_id`.
fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    kernel(std::fs::metadata(path), "stat cgroup").ino()
}

#[test]
fn cgroup_link_create_update_detach() {
    let cg = Cgroup::new(&[BPF_CGROUP_SOCK_OPS]);
    let dir = PinDir::new();
    let target = cg.dir.as_fd();
    let p1 = load_ret_one("rawbpf_lnk1");
    let p2 = load_ret_one("rawbpf_lnk2");
    let p3 = load_ret_one("rawbpf_lnk3");
    let id1 = kernel(prog_info(p1.as_fd()), "info p1").id;
    let id2 = kernel(prog_info(p2.as_fd()), "info p2").id;

    let link = kernel(
        link_create(p1.as_fd(), target, BPF_CGROUP_SOCK_OPS),
        "BPF_LINK_CREATE cgroup",
    );
    assert_eq!(obj_info_kind(link.as_fd()), ObjKind::Link);
    let info = kernel(link_info(link.as_fd()), "link info");
    assert_eq!(info.prog_id, id1);
    assert_eq!(
        info.target,
        LinkTarget::Cgroup {
            cgroup_id: inode(&cg.path),
            attach_type: BPF_CGROUP_SOCK_OPS
        }
    );
    let q = kernel(prog_query(target, BPF_CGROUP_SOCK_OPS), "query link");
    assert_eq!(q.prog_ids, vec![id1]);
    // A link is multi-attach: the cgroup reports BPF_F_ALLOW_MULTI.
    assert_eq!(q.attach_flags, AttachFlags::ALLOW_MULTI.0);

    // The pin keeps the attachment alive past the fd; it opens as a link again.
    let pin = dir.path("link");
    kernel(obj_pin(link.as_fd(), &pin), "pin link");
    drop(link);
    let link = kernel(obj_get(&pin), "BPF_OBJ_GET link");
    // An opened link's anon inode is `bpf-link`, a created one's `bpf_link`: both links.
    assert_eq!(obj_info_kind(link.as_fd()), ObjKind::Link);
    assert_eq!(kernel(link_info(link.as_fd()), "info pinned").id, info.id);

    // BPF_PROG_DETACH cannot remove a link's program (ENOENT: no such attachment).
    let e = prog_detach(target, Some(p1.as_fd()), BPF_CGROUP_SOCK_OPS).unwrap_err();
    assert_eq!(e.errno, libc::ENOENT, "{e}");

    // Replace, checked against the old program; a wrong old program is EPERM.
    kernel(
        link_update(link.as_fd(), p2.as_fd(), Some(p1.as_fd())),
        "BPF_LINK_UPDATE replace",
    );
    let e = link_update(link.as_fd(), p3.as_fd(), Some(p1.as_fd())).unwrap_err();
    assert_eq!(e.errno, libc::EPERM, "{e}");
    assert_eq!(kernel(link_info(link.as_fd()), "info").prog_id, id2);
    let q = kernel(prog_query(target, BPF_CGROUP_SOCK_OPS), "query updated");
    assert_eq!(q.prog_ids, vec![id2]);
    // Without BPF_F_REPLACE the update is unconditional.
    kernel(
        link_update(link.as_fd(), p3.as_fd(), None),
        "BPF_LINK_UPDATE",
    );
    let id3 = kernel(prog_info(p3.as_fd()), "info p3").id;
    assert_eq!(kernel(link_info(link.as_fd()), "info").prog_id, id3);

    // The link is among the kernel's links.
    let all: Vec<u32> = ids(IdKind::Link)
        .map(|r| kernel(r, "BPF_LINK_GET_NEXT_ID"))
        .collect();
    assert!(all.contains(&info.id.0), "{:?} not in {all:?}", info.id);

    kernel(link_detach(link.as_fd()), "BPF_LINK_DETACH");
    let q = kernel(prog_query(target, BPF_CGROUP_SOCK_OPS), "query detached");
    assert!(q.prog_ids.is_empty(), "{q:?}");
    // A detached cgroup link lives on, defunct, until its pin goes.
    let after = kernel(link_info(link.as_fd()), "info detached");
    assert!(
        matches!(after.target, LinkTarget::Cgroup { cgroup_id: 0, .. }),
        "{after:?}"
    );
}

/// True when the kernel has sockmap links (6.10+): `BPF_LINK_TYPE_SOCKMAP` in its BTF.
fn has_sockmap_links() -> bool {
    const NAME: &[u8] = b"BPF_LINK_TYPE_SOCKMAP\0";
    std::fs::read("/sys/kernel/btf/vmlinux")
        .map(|b| b.windows(NAME.len()).any(|w| w == NAME))
        .unwrap_or(false)
}

#[test]
fn sockmap_link_or_refusal() {
    let map = kernel(
        map_create(&MapCreate {
            map_type: MapType::SOCKHASH.0,
            key_size: 4,
            value_size: 4,
            max_entries: 8,
            name: ObjName::new("rawbpf_lnkmap"),
            ..MapCreate::default()
        }),
        "BPF_MAP_CREATE sockhash",
    );
    let map_id: MapId = kernel(map_info(map.as_fd()), "map info").id;
    let spec = ProgLoad {
        prog_type: BPF_PROG_TYPE_SK_MSG,
        ..prog_spec("rawbpf_lnkmsg", &RET_ONE)
    };
    let prog = kernel(prog_load(&spec, 0, None), "BPF_PROG_LOAD sk_msg");
    let got = link_create(prog.as_fd(), map.as_fd(), BPF_SK_MSG_VERDICT);
    if !has_sockmap_links() {
        let e = got.unwrap_err();
        assert_eq!(e.errno, libc::EINVAL, "{e}");
        return;
    }
    let link = kernel(got, "BPF_LINK_CREATE sockmap");
    let info = kernel(link_info(link.as_fd()), "sockmap link info");
    assert_eq!(
        info.target,
        LinkTarget::Sockmap {
            map_id,
            attach_type: BPF_SK_MSG_VERDICT
        }
    );
    let prog2 = kernel(prog_load(&spec, 0, None), "BPF_PROG_LOAD sk_msg 2");
    kernel(
        link_update(link.as_fd(), prog2.as_fd(), Some(prog.as_fd())),
        "BPF_LINK_UPDATE sockmap",
    );
    let id2 = kernel(prog_info(prog2.as_fd()), "info").id;
    assert_eq!(kernel(link_info(link.as_fd()), "info").prog_id, id2);
    kernel(link_detach(link.as_fd()), "BPF_LINK_DETACH sockmap");
}
