//! The verifier rejection as people read it: the verdict, where in the C source, and the
//! instructions that led there, each under its source line.

use std::path::Path;

use rawbpf::verifier::{SourceLines, SourceRef, VerifierSummary, summarize};

use super::style::Paint;

/// Instructions (counted from the failing one) whose register state is shown.
const STATE_INSNS: usize = 3;
/// Longest register state shown before it is cut.
const STATE_CHARS: usize = 100;

fn place(s: &SourceRef) -> String {
    if s.file.is_empty() {
        String::new()
    } else {
        format!("{}:{}", s.file, s.line)
    }
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

/// The summary of a verifier rejection; `object` is the object file that was loaded, whose
/// line info annotates the instructions when the log has no source lines, and names file
/// and line where the log's own source lines do not.
pub fn summary_of(e: &rawbpf::Error, object: Option<&Path>) -> Option<VerifierSummary> {
    let (rawbpf::Error::Verifier { program, log, .. }
    | rawbpf::Error::CorePoisoned { program, log, .. }) = e
    else {
        return None;
    };
    // Also when the log has source lines: before 6.2 they carry no ` @ file:line`.
    let lines = object.and_then(|o| SourceLines::from_object_file(o, program));
    Some(summarize(log, lines.as_ref()))
}

/// The summary's lines (without a trailing newline).
pub fn render(s: &VerifierSummary, verbose: bool, paint: Paint) -> Vec<String> {
    let mut out = Vec::new();
    let verdict = if s.verdict.is_empty() {
        "(the log has no verdict)"
    } else {
        &s.verdict
    };
    for (i, line) in verdict.lines().enumerate() {
        let head = if i == 0 { "verifier: " } else { "          " };
        out.push(format!("{head}{}", paint.red(line)));
    }
    if let Some(loc) = &s.location {
        out.push(format!("  at {}: {}", place(loc), paint.cyan(&loc.text)));
    }
    if !s.insns.is_empty() {
        out.push(String::new());
        out.push(format!(
            "  the last {} instructions{}:",
            s.insns.len(),
            match s.sources {
                Some("object") => ", source lines from the object's line info",
                _ => "",
            }
        ));
        let width = s
            .insns
            .iter()
            .map(|i| i.insn.to_string().len())
            .max()
            .unwrap_or(1);
        let text_width = s.insns.iter().map(|i| i.text.len()).max().unwrap_or(0);
        let mut shown: Option<&SourceRef> = None;
        let n = s.insns.len();
        for (k, insn) in s.insns.iter().enumerate() {
            if insn.source.as_ref() != shown {
                if let Some(src) = &insn.source {
                    let at = place(src);
                    let at = if at.is_empty() {
                        String::new()
                    } else {
                        format!("  {}", paint.dim(&at))
                    };
                    out.push(format!("  {}{at}", paint.cyan(&format!("; {}", src.text))));
                } else if shown.is_some() {
                    out.push(format!("  {}", paint.dim("; (no source line)")));
                }
                shown = insn.source.as_ref();
            }
            let last = k + 1 == n;
            let marker = if last { ">" } else { " " };
            let mut line = format!(
                "  {marker} {:>width$}: {:<text_width$}",
                insn.insn, insn.text
            );
            if let Some(state) = insn.state.as_deref().filter(|_| k + STATE_INSNS >= n) {
                line.push_str(&paint.dim(&format!("  ; {}", cut(state, STATE_CHARS))));
            }
            out.push(line.trim_end().to_string());
        }
    }
    if !verbose {
        out.push(String::new());
        out.push(format!("full log ({} lines): rerun with -v", s.log_lines));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
; key.dip4 = skops->remote_ip4; @ bpf_sockops_invalid.c:35
7: (63) *(u32 *)(r10 -12) = r1        ; R1=scalar()
;  @ bpf_sockops_invalid.c:0
9: (07) r1 += -16                     ; R1=fp-16
; return ((__u8 *)&key)[idx]; @ bpf_sockops_invalid.c:37
10: (61) r2 = *(u32 *)(r10 -20)       ; R2=scalar()
12: (71) r0 = *(u8 *)(r1 +0)
invalid unbounded variable-offset read from stack R1
processed 13 insns (limit 1000000)
";

    #[test]
    fn renders_verdict_source_and_instructions() {
        let lines = render(&summarize(LOG, None), false, Paint::plain());
        let text = lines.join("\n");
        assert_eq!(
            text,
            "\
verifier: invalid unbounded variable-offset read from stack R1
  at bpf_sockops_invalid.c:37: return ((__u8 *)&key)[idx];

  the last 4 instructions:
  ; key.dip4 = skops->remote_ip4;  bpf_sockops_invalid.c:35
     7: *(u32 *)(r10 -12) = r1
  ; (no source line)
     9: r1 += -16               ; R1=fp-16
  ; return ((__u8 *)&key)[idx];  bpf_sockops_invalid.c:37
    10: r2 = *(u32 *)(r10 -20)  ; R2=scalar()
  > 12: r0 = *(u8 *)(r1 +0)

full log (9 lines): rerun with -v"
        );
    }
}
