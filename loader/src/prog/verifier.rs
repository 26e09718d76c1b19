//! A readable summary of a verifier log: the verdict, and the last instructions before it,
//! each with the C source line it came from.
//!
//! Source lines come from the log itself when the kernel interleaved them (it does when the
//! program was loaded with `.BTF.ext` line_info: `; key.dip4 = ...; @ file.c:35` before the
//! instructions of that line), else from the object's line_info ([`SourceLines`]).

use std::path::Path;

use rawbpf_elf::Object;
use serde::Serialize;

/// How many instructions before the verdict the summary keeps.
pub const SUMMARY_INSNS: usize = 10;

/// A C source line.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SourceRef {
    /// The file's base name (empty when the kernel did not say).
    pub file: String,
    /// 1-based; 0 when unknown.
    pub line: u32,
    /// The line's text, trimmed.
    pub text: String,
}

/// One instruction the verifier walked.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LogInsn {
    /// Instruction index in the program.
    pub insn: u32,
    /// The instruction as the verifier printed it (`r0 = *(u8 *)(r1 +0)`).
    pub text: String,
    /// The register/stack state the verifier printed after it, if any.
    pub state: Option<String>,
    pub source: Option<SourceRef>,
}

/// The summary of one rejection.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerifierSummary {
    /// The verifier's complaint (the lines after the last instruction, statistics left out).
    pub verdict: String,
    /// The source line of the instruction the verdict is about.
    pub location: Option<SourceRef>,
    /// The last [`SUMMARY_INSNS`] instructions, the failing one last.
    pub insns: Vec<LogInsn>,
    /// Where the source lines came from: `"log"`, `"object"` or `null`.
    pub sources: Option<&'static str>,
    /// Lines in the whole log.
    pub log_lines: usize,
}

/// The line table of one program of an object: instruction index → source line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceLines {
    /// Sorted by instruction index; an entry covers instructions up to the next one.
    entries: Vec<(u32, SourceRef)>,
}

impl SourceLines {
    /// The line table of `program` in the object file at `path` (its `.BTF.ext` line_info,
    /// named through `.BTF` strings). `None` when the file cannot be read or parsed, or
    /// carries no line info for that program.
    pub fn from_object_file(path: &Path, program: &str) -> Option<SourceLines> {
        let bytes = std::fs::read(path).ok()?;
        let obj = Object::parse(&bytes).ok()?;
        Self::from_object(&obj, program)
    }

    /// As [`SourceLines::from_object_file`], for a parsed object.
    pub fn from_object(obj: &Object, program: &str) -> Option<SourceLines> {
        let btf = obj.btf.as_ref()?;
        let prog = obj.program(program)?;
        let mut entries: Vec<(u32, SourceRef)> = prog
            .line_info
            .iter()
            .filter_map(|li| {
                let file = btf.string(li.file_name_off).ok()?;
                let text = btf.string(li.line_off).ok()?;
                Some((
                    li.insn_off,
                    SourceRef {
                        file: base_name(file).to_string(),
                        line: li.line_col >> 10,
                        text: text.trim().to_string(),
                    },
                ))
            })
            .collect();
        entries.sort_by_key(|(i, _)| *i);
        (!entries.is_empty()).then_some(SourceLines { entries })
    }

    /// The source line covering instruction `insn` (`None` for compiler-made code, line 0).
    pub fn lookup(&self, insn: u32) -> Option<&SourceRef> {
        let i = self.entries.partition_point(|(off, _)| *off <= insn);
        let (_, s) = self.entries.get(i.checked_sub(1)?)?;
        useful(s).then_some(s)
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A source line worth showing: not empty, and not line 0 of a file (compiler-generated
/// code). An old kernel's `; <text>` has no file and no line (0) and is kept.
fn useful(s: &SourceRef) -> bool {
    !s.text.is_empty() && (s.line != 0 || s.file.is_empty())
}

/// An instruction line: `12: (71) r0 = *(u8 *)(r1 +0)` (with an optional `; state` tail).
fn parse_insn(line: &str) -> Option<(u32, String, Option<String>)> {
    let (idx, rest) = line.trim_start().split_once(": (")?;
    let insn: u32 = idx.parse().ok()?;
    let (opcode, rest) = rest.split_once(") ")?;
    if opcode.len() != 2 || !opcode.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // The kernel pads the instruction, then prints `; <state>`.
    let (text, state) = match rest.find(" ;") {
        Some(at) => (&rest[..at], Some(rest[at + 2..].trim().to_string())),
        None => (rest, None),
    };
    Some((
        insn,
        text.trim().to_string(),
        state.filter(|s| !s.is_empty()),
    ))
}

/// A source line the kernel interleaved: `; <text> @ <file>:<line>` (older kernels print
/// `; <text>` only: line 0 and file unknown then).
fn parse_source(line: &str) -> Option<SourceRef> {
    let rest = line.strip_prefix(';')?;
    if let Some((text, at)) = rest.rsplit_once(" @ ")
        && let Some((file, n)) = at.rsplit_once(':')
        && let Ok(n) = n.trim().parse::<u32>()
    {
        return Some(SourceRef {
            file: base_name(file.trim()).to_string(),
            line: n,
            text: text.trim().to_string(),
        });
    }
    Some(SourceRef {
        file: String::new(),
        line: 0,
        text: rest.trim().to_string(),
    })
}

/// `from_log` with the file and line of `from_object` when the log named none.
fn with_location(from_log: SourceRef, from_object: Option<&SourceRef>) -> SourceRef {
    match from_object {
        Some(o) if from_log.file.is_empty() && from_log.line == 0 => SourceRef {
            file: o.file.clone(),
            line: o.line,
            text: from_log.text,
        },
        _ => from_log,
    }
}

/// Statistics and bookkeeping lines that are not part of the verdict.
fn is_stats(line: &str) -> bool {
    let l = line.trim();
    l.is_empty()
        || l.starts_with("verification time")
        || l.starts_with("stack depth")
        || l.starts_with("processed ")
        || l.starts_with("max_states_per_insn")
        || l.starts_with("Func#")
        || l.starts_with(';')
}

/// Summarises `log`. `lines` is the object's line table, used when the log has no source
/// lines of its own.
pub fn summarize(log: &str, lines: Option<&SourceLines>) -> VerifierSummary {
    let all: Vec<&str> = log.lines().collect();
    let from_log = all.iter().any(|l| l.starts_with("; "));
    let mut insns: Vec<LogInsn> = Vec::new();
    let mut current: Option<SourceRef> = None;
    let mut last_insn_line = None;
    for (n, line) in all.iter().enumerate() {
        if let Some(s) = parse_source(line) {
            current = Some(s).filter(useful);
            continue;
        }
        if let Some((insn, text, state)) = parse_insn(line) {
            let source = if from_log {
                // Kernels before 6.2 print `; <text>` without ` @ file:line`: the object's
                // line table has them.
                current
                    .clone()
                    .map(|s| with_location(s, lines.and_then(|l| l.lookup(insn))))
            } else {
                lines.and_then(|l| l.lookup(insn)).cloned()
            };
            insns.push(LogInsn {
                insn,
                text,
                state,
                source,
            });
            last_insn_line = Some(n);
        }
    }
    let mut verdict: Vec<&str> = match last_insn_line {
        Some(n) => all[(n + 1).min(all.len())..]
            .iter()
            .copied()
            .filter(|l| !is_stats(l))
            .map(str::trim)
            .collect(),
        None => Vec::new(),
    };
    if verdict.is_empty() {
        // No instruction lines (e.g. a BTF or structural error): the last meaningful line.
        verdict = all
            .iter()
            .rev()
            .copied()
            .find(|l| !is_stats(l))
            .map(str::trim)
            .into_iter()
            .collect();
    }
    let start = insns.len().saturating_sub(SUMMARY_INSNS);
    let insns = insns.split_off(start);
    let sources = if insns.iter().any(|i| i.source.is_some()) {
        Some(if from_log { "log" } else { "object" })
    } else {
        None
    };
    VerifierSummary {
        verdict: verdict.join("\n"),
        location: insns.last().and_then(|i| i.source.clone()),
        insns,
        sources,
        log_lines: all.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tail of kernel 6.18's log for `bpf-prog/bpf_sockops_invalid.o`.
    const LOG: &str = "\
0: R1=ctx() R10=fp0
; int bpf_add_to_sockhash(struct bpf_sock_ops *skops) @ bpf_sockops_invalid.c:29
0: (b7) r2 = 0                        ; R2=0
; key.dip4 = skops->remote_ip4; @ bpf_sockops_invalid.c:35
6: (61) r1 = *(u32 *)(r1 +24)         ; R1=scalar()
7: (63) *(u32 *)(r10 -12) = r1        ; R1=scalar() R10=fp0 fp-16=mmmmmmmm
8: (bf) r1 = r10                      ; R1=fp0 R10=fp0
;  @ bpf_sockops_invalid.c:0
9: (07) r1 += -16                     ; R1=fp-16
; return ((__u8 *)&key)[idx]; @ bpf_sockops_invalid.c:37
10: (61) r2 = *(u32 *)(r10 -20)       ; R2=scalar()
11: (0f) r1 += r2                     ; R1=fp(off=-16)
12: (71) r0 = *(u8 *)(r1 +0)
invalid unbounded variable-offset read from stack R1
verification time 128 usec
stack depth 24
processed 13 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
";

    #[test]
    fn summary_of_interleaved_log() {
        let s = summarize(LOG, None);
        assert_eq!(
            s.verdict,
            "invalid unbounded variable-offset read from stack R1"
        );
        assert_eq!(s.sources, Some("log"));
        let loc = s.location.as_ref().unwrap();
        assert_eq!((loc.file.as_str(), loc.line), ("bpf_sockops_invalid.c", 37));
        assert_eq!(loc.text, "return ((__u8 *)&key)[idx];");
        let last = s.insns.last().unwrap();
        assert_eq!(
            (last.insn, last.text.as_str(), last.state.as_deref()),
            (12, "r0 = *(u8 *)(r1 +0)", None)
        );
        assert_eq!(s.insns.len(), 8);
        let nine = s.insns.iter().find(|i| i.insn == 9).unwrap();
        assert_eq!(nine.source, None, "line 0 is compiler-made code");
        assert_eq!(nine.state.as_deref(), Some("R1=fp-16"));
        assert_eq!(s.insns[1].source.as_ref().unwrap().line, 35);
    }

    #[test]
    fn annotates_from_object_when_log_has_no_sources() {
        let plain: String = LOG
            .lines()
            .filter(|l| !l.starts_with(';'))
            .map(|l| format!("{l}\n"))
            .collect();
        let src = |line, text: &str| SourceRef {
            file: "x.c".into(),
            line,
            text: text.into(),
        };
        let table = SourceLines {
            entries: vec![(0, src(29, "int f()")), (10, src(37, "return k[idx];"))],
        };
        let s = summarize(&plain, Some(&table));
        assert_eq!(s.sources, Some("object"));
        assert_eq!(s.location, Some(src(37, "return k[idx];")));
        assert_eq!(s.insns[0].source, Some(src(29, "int f()")));
        let none = summarize(&plain, None);
        assert_eq!(none.sources, None);
        assert_eq!(none.location, None);
    }

    #[test]
    fn log_without_locations_takes_them_from_the_object() {
        // Kernels before 6.2 interleave `; <text>` without ` @ file:line`.
        let bare: String = LOG
            .lines()
            .map(|l| match l.rsplit_once(" @ ") {
                Some((text, _)) if l.starts_with(';') => format!("{text}\n"),
                _ => format!("{l}\n"),
            })
            .collect();
        let src = |line, text: &str| SourceRef {
            file: "bpf_sockops_invalid.c".into(),
            line,
            text: text.into(),
        };
        let table = SourceLines {
            entries: vec![(0, src(29, "int f()")), (10, src(37, "return k[idx];"))],
        };
        let s = summarize(&bare, Some(&table));
        assert_eq!(s.sources, Some("log"));
        let loc = s.location.unwrap();
        assert_eq!((loc.file.as_str(), loc.line), ("bpf_sockops_invalid.c", 37));
        assert_eq!(
            loc.text, "return ((__u8 *)&key)[idx];",
            "the text stays the log's"
        );
    }

    #[test]
    fn verdict_without_instructions() {
        let s = summarize(
            "magic\nfunc#0 @0\nreference type('UNKNOWN ') size=0\n",
            None,
        );
        assert_eq!(s.verdict, "reference type('UNKNOWN ') size=0");
        assert!(s.insns.is_empty());
        assert_eq!(summarize("", None).verdict, "");
    }

    #[test]
    fn instruction_lines() {
        assert_eq!(
            parse_insn("12: (85) call bpf_sock_hash_update#70"),
            Some((12, "call bpf_sock_hash_update#70".into(), None))
        );
        assert_eq!(parse_insn("0: R1=ctx() R10=fp0"), None);
        assert_eq!(parse_insn("from 5 to 9: R1=fp-16"), None);
        assert!(parse_insn("processed 13 insns (limit 1000000)").is_none());
    }

    #[test]
    fn line_table_of_the_invalid_object() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../bpf-prog/bpf_sockops_invalid.o"
        ));
        let t = SourceLines::from_object_file(path, "bpf_add_to_sockhash").unwrap();
        let s = t.lookup(12).unwrap();
        assert_eq!(
            (s.file.as_str(), s.line, s.text.as_str()),
            ("bpf_sockops_invalid.c", 37, "return ((__u8 *)&key)[idx];")
        );
        assert!(SourceLines::from_object_file(path, "nope").is_none());
    }

    #[test]
    fn line_table_lookup() {
        let src = |line| SourceRef {
            file: "f.c".into(),
            line,
            text: "x".into(),
        };
        let t = SourceLines {
            entries: vec![(2, src(10)), (5, src(0)), (7, src(12))],
        };
        assert_eq!(t.lookup(0), None);
        assert_eq!(t.lookup(3).map(|s| s.line), Some(10));
        assert_eq!(t.lookup(5), None);
        assert_eq!(t.lookup(100).map(|s| s.line), Some(12));
    }
}
