//! `Connections`: TCP connections on 127.0.0.1 made from inside a test cgroup, by a child
//! process (`rawbpf-e2e-child connect`) so that both ends belong to that cgroup.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Stdio};

use super::cgroup::TestCgroup;
use super::{child, kernel};

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
    pub conns: Vec<Conn>,
}

impl Connections {
    /// Starts the child in `cgroup` and waits until its `n` connections are established.
    pub fn open(cgroup: &TestCgroup, n: usize) -> Connections {
        let mut holder = child::command("connect")
            .arg(cgroup.path())
            .arg(n.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn the connection child: {e}"));
        let stdin = holder.stdin.take();
        let stdout = BufReader::new(holder.stdout.take().unwrap());
        let mut conns = Vec::new();
        let mut transcript = String::new();
        for line in stdout.lines() {
            let line = line.unwrap();
            transcript.push_str(&line);
            transcript.push('\n');
            match line.split_whitespace().collect::<Vec<_>>()[..] {
                ["CONN", c, s] => conns.push(Conn {
                    client_port: c.parse().unwrap(),
                    server_port: s.parse().unwrap(),
                }),
                ["READY"] => break,
                _ => panic!("the connection child said {line:?}; its stdout:\n{transcript}"),
            }
        }
        if !transcript.ends_with("READY\n") {
            let _ = holder.kill();
            let status = holder.wait().unwrap();
            panic!(
                "the connection child ended before READY ({}); its stdout:\n{transcript}",
                child::describe(&status)
            );
        }
        assert_eq!(conns.len(), n, "child reported {conns:?}");
        Connections {
            child: holder,
            stdin,
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
        let exited = kernel::poll(|| self.child.try_wait().ok().flatten());
        match exited {
            Some(status) => assert!(
                status.success(),
                "the connection child failed: {} (its stderr is the test's)",
                child::describe(&status)
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
