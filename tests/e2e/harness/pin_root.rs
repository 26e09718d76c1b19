//! `TestPinRoot`: a pin root under bpffs owned by one test, removed recursively on Drop.

use std::path::{Path, PathBuf};

use super::kernel::BPFFS;
use super::unique_name;

/// `/sys/fs/bpf/rawbpf-test-<pid>-<name>-<n>`. Not created here: rawbpf creates it.
pub struct TestPinRoot {
    path: PathBuf,
}

impl TestPinRoot {
    pub fn new(test: &str) -> TestPinRoot {
        TestPinRoot {
            path: Path::new(BPFFS).join(unique_name(test)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `<pin root>/<name>`.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Every path under the pin root (recursively, sorted); empty when it does not exist.
    pub fn contents(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            let Ok(rd) = std::fs::read_dir(dir) else {
                return;
            };
            for e in rd.flatten() {
                let p = e.path();
                out.push(p.clone());
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    walk(&p, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.path, &mut out);
        out.sort();
        out
    }
}

impl Drop for TestPinRoot {
    fn drop(&mut self) {
        // The index entries that point at this pin root (`rawbpf-index/<inode>-<path>`).
        let escaped = self
            .path
            .display()
            .to_string()
            .replace('%', "%25")
            .replace('.', "%2E")
            .replace('/', "%2F");
        if let Ok(entries) = std::fs::read_dir(Path::new(BPFFS).join("rawbpf-index")) {
            for e in entries.flatten() {
                if e.file_name()
                    .to_string_lossy()
                    .ends_with(&format!("-{escaped}"))
                {
                    let _ = std::fs::remove_dir(e.path());
                }
            }
            // The index itself when no one else's entry is left in it.
            let _ = std::fs::remove_dir(Path::new(BPFFS).join("rawbpf-index"));
        }
        match std::fs::remove_dir_all(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => eprintln!("cleanup: rm -r {}: {e}", self.path.display()),
        }
    }
}
