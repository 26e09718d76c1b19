//! `Connections`: TCP connections on 127.0.0.1 made from inside a test cgroup, by a child
//! process (the test binary re-executed) so that both ends belong to that cgroup.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::cgroup::TestCgroup;
use super::kernel;

/// The environment variable that turns `child_entry` into the connection child:
/// `connect:<cgroup path>:<n>`.
pub const CHILD_ENV: &str = "RAWBPF_E2E_CHILD";

/// One connection as the child reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conn {
    /// The client socket's local port.
    pub client_port: u16,
    /// The listener's port (the accepted socket's local port).
    pub server_port: u16,
}

/// A child process in a test cgroup holding `n` established connections (both ends) open
/// until [`Connections::close`] or Drop.
pub struct Connections {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Kept open (and drained on close) so libtest's last lines in the child do not hit EPIPE.
    stdout: BufReader<ChildStdout>,
    pub conns: Vec<Conn>,
}

impl Connections {
    /// Starts the child in `cgroup` and waits until its `n` connections are established.
    pub fn open(cgroup: &TestCgroup, n: usize) -> Connections {
        let exe = std::env::current_exe().unwrap();
        let mut child = Command::new(exe)
            .args(["--exact", "child_entry", "--nocapture", "--test-threads=1"])
            .env(
                CHILD_ENV,
                format!("connect:{}:{n}", cgroup.path().display()),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn the connection child: {e}"));
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut conns = Vec::new();
        let mut transcript = String::new();
        loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap() == 0 {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "the connection child ended before READY ({status:?}); its stdout:\n{transcript}"
                );
            }
            transcript.push_str(&line);
            // libtest prints `test child_entry ... ` without a newline before the test's
            // own output, so the markers are looked for anywhere in a line.
            let words: Vec<&str> = line.split_whitespace().collect();
            let at = words.iter().position(|w| *w == "CONN" || *w == "READY");
            match at.map(|i| &words[i..]) {
                Some(["CONN", c, s, ..]) => conns.push(Conn {
                    client_port: c.parse().unwrap(),
                    server_port: s.parse().unwrap(),
                }),
                Some(["READY", ..]) => break,
                _ => {} // libtest's own lines
            }
        }
        assert_eq!(conns.len(), n, "child reported {conns:?}");
        Connections {
            child,
            stdin,
            stdout,
            conns,
        }
    }

    /// The child's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Closes the child's stdin: it closes every socket and exits. Waits for it (bounded)
    /// and asserts it exited successfully.
    pub fn close(&mut self) {
        drop(self.stdin.take());
        let mut rest = Vec::new();
        let _ = self.stdout.read_to_end(&mut rest);
        let exited = kernel::poll(|| self.child.try_wait().ok().flatten());
        match exited {
            Some(status) => assert!(
                status.success(),
                "the connection child failed ({status}); its last output:\n{}",
                String::from_utf8_lossy(&rest)
            ),
            None => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the connection child did not exit after its stdin was closed");
            }
        }
    }
}

impl Drop for Connections {
    fn drop(&mut self) {
        if self.stdin.is_none() && self.child.try_wait().ok().flatten().is_some() {
            return; // closed already
        }
        drop(self.stdin.take());
        if kernel::poll(|| self.child.try_wait().ok().flatten()).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The child's side, run by `child_entry` when [`CHILD_ENV`] is set: join the cgroup, listen
/// on 127.0.0.1:0, connect `n` clients, accept them, print `CONN <client port> <server port>`
/// per connection and `READY`, then hold everything open until stdin reaches EOF.
pub fn child_main(spec: &str) {
    let rest = spec
        .strip_prefix("connect:")
        .unwrap_or_else(|| panic!("bad {CHILD_ENV}: {spec}"));
    let (cgroup, n) = rest
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("bad {CHILD_ENV}: {spec}"));
    let n: usize = n.parse().unwrap();
    // Join the cgroup before any socket exists: a socket belongs to its creator's cgroup.
    std::fs::write(format!("{cgroup}/cgroup.procs"), "0")
        .unwrap_or_else(|e| panic!("join {cgroup}: {e}"));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server_port = listener.local_addr().unwrap().port();
    let mut clients = Vec::new();
    let mut servers = Vec::new();
    for _ in 0..n {
        let c = TcpStream::connect(("127.0.0.1", server_port)).unwrap();
        let (s, peer) = listener.accept().unwrap();
        let client_port = c.local_addr().unwrap().port();
        assert_eq!(
            peer.port(),
            client_port,
            "accepted a connection that is not ours"
        );
        clients.push(c);
        servers.push(s);
    }
    let mut out = std::io::stdout().lock();
    for c in &clients {
        writeln!(out, "CONN {} {server_port}", c.local_addr().unwrap().port()).unwrap();
    }
    writeln!(out, "READY").unwrap();
    out.flush().unwrap();
    drop(out);
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(clients);
    drop(servers);
    drop(listener);
}
