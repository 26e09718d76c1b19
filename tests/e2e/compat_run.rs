//! Objects of `tests/objects/` loaded on the real kernel and run with `BPF_PROG_TEST_RUN`:
//! a tail call through a prog array filled from `values`, map-in-map `values`, subprograms
//! and a callback; CO-RE results compared with the kernel's own BTF; externs; `--set`.

use rawbpf_elf::btf::{Btf, BtfType};

use crate::compat_common::{data_of, load_pinned, named, object, pinned_prog, run_once, u64_at};
use crate::harness::{TestEnv, cli, features, kernel};

#[test]
fn tail_call_through_values_initialiser_runs() {
    let Some(env) = TestEnv::new("compat_tailcall") else {
        return;
    };
    if !features::bpf_loop() {
        // Before 5.17 the kernel has no bpf_loop: the load is refused naming the helper.
        let (args, out) = env.run(&["load", &object("tailcall_mim.o"), "--no-attach"]);
        cli::assert_exit(&args, &out, &[4]);
        assert!(env.pins.contents().is_empty(), "{:?}", env.pins.contents());
        return;
    }
    let report = load_pinned(&env, "tailcall_mim.o", &[]);
    let entry = pinned_prog(&env, "entry");
    // entry: bump(0), bpf_loop sum 0+1+2+3, add_twice(21), then tail call into
    // tail_target (slot 2 of `jumps`, from the `values` initialiser), which returns 42.
    assert_eq!(run_once(&entry), 42, "the tail call did not run");
    let bss = data_of(&entry, ".bss");
    assert_eq!(
        (
            u64_at(&bss, 0),
            u64_at(&bss, 1),
            u64_at(&bss, 2),
            u64_at(&bss, 3)
        ),
        (1, 1, 6, 42)
    );

    // `outer` holds inner_a at 0 and inner_b at 1 (map ids, read from user space).
    let outer = kernel::map_entries(crate::harness::report::id(
        &named(&report, "maps", "outer")["id"],
    ));
    let inner_a = crate::harness::report::id(&named(&report, "maps", "inner_a")["id"]);
    let inner_b = crate::harness::report::id(&named(&report, "maps", "inner_b")["id"]);
    let slots: Vec<(u32, u32)> = outer
        .iter()
        .map(|(k, v)| {
            (
                u32::from_ne_bytes(k[..4].try_into().unwrap()),
                u32::from_ne_bytes(v[..4].try_into().unwrap()),
            )
        })
        .collect();
    assert_eq!(slots, [(0, inner_a), (1, inner_b)]);
    // tail_target bumped inner_a[0] through the map-in-map lookup.
    let a = kernel::map_entries(inner_a);
    assert_eq!(u64::from_ne_bytes(a[0].1[..8].try_into().unwrap()), 1);
}

/// The bit offset (from the struct's start, through anonymous members), bitfield size and
/// type of `member` of struct `name` in the kernel's BTF.
fn member(btf: &Btf, name: &str, member: &str) -> (u32, u32, u32) {
    fn find(btf: &Btf, id: u32, member: &str) -> Option<(u32, u32, u32)> {
        let (_, t) = btf.resolve(id).ok()?;
        let (BtfType::Struct(c) | BtfType::Union(c)) = t else {
            return None;
        };
        for m in &c.members {
            let n = btf.string(m.name_off).ok()?;
            if n == member {
                return Some((
                    m.bit_offset(c.kind_flag),
                    m.bitfield_size(c.kind_flag),
                    m.type_id,
                ));
            }
            if n.is_empty()
                && let Some((off, size, ty)) = find(btf, m.type_id, member)
            {
                return Some((m.bit_offset(c.kind_flag) + off, size, ty));
            }
        }
        None
    }
    let id = btf
        .types()
        .iter()
        .position(|t| {
            matches!(t, BtfType::Struct(_)) && btf.string(t.name_off()).ok() == Some(name)
        })
        .unwrap_or_else(|| panic!("no struct {name} in vmlinux BTF"));
    find(btf, id as u32, member).unwrap_or_else(|| panic!("no {name}.{member}"))
}

fn struct_id_size(btf: &Btf, name: &str) -> (u32, u32) {
    let (id, t) = btf
        .types()
        .iter()
        .enumerate()
        .find(|(_, t)| {
            matches!(t, BtfType::Struct(_)) && btf.string(t.name_off()).ok() == Some(name)
        })
        .unwrap();
    let BtfType::Struct(c) = t else {
        unreachable!()
    };
    (id as u32, c.size)
}

#[test]
fn core_relocations_match_the_kernel_btf() {
    let Some(env) = TestEnv::new("compat_core") else {
        return;
    };
    let report = load_pinned(&env, "core_vmlinux.o", &[]);
    // The two guarded relocations of what does not exist were poisoned, and said so.
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(
        warnings
            .iter()
            .filter(|w| w.as_str().unwrap().contains("poisoned"))
            .count(),
        2,
        "{report}"
    );
    let prog = pinned_prog(&env, "core_probe");
    assert_eq!(run_once(&prog), 1);
    let out = data_of(&prog, ".bss");
    let o = |i| u64_at(&out, i);

    let vmlinux = Btf::parse(&std::fs::read("/sys/kernel/btf/vmlinux").unwrap()).unwrap();
    let (pid_bits, _, _) = member(&vmlinux, "task_struct", "pid");
    let (len_bits, _, _) = member(&vmlinux, "sk_buff", "len");
    let (cb_bits, _, _) = member(&vmlinux, "sk_buff", "cb");
    let (pkt_bits, pkt_size, _) = member(&vmlinux, "sk_buff", "pkt_type");
    let (task_id, task_size) = struct_id_size(&vmlinux, "task_struct");

    assert_eq!(o(0), u64::from(pid_bits / 8), "offsetof(task_struct, pid)");
    assert_eq!(o(1), 4, "sizeof(pid)");
    assert_eq!((o(2), o(3)), (1, 0), "field exists: pid yes, fake no");
    assert_eq!(
        o(4),
        u64::from(pid_bits / 8),
        "flavour task_struct___fake resolves to task_struct"
    );
    assert_eq!(o(5), u64::from(len_bits / 8), "sk_buff___old.len");
    assert_eq!(o(6), 1, "pid is signed");
    assert_eq!((o(7), o(8)), (1, 1), "type exists");
    assert_eq!(o(9), u64::from(task_size), "sizeof(task_struct)");
    assert_eq!((o(10), o(11), o(12)), (1, 27, 0), "enum value exists/value");
    assert_eq!(o(13), u64::from(task_id), "kernel type id of task_struct");
    assert_eq!((o(14), o(15)), (1, 0));
    assert_eq!((o(16), o(17)), (u64::from(cb_bits / 8), 48), "sk_buff.cb");
    // pkt_type is a 3-bit bitfield: recover its bit offset from lshift/rshift/byte offset.
    assert_eq!(pkt_size, 3);
    assert_eq!(o(19), 64 - 3, "rshift");
    assert!(matches!(o(21), 1 | 2 | 4 | 8), "byte size {}", o(21));
    let bit_off = 64 - o(18) - 3 + o(20) * 8;
    assert_eq!(
        bit_off,
        u64::from(pkt_bits),
        "bitfield position from lshift/byte offset"
    );
    assert_eq!((o(22), o(23)), (0, 0), "the poisoned branches did not run");
}

fn kallsyms_has(name: &str) -> Option<u64> {
    std::fs::read_to_string("/proc/kallsyms")
        .unwrap()
        .lines()
        .find_map(|l| {
            let mut f = l.split_whitespace();
            let (a, _, n) = (f.next()?, f.next()?, f.next()?);
            (n == name).then(|| u64::from_str_radix(a, 16).unwrap())
        })
}

#[test]
fn externs_resolve_against_the_running_kernel() {
    let Some(env) = TestEnv::new("compat_externs") else {
        return;
    };
    let Some(config) = kernel::kernel_config() else {
        // Without a readable configuration rawbpf refuses (exit 5) and names where it looked.
        let (_, out) = env.run(&[
            "load",
            &object("externs_kernel.o"),
            "--no-attach",
            "--no-pin",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{err}");
        assert!(
            err.contains("/proc/config.gz") && err.contains("/boot/config-"),
            "{err}"
        );
        return;
    };
    load_pinned(&env, "externs_kernel.o", &[]);
    let prog = pinned_prog(&env, "externs_probe");
    assert_eq!(run_once(&prog), 1);
    let out = data_of(&prog, ".bss");
    let o = |i| u64_at(&out, i);

    assert_eq!(
        o(0),
        kernel::libbpf_kernel_version(),
        "LINUX_KERNEL_VERSION"
    );
    let hz: u64 = config
        .lines()
        .find_map(|l| l.strip_prefix("CONFIG_HZ="))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(o(1), hz, "CONFIG_HZ");
    assert_eq!(o(2), 1, "CONFIG_BPF_SYSCALL");
    assert_eq!(o(3), 0, "weak missing kconfig reads 0");
    let hostname = config
        .lines()
        .find_map(|l| l.strip_prefix("CONFIG_DEFAULT_HOSTNAME=\""))
        .unwrap_or("");
    assert_eq!(
        o(8),
        u64::from(hostname.bytes().next().unwrap_or(0)),
        "string kconfig"
    );
    assert_eq!(
        Some(o(4)),
        kallsyms_has("schedule"),
        "typeless ksym is the kallsyms address"
    );
    assert_eq!(o(5), 0, "weak absent typed ksym reads 0");
    assert_eq!(o(6), 1, "kfunc bpf_cast_to_kern_ctx was called");
    // runqueues (weak, typed) resolves only where kallsyms has data symbols.
    let expect = if kallsyms_has("runqueues").is_some() {
        2
    } else {
        0
    };
    assert_eq!(
        o(7),
        expect,
        "weak kfunc guard false; runqueues as kallsyms allows"
    );
}

#[test]
fn set_rewrites_rodata_type_checked() {
    let Some(env) = TestEnv::new("compat_set") else {
        return;
    };
    load_pinned(&env, "rodata_knobs.o", &[]);
    assert_eq!(
        run_once(&pinned_prog(&env, "knobs")),
        0,
        "disabled by default"
    );
    load_pinned(
        &env,
        "rodata_knobs.o",
        &[
            "--set",
            "enabled=true",
            "--set",
            "threshold=7",
            "--set",
            "offset=-3",
            "--set",
            "mode=MODE_FAST",
            "--set",
            "tag=xyz",
        ],
    );
    assert_eq!(
        run_once(&pinned_prog(&env, "knobs")),
        7 * 100 - 3 + 3 * 1000 + 10000
    );

    let obj = object("rodata_knobs.o");
    for (set, words) in [
        ("threshold=-1", "does not fit"),
        ("offset=40000", "does not fit"),
        ("nosuch=1", "threshold"),
        ("tag=muchtoolong", "does not fit"),
        ("enabled=maybe", "bool"),
        ("mode=MODE_NONE", "not a number"),
    ] {
        // A --set that does not fit the object is a usage error.
        let out = env.run_expect(&["load", &obj, "--no-attach", "--set", set], &[2]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(words), "--set {set}: {err}");
    }
}

#[test]
fn btf_attach_points_resolved_from_the_kernel() {
    let Some(env) = TestEnv::new("compat_tracing") else {
        return;
    };
    let report = load_pinned(&env, "tracing_btf.o", &[]);
    let vmlinux = Btf::parse(&std::fs::read("/sys/kernel/btf/vmlinux").unwrap()).unwrap();
    let id_of = |name: &str, kind: u32| {
        vmlinux
            .types()
            .iter()
            .position(|t| t.kind() == kind && vmlinux.string(t.name_off()).ok() == Some(name))
            .unwrap() as u32
    };
    for (prog, target, kind) in [
        ("on_switch", "btf_trace_sched_switch", 8),
        ("dump_task", "bpf_iter_task", 12),
    ] {
        let info = kernel::prog_info(crate::harness::report::id(
            &named(&report, "programs", prog)["id"],
        ));
        assert_eq!(info.prog_type, 26, "{prog} is tracing");
        if !features::prog_info_attach_btf_id() {
            // Before 5.16 bpf_prog_info does not report the attach point; the kernel
            // accepted the program with it, which is all this kernel can show.
            continue;
        }
        assert_eq!(
            info.attach_btf_id,
            id_of(target, kind),
            "{prog} attaches to {target}"
        );
    }
}
