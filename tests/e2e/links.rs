//! Cgroup attachments through bpf_links (`docs/guarantees.md`, "Attachments are links"):
//!
//! * the attachment is a link pinned beside the record, running the recorded program;
//!   `BPF_PROG_DETACH` (what `bpftool cgroup detach` issues) cannot remove it, and
//!   `detach` removes exactly that link, not another tool's program next to it;
//! * a reload over a program record of an earlier rawbpf (attached with
//!   `BPF_PROG_ATTACH`, no link pin) moves it to a link without a moment of no program;
//! * an overlapping upgrade (the new pod's load while the old pod's program runs, then the
//!   old pod's stop) leaves the new program attached: `--owner`.

use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use rawbpf_syscalls::{self as sys, AttachFlags, LinkTarget};

use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::report::id;
use crate::harness::{SOCKOPS_O, TestEnv};
use crate::reliability_common::{link_pin_names, record_names};

fn records_dir(env: &TestEnv) -> PathBuf {
    env.pins.join("attached-progs")
}

fn obj_get(path: &Path) -> OwnedFd {
    sys::obj_get(&CString::new(path.display().to_string()).unwrap())
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}

/// The one record and its one link pin: (record path, link pin name, link info).
fn the_link(env: &TestEnv) -> (PathBuf, String, sys::LinkInfo) {
    let dir = records_dir(env);
    let records = record_names(&dir);
    assert_eq!(records.len(), 1, "records {records:?}");
    let links = link_pin_names(&dir);
    assert_eq!(links.len(), 1, "link pins {links:?}");
    assert!(
        links[0].starts_with(&format!("{}%link", records[0])),
        "{links:?}"
    );
    let link = obj_get(&dir.join(&links[0]));
    assert_eq!(sys::obj_info_kind(link.as_fd()), sys::ObjKind::Link);
    let info = sys::link_info(link.as_fd()).unwrap();
    (dir.join(&records[0]), links[0].clone(), info)
}

fn cgroup_inode(env: &TestEnv) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(env.cgroup_path()).unwrap().ino()
}

#[test]
fn the_attachment_is_a_link_prog_detach_cannot_remove() {
    let Some(env) = TestEnv::new("links_owned") else {
        return;
    };
    let r = env.load(SOCKOPS_O, &[]);
    let (record, link_name, info) = the_link(&env);
    assert_eq!(
        link_name,
        format!("{}%link", record.file_name().unwrap().to_string_lossy())
    );
    assert_eq!(info.prog_id.0, r.prog_id);
    assert_eq!(
        info.target,
        LinkTarget::Cgroup {
            cgroup_id: cgroup_inode(&env),
            attach_type: ATTACH_SOCK_OPS
        }
    );
    assert_eq!(
        kernel::pinned_prog_id(&record),
        Some(r.prog_id),
        "the record pins it"
    );

    // What `bpftool cgroup detach` does: refused, the program stays.
    let cg = File::open(env.cgroup_path()).unwrap();
    let prog = obj_get(&record);
    let e = sys::prog_detach(cg.as_fd(), Some(prog.as_fd()), ATTACH_SOCK_OPS).unwrap_err();
    assert_eq!(e.errno, libc::ENOENT, "{e}");
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
        vec![r.prog_id]
    );

    // Another tool's program beside it (multi): detach removes exactly rawbpf's link.
    let foreign = kernel::load_foreign_sockops("links_foreign");
    sys::prog_attach(
        cg.as_fd(),
        foreign.as_fd(),
        ATTACH_SOCK_OPS,
        AttachFlags::ALLOW_MULTI,
        None,
    )
    .unwrap();
    let foreign_id = sys::prog_info(foreign.as_fd()).unwrap().id.0;
    let d = env.json(&["detach"]);
    assert_eq!(id(&d["detached"][0]["id"]), r.prog_id, "{d}");
    assert_eq!(
        kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS),
        vec![foreign_id],
        "only rawbpf's link went"
    );
    assert!(record_names(&records_dir(&env)).is_empty());
    assert!(link_pin_names(&records_dir(&env)).is_empty());
    sys::prog_detach(cg.as_fd(), Some(foreign.as_fd()), ATTACH_SOCK_OPS).unwrap();
}

#[test]
fn reload_moves_an_old_program_record_to_a_link_without_a_gap() {
    let Some(env) = TestEnv::new("links_migrate") else {
        return;
    };
    let old = env.load(SOCKOPS_O, &[]);
    // Make it what an earlier rawbpf left: the program attached with BPF_PROG_ATTACH
    // (multi), pinned as the record, no link pin.
    let (record, link_name, _) = the_link(&env);
    let cg = File::open(env.cgroup_path()).unwrap();
    let prog = obj_get(&record);
    sys::prog_attach(
        cg.as_fd(),
        prog.as_fd(),
        ATTACH_SOCK_OPS,
        AttachFlags::ALLOW_MULTI,
        None,
    )
    .unwrap();
    std::fs::remove_file(records_dir(&env).join(&link_name)).unwrap();
    let attached = || kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS);
    // The link went with its pin; the program attached the old way stays.
    kernel::poll(|| (attached() == vec![old.prog_id]).then_some(()))
        .unwrap_or_else(|| panic!("old-style attachment: {:?}", attached()));

    let stop = AtomicBool::new(false);
    let (queries, empty) = std::thread::scope(|s| {
        let poller = s.spawn(|| {
            let (mut queries, mut empty) = (0u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                let q = sys::prog_query(cg.as_fd(), ATTACH_SOCK_OPS).unwrap();
                queries += 1;
                empty += u64::from(q.prog_ids.is_empty());
            }
            (queries, empty)
        });
        // Not "unchanged": the same object, but recorded without a link.
        let new = env.load(SOCKOPS_O, &[]);
        stop.store(true, Ordering::Relaxed);
        (poller.join().unwrap(), new)
    })
    .0;
    assert!(queries > 0);
    assert_eq!(empty, 0, "{empty} of {queries} queries saw no program");
    let (_, _, info) = the_link(&env);
    assert_ne!(info.prog_id.0, old.prog_id, "a new program runs");
    assert_eq!(
        attached(),
        vec![info.prog_id.0],
        "the old program was detached"
    );
    assert_eq!(kernel::pinned_prog_id(&record), Some(info.prog_id.0));
    // Now a reload is unchanged again.
    let again = env.json(&["load", SOCKOPS_O]);
    assert_eq!(again["programs"][0]["status"], "unchanged", "{again}");
}

#[test]
fn overlapping_upgrade_keeps_the_new_program_attached() {
    let Some(env) = TestEnv::new("links_upgrade") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let v2 = crate::reload_cost::variant(dir.path(), true, false);
    let attached = || kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS);

    // The old pod's start, then the new pod's start while the old one still runs.
    let old = env.load(SOCKOPS_O, &["--owner", "pod-old"]);
    assert!(the_link(&env).1.ends_with("%link-pod-old"));
    let new = env.load(&v2, &["--owner", "pod-new"]);
    assert_eq!(new.replaced_id, Some(old.prog_id));
    let (_, name, info) = the_link(&env);
    assert!(name.ends_with("%link-pod-new"), "{name}");
    assert_eq!(info.prog_id.0, new.prog_id);

    // The old pod's stop: exit 0, nothing detached, the new program named as another's,
    // and no pin removed even with --unpin (the new program uses the map).
    let map = env.pinned_map_id();
    let d = env.json(&["detach", "--owner", "pod-old", "--unpin"]);
    assert_eq!(d["detached"], serde_json::json!([]), "{d}");
    assert_eq!(d["unpinned"], serde_json::json!([]), "{d}");
    assert_eq!(env.pinned_map_id(), map);
    assert_eq!(d["owned_by_others"][0]["owner"], "pod-new", "{d}");
    assert_eq!(id(&d["owned_by_others"][0]["id"]), new.prog_id, "{d}");
    assert_eq!(
        attached(),
        vec![new.prog_id],
        "the new program stays attached"
    );

    // The same with an unchanged object: the newest load still takes the link over.
    let same = env.json(&["load", &v2, "--owner", "pod-newer"]);
    assert_eq!(same["programs"][0]["status"], "unchanged", "{same}");
    assert!(the_link(&env).1.ends_with("%link-pod-newer"));
    env.json(&["detach", "--owner", "pod-new"]);
    assert_eq!(attached(), vec![new.prog_id]);

    // The owner's own stop detaches it.
    let d = env.json(&["detach", "--owner", "pod-newer", "--unpin"]);
    assert_eq!(id(&d["detached"][0]["id"]), new.prog_id, "{d}");
    assert!(attached().is_empty());
    // A token rawbpf cannot put in a file name is a usage error.
    env.run_expect(&["load", SOCKOPS_O, "--owner", "a/b"], &[2]);
    assert!(attached().is_empty());
}

const SKMSG_O: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bpf-prog/bpf_skmsg.o");
const ATTACH_SK_MSG: u32 = rawbpf_abi::AttachType::SK_MSG_VERDICT.0;

/// The sk_msg program on the pinned sockhash: a sockmap link where the kernel has them
/// (6.10+), pinned beside the map record, replaced with `BPF_LINK_UPDATE`, owned like a
/// cgroup link; before 6.10 `BPF_PROG_ATTACH` as before, and no link pin.
#[test]
fn sk_msg_attachment_is_a_sockmap_link_where_the_kernel_has_them() {
    let Some(env) = TestEnv::new("links_skmsg") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    let map_id = env.pinned_map_id();
    let v = env.json(&["load", SKMSG_O, "--owner", "a"]);
    let prog = id(&v["programs"][0]["id"]);
    let dir = records_dir(&env);
    let record = format!("map{map_id}-{ATTACH_SK_MSG}-bpf_redir");
    assert_eq!(kernel::pinned_prog_id(&dir.join(&record)), Some(prog));
    let map_links: Vec<String> = link_pin_names(&dir)
        .into_iter()
        .filter(|n| n.starts_with("map"))
        .collect();
    if !crate::harness::features::sockmap_links() {
        assert!(map_links.is_empty(), "no sockmap links here: {map_links:?}");
        return;
    }
    assert_eq!(map_links, vec![format!("{record}%link-a")]);
    let link = obj_get(&dir.join(&map_links[0]));
    let info = sys::link_info(link.as_fd()).unwrap();
    assert_eq!(info.prog_id.0, prog);
    assert_eq!(
        info.target,
        LinkTarget::Sockmap {
            map_id: sys::MapId(map_id),
            attach_type: ATTACH_SK_MSG
        }
    );
    // BPF_PROG_DETACH cannot take a link's program off the map.
    let map = obj_get(&env.pins.join(crate::harness::MAP_NAME));
    let p = obj_get(&dir.join(&record));
    let e = sys::prog_detach(map.as_fd(), Some(p.as_fd()), ATTACH_SK_MSG).unwrap_err();
    assert_eq!(e.errno, libc::EBUSY, "{e}");

    // A forced reload by another owner: the same link, the new program, the pin renamed.
    let r = env.json(&["load", SKMSG_O, "--force", "--owner", "b"]);
    let new = id(&r["programs"][0]["id"]);
    assert_eq!(id(&r["programs"][0]["attach"]["replaced_id"]), prog, "{r}");
    let now = sys::link_info(link.as_fd()).unwrap();
    assert_eq!((now.id, now.prog_id.0), (info.id, new));
    assert!(dir.join(format!("{record}%link-b")).exists());

    // The old owner's stop leaves it; a plain detach removes exactly that link.
    let d = env.json(&["detach", "--owner", "a"]);
    assert!(
        d["owned_by_others"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["owner"] == "b" && id(&o["id"]) == new),
        "{d}"
    );
    let q = sys::prog_query_ids(map.as_fd(), ATTACH_SK_MSG).unwrap();
    assert_eq!(q.prog_ids, vec![sys::ProgId(new)]);
    env.json(&["detach", "--owner", "b"]);
    let q = sys::prog_query_ids(map.as_fd(), ATTACH_SK_MSG).unwrap();
    assert!(q.prog_ids.is_empty(), "{q:?}");

    // What an earlier rawbpf left: the program attached to the map with BPF_PROG_ATTACH,
    // its map record, no link pin. The next load, though unchanged, moves it to a link.
    let old = id(&env.json(&["load", SKMSG_O])["programs"][0]["id"]);
    std::fs::remove_file(dir.join(format!("{record}%link"))).unwrap();
    let p = obj_get(&dir.join(&record));
    kernel::poll(|| {
        sys::prog_attach(
            map.as_fd(),
            p.as_fd(),
            ATTACH_SK_MSG,
            AttachFlags::NONE,
            None,
        )
        .ok()
    })
    .expect("attach the old way once the link is gone");
    let v = env.json(&["load", SKMSG_O]);
    assert_eq!(v["programs"][0]["status"], "loaded", "{v}");
    let moved = id(&v["programs"][0]["id"]);
    assert_eq!(id(&v["programs"][0]["attach"]["replaced_id"]), old, "{v}");
    let link = obj_get(&dir.join(format!("{record}%link")));
    assert_eq!(sys::link_info(link.as_fd()).unwrap().prog_id.0, moved);
    let q = sys::prog_query_ids(map.as_fd(), ATTACH_SK_MSG).unwrap();
    assert_eq!(q.prog_ids, vec![sys::ProgId(moved)]);
    let again = env.json(&["load", SKMSG_O]);
    assert_eq!(again["programs"][0]["status"], "unchanged", "{again}");
    env.json(&["detach"]);
}

/// A link pin whose record is gone (a run died between removing the two) still holds its
/// program attached: `detach --unpin` finds it, detaches it and removes it.
#[test]
fn unpin_frees_a_link_pin_left_without_its_record() {
    let Some(env) = TestEnv::new("links_orphan") else {
        return;
    };
    let r = env.load(SOCKOPS_O, &[]);
    let (record, link_name, _) = the_link(&env);
    for pin in std::fs::read_dir(records_dir(&env).join("data"))
        .unwrap()
        .flatten()
    {
        std::fs::remove_file(pin.path()).unwrap();
    }
    std::fs::remove_file(&record).unwrap();
    let attached = || kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS);
    assert_eq!(
        attached(),
        vec![r.prog_id],
        "the link alone keeps it attached"
    );
    let d = env.json(&["detach", "--unpin"]);
    let link_pin = records_dir(&env).join(&link_name).display().to_string();
    assert!(
        d["unpinned"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str() == Some(&link_pin)),
        "{d}"
    );
    assert!(attached().is_empty());
    assert!(env.pins.contents().is_empty(), "{:?}", env.pins.contents());
}
