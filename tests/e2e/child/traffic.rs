//! `traffic <cgroup>`: joins the cgroup and answers one command per stdin line, for the
//! sockmap tests (`skmsg`): `open` makes a connection pair on 127.0.0.1 (`CONN <index>
//! <client port> <server port>`), `xfer <index> <n>` moves `n` bytes each way and checks them
//! (`OK <TCP bytes up> <TCP bytes down>`), `quit` ends. It prints `READY` first and
//! `ERR <reason>` for a failed command.

use std::io::{BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;

pub fn run(cgroup: &str) {
    super::join(cgroup);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut pairs: Vec<(TcpStream, TcpStream)> = Vec::new();
    let mut out = std::io::stdout();
    writeln!(out, "READY").unwrap();
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
        writeln!(out, "{reply}").unwrap();
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
    let received =
        || -> Result<(u64, u64), String> { Ok((bytes_received(s)?, bytes_received(c)?)) };
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

/// The socket's `tcpi_bytes_received` (`getsockopt(TCP_INFO)`).
fn bytes_received(s: &TcpStream) -> Result<u64, String> {
    rawbpf_syscalls::tcp_info(s.as_fd())
        .map(|i| i.tcpi_bytes_received)
        .map_err(|e| format!("TCP_INFO: {e}"))
}
