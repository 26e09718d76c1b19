//! `rawbpf map dump --watch`: dump again every interval and print what changed, until
//! SIGINT/SIGTERM or `--count` rounds.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rawbpf::{MapDumpOptions, MapSelector, WatchEvent};

use super::Global;
use super::output::print_json;

/// The `--watch` flags of `map dump`.
#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// Dump again every interval and print entries added (+), removed (-) and changed (~).
    #[arg(long)]
    pub watch: bool,
    /// Time between two dumps with --watch: `1s`, `500ms`, `2m` (at least 10ms).
    #[arg(long, value_name = "TIME", default_value = "1s", value_parser = interval, requires = "watch")]
    pub interval: Duration,
    /// Stop after N dumps (for scripts and tests; default: until SIGINT/SIGTERM).
    #[arg(long, value_name = "N", requires = "watch", hide = true)]
    pub count: Option<u64>,
}

/// `500ms`, `1s`, `2m` or a bare number of seconds.
fn interval(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((t, "s"), |i| t.split_at(i));
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a time like 1s or 500ms"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("`{text}`: unit must be ms, s or m")),
    };
    let d = Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())?;
    if d < Duration::from_millis(10) {
        return Err(format!("`{text}` is shorter than 10ms"));
    }
    Ok(d)
}

/// The loop: round 1 prints every entry as added; exit 0 when a signal or `--count` ends it.
pub fn run(map: &MapSelector, w: &WatchArgs, g: Global) -> rawbpf::Result<()> {
    let stop = rawbpf_syscalls::catch_stop_signals();
    let opts = MapDumpOptions { map: map.clone() };
    let mut old = Vec::new();
    let mut round = 0u64;
    while !stop.load(Ordering::SeqCst) {
        round += 1;
        let report = rawbpf::map_dump(&opts)?;
        for ev in rawbpf::watch_diff(&old, &report.entries, round) {
            print_event(&ev, g);
        }
        old = report.entries;
        if w.count.is_some_and(|n| round >= n) {
            break;
        }
        let until = Instant::now() + w.interval;
        while !stop.load(Ordering::SeqCst) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50).min(w.interval));
        }
    }
    Ok(())
}

fn print_event(ev: &WatchEvent, g: Global) {
    if g.json {
        print_json(ev);
    } else {
        println!(
            "{} {}  {}",
            ev.event.sign(),
            ev.entry.key_text,
            ev.entry.value_text
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(interval("1s").unwrap(), Duration::from_secs(1));
        assert_eq!(interval("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(interval("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(interval("2").unwrap(), Duration::from_secs(2));
        assert!(interval("1ms").is_err());
        assert!(interval("1h").is_err());
        assert!(interval("s").is_err());
    }
}
