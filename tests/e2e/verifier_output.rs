//! A verifier rejection reads well: the verdict, the failing C source line, the instructions
//! before it, and a pointer to `-v`; `--json` carries the same summary.

use crate::harness::cli;
use crate::harness::kernel::{self, ATTACH_SOCK_OPS};
use crate::harness::{MAP_NAME, SOCKOPS_INVALID_O, TestEnv};

const VERDICT: &str = "invalid unbounded variable-offset read from stack R1";
const SOURCE: &str = "return ((__u8 *)&key)[idx];";

#[test]
fn rejection_names_the_failing_source_line() {
    let Some(env) = TestEnv::new("verifier_output") else {
        return;
    };
    let out = env.run_expect(&["load", SOCKOPS_INVALID_O], &[6]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("verifier: {VERDICT}")),
        "no verdict in:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("at bpf_sockops_invalid.c:37: {SOURCE}")),
        "no failing source line in:\n{stderr}"
    );
    assert!(
        stderr.contains("> 12: r0 = *(u8 *)(r1 +0)"),
        "the failing instruction is not marked:\n{stderr}"
    );
    assert!(
        stderr.contains("; key.dip4 = skops->remote_ip4;"),
        "the instructions before it are not annotated:\n{stderr}"
    );
    assert!(stderr.contains("rerun with -v"), "{stderr}");
    assert!(
        !stderr.contains("processed 13 insns"),
        "the statistics belong to the full log only:\n{stderr}"
    );
    assert!(!stderr.contains('\x1b'), "colour on a pipe:\n{stderr}");
    assert!(out.stdout.is_empty(), "stdout: {:?}", out.stdout);

    // Nothing was attached or pinned.
    assert!(kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS).is_empty());
    assert_eq!(kernel::pinned_map_id(&env.pins.join(MAP_NAME)), None);

    // -v: the whole log, then the summary (without the pointer to -v).
    let out = env.run_expect(&["load", SOCKOPS_INVALID_O, "-v"], &[6]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("processed 13 insns"), "{stderr}");
    assert!(stderr.contains("0: (b7) r2 = 0"), "{stderr}");
    assert!(stderr.contains(&format!("verifier: {VERDICT}")), "{stderr}");
    assert!(!stderr.contains("rerun with -v"), "{stderr}");
}

#[test]
fn rejection_as_json() {
    let Some(env) = TestEnv::new("verifier_json") else {
        return;
    };
    let mut args = vec!["--json".to_string()];
    args.extend(env.args(&["load", SOCKOPS_INVALID_O]));
    let out = cli::rawbpf(&args);
    cli::assert_exit(&args, &out, &[6]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", cli::describe(&args, &out)));
    assert_eq!(v["exit_code"], 6, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("verifier rejected"),
        "{v}"
    );
    assert!(v["verifier_log"].as_str().unwrap().contains(VERDICT), "{v}");
    let s = &v["verifier_summary"];
    assert_eq!(s["verdict"], VERDICT, "{s}");
    assert_eq!(s["location"]["file"], "bpf_sockops_invalid.c", "{s}");
    assert_eq!(s["location"]["line"], 37, "{s}");
    assert_eq!(s["location"]["text"], SOURCE, "{s}");
    assert_eq!(s["sources"], "log", "{s}");
    let insns = s["insns"].as_array().unwrap();
    assert!(!insns.is_empty() && insns.len() <= 10, "{s}");
    let last = insns.last().unwrap();
    assert_eq!(last["insn"], 12, "{s}");
    assert_eq!(last["text"], "r0 = *(u8 *)(r1 +0)", "{s}");
    assert_eq!(last["source"]["line"], 37, "{s}");
    assert!(s["log_lines"].as_u64().unwrap() > 10, "{s}");
    // Nothing was attached or pinned.
    assert!(kernel::attached_prog_ids(env.cgroup_path(), ATTACH_SOCK_OPS).is_empty());
    assert_eq!(kernel::pinned_map_id(&env.pins.join(MAP_NAME)), None);
}
