//! Run-time map sizes (`--map NAME.FIELD=N`) and `--skip-refused`, on `refused_twins.o`: a
//! socket filter and a kprobe every verifier refuses, sharing a map.

use crate::compat_common::{error_of, load_pinned, object, pinned_prog};
use crate::harness::{MAP_NAME, SOCKOPS_O, TestEnv, kernel};

/// The kernel's (id, key_size, value_size, max_entries) of the map `name` of a program.
fn map_of(prog: &std::os::fd::OwnedFd, name: &str) -> (u32, u32, u32, u32) {
    let info = rawbpf_syscalls::prog_info(std::os::fd::AsFd::as_fd(prog)).unwrap();
    info.map_ids
        .iter()
        .filter_map(|id| kernel::map_info(id.0))
        .find(|m| m.name == name)
        .map(|m| (m.id.0, m.key_size, m.value_size, m.max_entries))
        .unwrap_or_else(|| panic!("the program has no map {name}"))
}

/// `--map` sets max_entries and value_size before creation (the kernel's map has them);
/// a name the object lacks is a usage error with the nearest one.
#[test]
fn map_sizes_set_at_run_time_reach_the_kernel() {
    let Some(env) = TestEnv::new("compat_sizes") else {
        return;
    };
    let sizes = [
        "--program",
        "twin_socket",
        "--map",
        "twin_hits.max_entries=7",
        "--map",
        "twin_hits.value_size=16",
    ];
    load_pinned(&env, "refused_twins.o", &sizes);
    let prog = pinned_prog(&env, "twin_socket");
    let (_, key, value, max) = map_of(&prog, "twin_hits");
    assert_eq!((key, value, max), (4, 16, 7));

    let twins = object("refused_twins.o");
    let e = error_of(
        &env,
        &[
            "load",
            &twins,
            "--no-attach",
            "--map",
            "twin_hit.max_entries=2",
        ],
        2,
    );
    assert!(e.contains("did you mean twin_hits?"), "{e}");
}

/// A pinned map that differs from the overridden size is a conflict (exit 7) naming the
/// override, and the pin stays as it was.
#[test]
fn pinned_map_conflict_names_the_override() {
    let Some(env) = TestEnv::new("compat_sizes_pin") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    let id = env.pinned_map_id();
    let before = kernel::map_info(id).unwrap().max_entries;
    let arg = format!("{MAP_NAME}.max_entries={}", before * 2);
    let e = error_of(&env, &["load", SOCKOPS_O, "--map", &arg], 7);
    assert!(e.contains(&format!("--map {arg}")), "{e}");
    assert_eq!(env.pinned_map_id(), id, "the pin was replaced");
    assert_eq!(kernel::map_info(id).unwrap().max_entries, before);
}

/// `--skip-refused` loads the socket filter and reports the kprobe with the verifier's
/// reason; without it the load fails (exit 6), and so it does when every program is refused.
#[test]
fn skip_refused_loads_what_the_kernel_accepts() {
    let Some(env) = TestEnv::new("compat_skip_refused") else {
        return;
    };
    let twins = object("refused_twins.o");
    error_of(&env, &["load", &twins, "--no-attach", "--pin-progs"], 6);
    assert!(env.pins.contents().is_empty(), "{:?}", env.pins.contents());
    let only_kprobe = ["load", &twins, "--no-attach", "--program", "twin_kprobe"];
    error_of(&env, &[&only_kprobe[..], &["--skip-refused"]].concat(), 6);

    let report = load_pinned(&env, "refused_twins.o", &["--skip-refused"]);
    let refused = report["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 1, "{report}");
    assert_eq!(refused[0]["name"], "twin_kprobe");
    let reason = refused[0]["reason"].as_str().unwrap();
    assert!(reason.contains("invalid bpf_context access"), "{reason}");

    let prog = pinned_prog(&env, "twin_socket");
    let info = rawbpf_syscalls::prog_info(std::os::fd::AsFd::as_fd(&prog)).unwrap();
    assert_eq!(info.prog_type, 1, "BPF_PROG_TYPE_SOCKET_FILTER");
    assert!(!env.pins.path().join("progs/twin_kprobe").exists());
    assert!(kernel::live_prog_ids_named("twin_kprobe").is_empty());
    // Its maps are still created: the one it shares is the socket filter's.
    map_of(&prog, "twin_hits");
}
