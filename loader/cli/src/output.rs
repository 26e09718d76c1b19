//! Printing: JSON documents, and errors as `rawbpf: <context>: <cause chain>`.

use std::error::Error as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;

use super::Global;
use super::style::Paint;

/// `-p/--pretty`: JSON indented instead of on one line. Set once, from the command line.
static PRETTY: AtomicBool = AtomicBool::new(false);

/// Chooses indented JSON (`-p`) over one line (`-j`, `--json`).
pub fn set_pretty(pretty: bool) {
    PRETTY.store(pretty, Ordering::Relaxed);
}

/// Prints `value` as one JSON document on stdout.
pub fn print_json<T: Serialize>(value: &T) {
    let text = if PRETTY.load(Ordering::Relaxed) {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    match text {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("rawbpf: cannot serialise the report: {e}"),
    }
}

/// The error and its sources, joined with `: `.
pub fn chain(e: &rawbpf::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    parts.join(": ")
}

/// Prints an error on stderr (or as JSON on stdout with `--json`). `object` is the object
/// file of a `load`: a verifier rejection is annotated with its source lines.
pub fn print_error(context: &str, e: &rawbpf::Error, g: Global, object: Option<&Path>) {
    let msg = match e.hint() {
        Some(hint) => format!("{context}: {}; {hint}", chain(e)),
        None => format!("{context}: {}", chain(e)),
    };
    let code = e.exit_code() as u8;
    if g.json {
        let mut doc = serde_json::json!({ "error": msg, "exit_code": code });
        if let Some(log) = e.verifier_log() {
            doc["verifier_log"] = serde_json::Value::String(log.to_string());
        }
        if let Some(summary) = super::verifier::summary_of(e, object) {
            doc["verifier_summary"] = serde_json::to_value(summary).unwrap_or_default();
        }
        print_json(&doc);
        return;
    }
    eprintln!("rawbpf: {msg}");
    if let Some(log) = e.verifier_log() {
        if g.verbose {
            eprintln!("verifier log:\n{}\n", log.trim_end());
        }
        if let Some(summary) = super::verifier::summary_of(e, object) {
            for line in super::verifier::render(&summary, g.verbose, Paint::stderr()) {
                eprintln!("{line}");
            }
        }
    }
}

/// Pads each column of `rows` to its widest cell, two spaces apart.
pub fn columns(rows: &[Vec<String>]) -> Vec<String> {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if i + 1 == r.len() {
                        c.clone()
                    } else {
                        format!("{c:<w$}", w = widths[i])
                    }
                })
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_align() {
        let rows = vec![
            vec!["a".to_string(), "bb".to_string(), "c".to_string()],
            vec!["aaa".to_string(), "b".to_string(), "cc".to_string()],
        ];
        assert_eq!(super::columns(&rows), vec!["a    bb  c", "aaa  b   cc"]);
    }
}
