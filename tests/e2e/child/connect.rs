//! `connect <cgroup> <n>`: join the cgroup, listen on 127.0.0.1:0, connect `n` clients and
//! accept them, print `CONN <client port> <server port>` per connection and `READY`, then
//! hold everything open until stdin reaches EOF (the parent is `harness::conn`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

pub fn run(cgroup: &str, n: usize) {
    super::join(cgroup);
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
}
