//! The running kernel's release and configuration: `KERNEL_VERSION` of `uname -r`, and the
//! `CONFIG_*` values from `/proc/config.gz` (else `/boot/config-<release>`), which `__kconfig`
//! externs read and the memlock check asks about.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::host::inflate;

fn unsupported(what: String) -> Error {
    Error::Unsupported { what }
}

/// `KERNEL_VERSION(a, b, c)` of the running kernel, as libbpf's `get_kernel_version()`
/// reads it: Ubuntu's upstream version from `/proc/version_signature` (`Ubuntu
/// 5.4.0-104.118-generic 5.4.174`), Debian's from `uname -v` (`#1 SMP Debian 5.10.209-2`:
/// its release `5.10.0-28-amd64` says sublevel 0), else the release (`6.18.44-...`).
pub fn kernel_version_code() -> Result<u32> {
    let ubuntu = std::fs::read_to_string("/proc/version_signature")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2).and_then(triplet));
    let debian = || {
        let v = std::fs::read_to_string("/proc/sys/kernel/version").ok()?;
        triplet(v.split("Debian ").nth(1)?)
    };
    if let Some((a, b, c)) = ubuntu.or_else(debian) {
        return Ok(version_code(a, b, c));
    }
    let release = kernel_release()?;
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (a, b, c) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    Ok(version_code(a, b, c))
}

/// `KERNEL_VERSION(a, b, c)`, each part capped at 255 as the kernel's macro does.
fn version_code(a: u32, b: u32, c: u32) -> u32 {
    (a << 16) | (b.min(255) << 8) | c.min(255)
}

/// `A.B.C` at the start of `text` (what libbpf's `sscanf("%u.%u.%u")` reads).
fn triplet(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.splitn(3, '.');
    let number = |s: &str| {
        let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u32>().ok()
    };
    let a = parts.next().and_then(|s| s.parse().ok())?;
    let b = parts.next().and_then(|s| s.parse().ok())?;
    let c = parts.next().and_then(number)?;
    Some((a, b, c))
}

/// The running kernel's release (`uname -r`), from `/proc/sys/kernel/osrelease`.
pub fn kernel_release() -> Result<String> {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .map_err(|e| unsupported(format!("/proc/sys/kernel/osrelease: {e}")))
}

/// The running kernel's configuration: `/proc/config.gz`, else `/boot/config-<release>`.
pub fn read_kernel_config() -> Result<HashMap<String, String>> {
    let text = match std::fs::read("/proc/config.gz") {
        Ok(gz) => inflate::gunzip(&gz)
            .ok_or_else(|| unsupported("/proc/config.gz: not valid gzip".into()))?,
        Err(_) => {
            let release = kernel_release().unwrap_or_default();
            let path = format!("/boot/config-{release}");
            std::fs::read(&path).map_err(|e| {
                unsupported(format!(
                    "__kconfig externs need the kernel configuration: neither /proc/config.gz \
                     (CONFIG_IKCONFIG_PROC) nor {path} is readable ({e})"
                ))
            })?
        }
    };
    Ok(parse_config(&String::from_utf8_lossy(&text)))
}

/// `CONFIG_X=value` lines; `# CONFIG_X is not set` means `n`.
fn parse_config(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=')
            && k.starts_with("CONFIG_")
        {
            out.insert(k.to_string(), v.to_string());
        } else if let Some(rest) = line.strip_prefix("# ")
            && let Some(name) = rest.strip_suffix(" is not set")
        {
            out.insert(name.to_string(), "n".to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lines() {
        let c = parse_config(
            "CONFIG_BPF=y\n# CONFIG_FOO is not set\nCONFIG_HZ=250\nCONFIG_S=\"abc\"\n",
        );
        assert_eq!(c["CONFIG_BPF"], "y");
        assert_eq!(c["CONFIG_FOO"], "n");
        assert_eq!(c["CONFIG_HZ"], "250");
        assert_eq!(c["CONFIG_S"], "\"abc\"");
    }

    #[test]
    fn kernel_version_code_of_this_kernel() {
        let v = kernel_version_code().unwrap();
        assert!(v >> 16 >= 4, "{v:#x}");
    }

    #[test]
    fn version_triplets_as_libbpf_scans_them() {
        // Ubuntu's signature field, Debian's `uname -v` tail, a release, and the caps.
        assert_eq!(triplet("5.4.174"), Some((5, 4, 174)));
        assert_eq!(triplet("5.10.209-2 (2024-01-31)"), Some((5, 10, 209)));
        assert_eq!(triplet("6.18.44-fc-v1252"), Some((6, 18, 44)));
        assert_eq!(triplet("6.1"), None);
        assert_eq!(triplet("x.1.2"), None);
        assert_eq!(version_code(4, 19, 300), 0x0004_13ff);
    }
}
