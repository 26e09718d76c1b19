//! The sockmap fast path: `bpf_skmsg.o` attached to the pinned `sock_ops_map` redirects
//! every message between two sockets of the test cgroup straight into the peer's receive
//! queue. Data arrives intact and in order for 1 B to 1 MiB messages; `rawbpf detach OBJ`
//! detaches the program from the map; open connections keep working throughout.
//!
//! Whether TCP carried a transfer is read from the kernel (`TCP_INFO`): the receiving
//! socket's `tcpi_bytes_received` grows by the transfer size over TCP and stays put when the
//! message was redirected.
//!
//! The kernel gives a socket the map's programs when the socket enters the map (sockops
//! adds it once the connection is established) and never afterwards, so which path a
//! connection takes depends on the order; the test pins down each case:
//!
//! | connection established        | sk_msg attached | after `detach bpf_skmsg.o` |
//! |-------------------------------|-----------------|-----------------------------|
//! | before the sk_msg attach      | TCP             | TCP                         |
//! | after the sk_msg attach       | redirected      | redirected (keeps its copy) |
//! | after the detach              | —               | TCP                         |

use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsFd;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use crate::harness::report::id;
use crate::harness::{SOCKOPS_O, TestEnv, child, features, kernel};

const SKMSG_O: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bpf-prog/bpf_skmsg.o");
/// `BPF_SK_MSG_VERDICT`.
const ATTACH_SK_MSG: u32 = 7;
/// Message sizes of the transfers: 1 B to 1 MiB, with the odd sizes around page and
/// buffer boundaries.
const SIZES: &[usize] = &[1, 2, 100, 4095, 4096, 4097, 65_535, 65_536, 65_537, 1 << 20];

/// What the TCP stack carried during one transfer in each direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Carried {
    /// Client to server: growth of the server socket's `tcpi_bytes_received`.
    up: u64,
    /// Server to client: growth of the client socket's `tcpi_bytes_received`.
    down: u64,
}

/// The traffic child (`rawbpf-e2e-child traffic`): a process in the test cgroup that opens
/// connection pairs and moves data over them on command (one line per command on its stdin).
struct Traffic {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Traffic {
    fn start(env: &TestEnv) -> Traffic {
        let mut traffic = child::command("traffic")
            .arg(env.cgroup_path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn the traffic child: {e}"));
        let stdin = traffic.stdin.take().unwrap();
        let stdout = BufReader::new(traffic.stdout.take().unwrap());
        let mut t = Traffic {
            child: traffic,
            stdin,
            stdout,
        };
        t.reply("READY");
        t
    }

    /// Reads the child's next line, which must start with `word`; returns the words after it.
    fn reply(&mut self, word: &str) -> Vec<String> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line).unwrap() == 0 {
            let status = self.child.wait().unwrap();
            panic!(
                "the traffic child ended before {word}: {}",
                child::describe(&status)
            );
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.split_first() {
            Some((w, rest)) if *w == word => rest.iter().map(|s| s.to_string()).collect(),
            _ => panic!("traffic child: expected {word}, got {:?}", line.trim_end()),
        }
    }

    fn send(&mut self, cmd: &str) {
        writeln!(self.stdin, "{cmd}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Opens a connection pair; returns its index and (client port, server port).
    fn open(&mut self) -> (usize, u16, u16) {
        self.send("open");
        let w = self.reply("CONN");
        (
            w[0].parse().unwrap(),
            w[1].parse().unwrap(),
            w[2].parse().unwrap(),
        )
    }

    /// Moves `n` bytes each way over pair `i` (the child checks every byte and its order).
    fn xfer(&mut self, i: usize, n: usize) -> Carried {
        self.send(&format!("xfer {i} {n}"));
        let w = self.reply("OK");
        Carried {
            up: w[0].parse().unwrap(),
            down: w[1].parse().unwrap(),
        }
    }
}

impl Drop for Traffic {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        if kernel::poll(|| self.child.try_wait().ok().flatten()).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The sk_msg programs attached to the map `map_id` as the kernel says (`BPF_PROG_QUERY` on
/// the map, 5.19+), else as rawbpf's map record under `env`'s pin root says.
fn skmsg_progs(env: &TestEnv, map_id: u32) -> Vec<u32> {
    if !features::sockmap_prog_query() {
        let record = env.pins.join(&format!(
            "attached-progs/map{map_id}-{ATTACH_SK_MSG}-bpf_redir"
        ));
        return kernel::pinned_prog_id(&record).into_iter().collect();
    }
    let fd = rawbpf_syscalls::fd_by_id(rawbpf_syscalls::IdKind::Map, map_id).unwrap();
    rawbpf_syscalls::prog_query(fd.as_fd(), ATTACH_SK_MSG)
        .unwrap_or_else(|e| panic!("prog_query on map {map_id}: {e}"))
        .prog_ids
        .iter()
        .map(|p| p.0)
        .collect()
}

/// Waits until the sockhash holds `n` sockets.
fn wait_entries(map_id: u32, n: usize) {
    kernel::poll(|| (kernel::map_entries(map_id).len() == n).then_some(())).unwrap_or_else(|| {
        panic!(
            "map {map_id} never held {n} sockets: {:?}",
            kernel::map_entries(map_id)
        )
    });
}

#[test]
fn fast_path_keeps_data_intact_and_detaches() {
    let Some(env) = TestEnv::new("skmsg") else {
        return;
    };
    env.load(SOCKOPS_O, &[]);
    let map_id = env.pinned_map_id();
    let mut t = Traffic::start(&env);

    let (before, ..) = t.open();
    wait_entries(map_id, 2);

    let v = env.json(&["load", SKMSG_O]);
    let prog = id(&v["programs"][0]["id"]);
    assert_eq!(
        v["programs"][0]["attach"]["target"], "map sock_ops_map",
        "{v}"
    );
    assert_eq!(
        skmsg_progs(&env, map_id),
        vec![prog],
        "the sk_msg program on the pinned map (shared by name with the sockops object)"
    );
    assert!(
        kernel::prog_map_ids(prog).contains(&map_id),
        "bpf_redir uses maps {:?}, not the pinned sockhash {map_id}",
        kernel::prog_map_ids(prog)
    );
    // Loading it again finds it attached to the map: nothing to do. A kernel that cannot
    // say what a map has attached (before 5.19) gets the program again, replaced in place.
    let again = env.json(&["load", SKMSG_O]);
    let prog = if features::sockmap_prog_query() {
        assert_eq!(again["programs"][0]["status"], "unchanged", "{again}");
        assert_eq!(id(&again["programs"][0]["id"]), prog, "{again}");
        prog
    } else {
        assert_eq!(again["programs"][0]["status"], "loaded", "{again}");
        id(&again["programs"][0]["id"])
    };
    assert_eq!(skmsg_progs(&env, map_id), vec![prog]);

    let (after, ..) = t.open();
    wait_entries(map_id, 4);
    for &n in SIZES {
        let c = t.xfer(after, n);
        assert_eq!(
            c,
            Carried { up: 0, down: 0 },
            "{n} bytes on a connection made after the attach: TCP carried some"
        );
    }
    // Established before the attach: these sockets entered the map without the program.
    for &n in &[1, 4096, 1 << 20] {
        let c = t.xfer(before, n);
        assert_eq!(
            c,
            Carried {
                up: n as u64,
                down: n as u64
            },
            "{n} bytes on a connection made before the attach"
        );
    }

    let d = env.json(&["detach", SKMSG_O]);
    let detached: Vec<u32> = d["detached"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| id(&p["id"]))
        .collect();
    assert_eq!(detached, vec![prog], "{d}");
    assert_eq!(
        skmsg_progs(&env, map_id),
        Vec::<u32>::new(),
        "still attached after detach"
    );
    // The sockops program stays attached (exactly one).
    kernel::the_sockops_prog(env.cgroup_path());

    // Open connections keep working: the fast-path one keeps the program it was given.
    for &n in &[1, 65_537, 1 << 20] {
        assert_eq!(
            t.xfer(after, n),
            Carried { up: 0, down: 0 },
            "{n} bytes after the detach on a connection made while attached"
        );
        assert_eq!(
            t.xfer(before, n),
            Carried {
                up: n as u64,
                down: n as u64
            },
            "{n} bytes after the detach on a connection made before the attach"
        );
    }
    // New connections take plain TCP again.
    let (fresh, ..) = t.open();
    wait_entries(map_id, 6);
    for &n in &[1, 4096, 1 << 20] {
        assert_eq!(
            t.xfer(fresh, n),
            Carried {
                up: n as u64,
                down: n as u64
            },
            "{n} bytes on a connection made after the detach"
        );
    }
    // Nothing to detach any more.
    env.run_expect(&["detach", SKMSG_O], &[3]);
}
