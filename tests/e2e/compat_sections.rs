//! Section names, program selection and the objects rawbpf must refuse with a reason.

use crate::compat_common::{exists, load_pinned, named, object, stderr_of};
use crate::harness::report::id;
use crate::harness::{TestEnv, cli, kernel};

#[test]
fn loose_section_names_and_prog_type_override() {
    let Some(env) = TestEnv::new("compat_loose") else {
        return;
    };
    let obj = object("loose_sections.o");
    // `my_filter` matches no rule: the object is refused until its function has a type...
    let err = stderr_of(&env, &["load", &obj, "--no-pin", "--pin-progs"], 5);
    assert!(
        err.contains("my_filter") && err.contains("custom_filter"),
        "{err}"
    );
    assert!(env.pins.contents().is_empty(), "{:?}", env.pins.contents());
    // ... or --program leaves it out on purpose.
    let report = env.json(&[
        "load",
        &obj,
        "--no-pin",
        "--pin-progs",
        "--program",
        "loose_parser",
        "--program",
        "loose_verdict",
        "--program",
        "loose_plain",
        "--program",
        "loose_cls",
    ]);
    let parser = named(&report, "programs", "loose_parser");
    assert_eq!(
        parser["attach"]["attach_type"], "sk_skb_stream_parser",
        "{report}"
    );
    assert_eq!(parser["attach"]["target"], "map loose_sockmap");
    let verdict = named(&report, "programs", "loose_verdict");
    assert_eq!(verdict["attach"]["attach_type"], "sk_skb_stream_verdict");
    assert!(named(&report, "programs", "loose_plain")["not_attached"].is_string());
    let cls = named(&report, "programs", "loose_cls");
    assert_eq!(
        (
            cls["type"].as_str(),
            kernel::prog_info(id(&cls["id"])).prog_type
        ),
        (Some("sched_cls"), 3)
    );
    assert!(!exists(&env.pins.path().join("progs/custom_filter")));
    let report = env.json(&[
        "load",
        &obj,
        "--no-pin",
        "--pin-progs",
        "--no-attach",
        "--prog-type",
        "custom_filter=socket_filter",
    ]);
    let custom = named(&report, "programs", "custom_filter");
    assert_eq!(kernel::prog_info(id(&custom["id"])).prog_type, 1);
    // ... and --prog-type overrides a classified one too.
    let report = env.json(&[
        "load",
        &obj,
        "--no-pin",
        "--pin-progs",
        "--no-attach",
        "--prog-type",
        "custom_filter=socket_filter",
        "--prog-type",
        "loose_cls=sched_act",
    ]);
    assert_eq!(
        kernel::prog_info(id(&named(&report, "programs", "loose_cls")["id"])).prog_type,
        4
    );
    let out = env.run_expect(
        &[
            "load",
            &obj,
            "--no-attach",
            "--prog-type",
            "custom_filter=socket_filter",
            "--prog-type",
            "nosuch=xdp",
        ],
        &[2],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no program nosuch"));
    let out = env.run_expect(
        &[
            "load",
            &obj,
            "--no-attach",
            "--prog-type",
            "custom_filter=bogus",
        ],
        &[2],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown program type"));
}

/// Untyped functions (`SEC("tc_ingress")`, `SEC("program1")`, `SEC("prog")`) never load
/// silently left out: the object is refused (exit 5) before any kernel object exists, until
/// each has a type or `--program` chooses.
#[test]
fn functions_of_unknown_sections_are_refused_until_typed() {
    let Some(env) = TestEnv::new("compat_untyped") else {
        return;
    };
    let obj = object("unknown_sections.o");
    let err = stderr_of(&env, &["load", &obj, "--pin-progs", "--no-attach"], 5);
    for word in [
        "tc_ingress",
        "us_tc_ingress",
        "program1",
        "us_program1",
        "\"prog\"",
        "us_prog_a, us_prog_b",
        "--prog-type",
    ] {
        assert!(err.contains(word), "{word}: {err}");
    }
    // Nothing was created: no program pinned, no map, no pin root content.
    assert!(env.pins.contents().is_empty(), "{:?}", env.pins.contents());
    // inspect lists them flagged, and succeeds.
    let v = cli::parse_json(&[], &cli::rawbpf(["--json", "inspect", obj.as_str()]));
    let sections: Vec<&str> = v["unknown_sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["section"].as_str().unwrap())
        .collect();
    assert_eq!(sections, ["tc_ingress", "program1", "prog"]);
    assert_eq!(
        v["unknown_sections"][2]["functions"],
        serde_json::json!(["us_prog_a", "us_prog_b"])
    );

    // Some typed, others not: still refused, naming only the rest.
    let args = [
        "load",
        &obj,
        "--pin-progs",
        "--no-attach",
        "--prog-type",
        "us_tc_ingress=sched_cls",
        "--prog-type",
        "us_program1=socket_filter",
        "--prog-type",
        "us_prog_a=socket_filter",
    ];
    let err = stderr_of(&env, &args, 5);
    assert!(
        err.contains("us_prog_b") && !err.contains("us_prog_a"),
        "{err}"
    );
    assert!(env.pins.contents().is_empty());

    // --program chooses: only that program exists in the kernel.
    let report = load_pinned(&env, "unknown_sections.o", &["--program", "us_socket"]);
    let socket = id(&named(&report, "programs", "us_socket")["id"]);
    assert_eq!(report["programs"].as_array().unwrap().len(), 1);
    assert!(kernel::live_prog_ids_named("us_socket").contains(&socket));
    assert!(!exists(&env.pins.path().join("progs/us_tc_ingress")));
    // Naming an untyped function with --program says how to type it (exit 2).
    let args = ["load", &obj, "--no-attach", "--program", "us_prog_a"];
    assert!(stderr_of(&env, &args, 2).contains("--prog-type us_prog_a=TYPE"));

    // Every function typed: all five load, each with the type given.
    let report = load_pinned(
        &env,
        "unknown_sections.o",
        &[
            "--prog-type",
            "us_tc_ingress=sched_cls",
            "--prog-type",
            "us_program1=socket_filter",
            "--prog-type",
            "us_prog_a=socket_filter",
            "--prog-type",
            "us_prog_b=sched_act",
        ],
    );
    for (name, ty) in [
        ("us_socket", 1),
        ("us_tc_ingress", 3),
        ("us_program1", 1),
        ("us_prog_a", 1),
        ("us_prog_b", 4),
    ] {
        let pid = id(&named(&report, "programs", name)["id"]);
        assert_eq!(kernel::prog_info(pid).prog_type, ty, "{name}");
        let pinned = kernel::pinned_prog_id(&env.pins.path().join("progs").join(name));
        assert_eq!(pinned, Some(pid), "{name}");
    }
}

#[test]
fn program_selection_and_program_pins() {
    let Some(env) = TestEnv::new("compat_select") else {
        return;
    };
    let report = load_pinned(
        &env,
        "legacy_samples.o",
        &["--program", "sock_second", "--program", "sock_third"],
    );
    let names: Vec<&str> = report["programs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sock_second", "sock_third"]);
    for n in names {
        let pin = env.pins.path().join("progs").join(n);
        assert_eq!(
            named(&report, "programs", n)["pin_path"],
            pin.display().to_string()
        );
        assert!(exists(&pin));
    }
    assert!(!exists(&env.pins.path().join("progs/sock_first")));
    let out = env.run_expect(
        &[
            "load",
            &object("legacy_samples.o"),
            "--no-attach",
            "--program",
            "nope",
        ],
        &[2],
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sock_first"),
        "lists the programs"
    );
}

#[test]
fn refused_objects_say_why() {
    let Some(env) = TestEnv::new("compat_refused") else {
        return;
    };
    let out = env.run_expect(&["load", &object("bad_trailing.o"), "--no-attach"], &[5]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("map odd_map") && err.contains("byte 28 is not zero"),
        "{err}"
    );

    let be = object("rodata_knobs.be.o");
    let inspect = cli::rawbpf(["--json", "inspect", be.as_str()]);
    assert!(inspect.status.success());
    let v: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(v["endian"], "big");
    assert_eq!(v["programs"][0]["name"], "knobs");
    let out = env.run_expect(&["load", &be, "--no-attach"], &[5]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("big-endian"));

    // The object has BTF; what it lacks is the __ksym: the refusal says that, and that the
    // kernel has the symbol, never "build with clang -g".
    let out = env.run_expect(&["load", &object("extern_plain.o"), "--no-attach"], &[5]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("extern schedule: declared neither __ksym nor __kconfig")
            && err.contains("the running kernel has a symbol of that name")
            && !err.contains("clang -g")
            && err.trim().lines().count() == 1,
        "{err}"
    );
}
