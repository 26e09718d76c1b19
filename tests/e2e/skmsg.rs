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

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use crate::harness::report::id;
use crate::harness::{SOCKOPS_O, TestEnv};
use crate::harness::{features, kernel};

const SKMSG_O: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bpf-prog/bpf_skmsg.o");
/// `BPF_SK_MSG_VERDICT`.
const ATTACH_SK_MSG: u32 = 7;
/// The environment variable that turns [`skmsg_child_entry`] into the traffic child.
const CHILD_ENV: &str = "RAWBPF_E2E_SKMSG_CHILD";
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

/// The traffic child: a process in the test cgroup that opens connection pairs and moves
/// data over them on command (one line per command on its stdin).
struct Traffic {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Traffic {
    fn start(env: &TestEnv) -> Traffic {
        let exe = std::env::current_exe().unwrap();
        let mut child = Command::new(exe)
            .args([
                "--exact",
                "skmsg::skmsg_child_entry",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, env.cgroup_path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn the traffic child: {e}"));
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut t = Traffic {
            child,
            stdin,
            stdout,
        };
        t.reply("READY");
        t
    }

    /// Reads lines until one has `word` as a word; returns the words after it.
    fn reply(&mut self, word: &str) -> Vec<String> {
        let mut transcript = String::new();
        loop {
            let mut line = String::new();
            if self.stdout.read_line(&mut line).unwrap() == 0 {
                panic!("the traffic child ended before {word}; its output:\n{transcript}");
            }
            transcript.push_str(&line);
            let words: Vec<&str> = line.split_whitespace().collect();
            if let Some(i) = words.iter().position(|w| *w == "ERR") {
                panic!("traffic child: {}", words[i..].join(" "));
            }
            if let Some(i) = words.iter().position(|w| *w == word) {
                return words[i + 1..].iter().map(|s| s.to_string()).collect();
            }
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

/// The traffic child, run when [`CHILD_ENV`] names the cgroup to join; a no-op otherwise.
#[test]
fn skmsg_child_entry() {
    let Ok(cgroup) = std::env::var(CHILD_ENV) else {
        return;
    };
    std::fs::write(format!("{cgroup}/cgroup.procs"), "0")
        .unwrap_or_else(|e| panic!("join {cgroup}: {e}"));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut pairs: Vec<(TcpStream, TcpStream)> = Vec::new();
    let mut out = std::io::stdout();
    writeln!(out, "\nREADY").unwrap();
    out.flush().unwrap();
    let mut seq = 0u8;
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        let reply = match words[..] {
            ["open"] => {
                let c = TcpStream::connect(("127.0.0.1", port)).unwrap();
                let (s, _) = listener.accept().unwrap();
                let cp = c.local_addr().unwrap().port();
                pairs.push((c, s));
                format!("CONN {} {cp} {port}", pairs.len() - 1)
            }
            ["xfer", i, n] => {
                seq = seq.wrapping_add(1);
                let (c, s) = &pairs[i.parse::<usize>().unwrap()];
                match xfer(c, s, n.parse().unwrap(), seq) {
                    Ok((up, down)) => format!("OK {up} {down}"),
                    Err(e) => format!("ERR {e}"),
                }
            }
            ["quit"] => break,
            _ => format!("ERR unknown command {line:?}"),
        };
        writeln!(out, "\n{reply}").unwrap();
        out.flush().unwrap();
    }
}

/// Byte `i` of transfer `seq` in direction `dir`: position- and transfer-dependent, so a
/// lost, repeated or reordered chunk shows.
fn pattern(i: usize, seq: u8, dir: u8) -> u8 {
    ((i % 251) as u8) ^ seq.wrapping_mul(31) ^ dir ^ ((i >> 8) as u8)
}

/// Sends `n` bytes client→server and `n` bytes server→client at the same time and checks
/// both; returns how many bytes TCP carried each way.
fn xfer(c: &TcpStream, s: &TcpStream, n: usize, seq: u8) -> Result<(u64, u64), String> {
    // A socket counts received bytes before a read can return them, so the counters are
    // final once both reads are done.
    let received = || -> Result<(u64, u64), String> {
        Ok((
            tcp_info(s)?.tcpi_bytes_received,
            tcp_info(c)?.tcpi_bytes_received,
        ))
    };
    let before = received()?;
    let send = |mut w: &TcpStream, dir: u8| {
        let buf: Vec<u8> = (0..n).map(|i| pattern(i, seq, dir)).collect();
        w.write_all(&buf).map_err(|e| format!("write: {e}"))
    };
    let recv = |mut r: &TcpStream, dir: u8| -> Result<(), String> {
        let mut buf = vec![0u8; n];
        r.read_exact(&mut buf).map_err(|e| format!("read: {e}"))?;
        match (0..n).find(|&i| buf[i] != pattern(i, seq, dir)) {
            Some(i) => Err(format!("byte {i} of {n} differs (direction {dir})")),
            None => Ok(()),
        }
    };
    std::thread::scope(|scope| {
        let up_w = scope.spawn(|| send(c, 1));
        let down_w = scope.spawn(|| send(s, 2));
        let up_r = scope.spawn(|| recv(s, 1));
        let down_r = scope.spawn(|| recv(c, 2));
        for h in [up_w, down_w, up_r, down_r] {
            h.join()
                .map_err(|_| "a transfer thread panicked".to_string())??;
        }
        Ok::<(), String>(())
    })?;
    let after = received()?;
    Ok((after.0 - before.0, after.1 - before.1))
}

/// `getsockopt(TCP_INFO)`.
fn tcp_info(s: &TcpStream) -> Result<libc::tcp_info, String> {
    rawbpf_syscalls::tcp_info(s.as_fd()).map_err(|e| format!("TCP_INFO: {e}"))
}
