//! Loopback TCP request/response latency and stream throughput between two processes in
//! one cgroup: the benchmark of the sockmap fast path (`bench/run.sh`, `docs/performance.md`).
//!
//! ```text
//! pingpong [--cgroup DIR] [--size BYTES] [--iters N] [--stream-mib MIB]
//! ```
//!
//! The client joins DIR (writes its pid to `DIR/cgroup.procs`) before it creates a socket,
//! starts itself again as the server (which joins DIR the same way), and then measures, on
//! fresh connections:
//!
//! * request/response: `--iters` round trips of `--size` bytes each way (after 10% warm-up),
//!   reported as p50 / p99 / mean microseconds and round trips per second;
//! * stream: `--stream-mib` MiB written in 64 KiB chunks, reported as MiB/s.
//!
//! It prints one JSON line. `tcp_bytes_acked` is what the TCP stack carried for the stream
//! (from `TCP_INFO`): close to the stream size over plain TCP, close to 0 when an sk_msg
//! program redirected the data past TCP.
//!
//! Sockets only enter the sockhash when they are established in the cgroup, so a run with
//! the fast path needs `bpf_sockops.o` attached to DIR and `bpf_skmsg.o` attached to the
//! map before it starts.

#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// First byte of a connection: what the server does with it.
const MODE_ECHO: u8 = b'E';
const MODE_SINK: u8 = b'S';
const CHUNK: usize = 64 * 1024;

type Res<T> = Result<T, String>;

#[derive(Debug, Clone)]
struct Opts {
    cgroup: Option<String>,
    size: usize,
    iters: usize,
    stream_mib: usize,
}

fn usage() -> String {
    "usage: pingpong [--cgroup DIR] [--size BYTES] [--iters N] [--stream-mib MIB]".to_string()
}

fn parse(args: &[String]) -> Res<Opts> {
    let mut o = Opts {
        cgroup: None,
        size: 64,
        iters: 20_000,
        stream_mib: 256,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().ok_or_else(usage);
        let num = |s: String| s.parse::<usize>().map_err(|e| format!("{a}: {e}"));
        match a.as_str() {
            "--cgroup" => o.cgroup = Some(val()?),
            "--size" => o.size = num(val()?)?.max(1),
            "--iters" => o.iters = num(val()?)?.max(1),
            "--stream-mib" => o.stream_mib = num(val()?)?,
            _ => return Err(usage()),
        }
    }
    Ok(o)
}

/// Moves this process into the cgroup: sockets created afterwards belong to it.
fn join(cgroup: Option<&str>) -> Res<()> {
    match cgroup {
        Some(dir) => std::fs::write(format!("{dir}/cgroup.procs"), "0")
            .map_err(|e| format!("join cgroup {dir}: {e}")),
        None => Ok(()),
    }
}

/// `TCP_INFO` of a socket.
fn tcp_info(s: &TcpStream) -> Option<libc::tcp_info> {
    rawbpf_syscalls::tcp_info(s.as_fd()).ok()
}

/// The server: joins the cgroup, listens on 127.0.0.1:0, prints the port, and serves
/// connections one after another until its stdin closes.
fn server(cgroup: Option<&str>) -> Res<()> {
    join(cgroup)?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    println!("PORT {port}");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    // The parent closes our stdin when it is done; a thread turns that into exit.
    std::thread::spawn(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        std::process::exit(0);
    });
    for conn in listener.incoming() {
        let mut s = conn.map_err(|e| format!("accept: {e}"))?;
        s.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut hdr = [0u8; 9];
        s.read_exact(&mut hdr).map_err(|e| format!("header: {e}"))?;
        let mut param = [0u8; 8];
        param.copy_from_slice(&hdr[1..]);
        let param = u64::from_le_bytes(param) as usize;
        match hdr[0] {
            MODE_ECHO => {
                let mut buf = vec![0u8; param];
                while s.read_exact(&mut buf).is_ok() {
                    s.write_all(&buf).map_err(|e| format!("echo: {e}"))?;
                }
            }
            MODE_SINK => {
                let mut buf = vec![0u8; CHUNK];
                let mut left = param;
                while left > 0 {
                    let n = s.read(&mut buf).map_err(|e| format!("sink: {e}"))?;
                    if n == 0 {
                        return Err("sink: early EOF".into());
                    }
                    left = left.saturating_sub(n);
                }
                s.write_all(b"k").map_err(|e| format!("ack: {e}"))?;
            }
            m => return Err(format!("unknown mode {m}")),
        }
    }
    Ok(())
}

fn connect(port: u16, mode: u8, param: usize) -> Res<TcpStream> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut hdr = [0u8; 9];
    hdr[0] = mode;
    hdr[1..].copy_from_slice(&(param as u64).to_le_bytes());
    s.write_all(&hdr).map_err(|e| format!("header: {e}"))?;
    Ok(s)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1e6
}

fn client(o: &Opts) -> Res<()> {
    join(o.cgroup.as_deref())?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.arg("server");
    if let Some(c) = &o.cgroup {
        cmd.args(["--cgroup", c]);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("start server: {e}"))?;
    let result = run_client(o, &mut child);
    drop(child.stdin.take());
    let _ = child.wait();
    result
}

fn run_client(o: &Opts, child: &mut std::process::Child) -> Res<()> {
    let stdout = child.stdout.take().ok_or("server stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let port: u16 = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("server said {line:?}"))?;

    // Request/response.
    let mut s = connect(port, MODE_ECHO, o.size)?;
    let msg: Vec<u8> = (0..o.size).map(|i| i as u8).collect();
    let mut back = vec![0u8; o.size];
    let warmup = o.iters / 10;
    let mut rtts = Vec::with_capacity(o.iters);
    let start = Instant::now();
    for i in 0..warmup + o.iters {
        let t = Instant::now();
        s.write_all(&msg).map_err(|e| format!("request: {e}"))?;
        s.read_exact(&mut back)
            .map_err(|e| format!("response: {e}"))?;
        if i >= warmup {
            rtts.push(t.elapsed());
        }
    }
    let rr_secs = start.elapsed().as_secs_f64();
    if back != msg {
        return Err("response differs from request".into());
    }
    let rr_acked = tcp_info(&s).map_or(0, |i| i.tcpi_bytes_acked);
    drop(s);
    rtts.sort_unstable();
    let mean = rtts.iter().map(Duration::as_secs_f64).sum::<f64>() / rtts.len() as f64 * 1e6;

    // Stream.
    let total = o.stream_mib * 1024 * 1024;
    let (mib_s, stream_acked) = if total > 0 {
        let mut s = connect(port, MODE_SINK, total)?;
        let chunk = vec![0x5au8; CHUNK];
        let t = Instant::now();
        let mut left = total;
        while left > 0 {
            let n = left.min(CHUNK);
            s.write_all(&chunk[..n])
                .map_err(|e| format!("stream: {e}"))?;
            left -= n;
        }
        let mut ack = [0u8; 1];
        s.read_exact(&mut ack).map_err(|e| format!("ack: {e}"))?;
        let secs = t.elapsed().as_secs_f64();
        let acked = tcp_info(&s).map_or(0, |i| i.tcpi_bytes_acked);
        (o.stream_mib as f64 / secs, acked)
    } else {
        (0.0, 0)
    };
    println!(
        "{{\"size\": {}, \"iters\": {}, \"p50_us\": {:.2}, \"p99_us\": {:.2}, \"mean_us\": {:.2}, \
         \"rr_per_s\": {:.0}, \"stream_mib\": {}, \"stream_mib_per_s\": {:.1}, \
         \"rr_tcp_bytes_acked\": {}, \"stream_tcp_bytes_acked\": {}}}",
        o.size,
        o.iters,
        percentile(&rtts, 0.50),
        percentile(&rtts, 0.99),
        mean,
        (warmup + o.iters) as f64 / rr_secs,
        o.stream_mib,
        mib_s,
        rr_acked,
        stream_acked
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("server") => parse(&args[1..]).and_then(|o| server(o.cgroup.as_deref())),
        _ => parse(&args).and_then(|o| client(&o)),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pingpong: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
