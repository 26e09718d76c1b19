//! Section names, program selection and the objects rawbpf must refuse with a reason.

use crate::compat_common::{exists, load_pinned, named, object};
use crate::harness::report::id;
use crate::harness::{TestEnv, cli, kernel};

#[test]
fn loose_section_names_and_prog_type_override() {
    let Some(env) = TestEnv::new("compat_loose") else {
        return;
    };
    let obj = object("loose_sections.o");
    let report = env.json(&["load", &obj, "--no-pin", "--pin-progs"]);
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
    // `my_filter` matches no rule: no program, until its type is given.
    assert!(
        report["programs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["name"] != "custom_filter")
    );
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
        "loose_cls=sched_act",
    ]);
    assert_eq!(
        kernel::prog_info(id(&named(&report, "programs", "loose_cls")["id"])).prog_type,
        4
    );
    let out = env.run_expect(
        &["load", &obj, "--no-attach", "--prog-type", "nosuch=xdp"],
        &[2],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no program nosuch"));
    let out = env.run_expect(
        &[
            "load",
            &obj,
            "--no-attach",
            "--prog-type",
            "loose_cls=bogus",
        ],
        &[2],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown program type"));
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
}
