//! Helpers of the tests that run the `ckptsim` binary on hostile inputs (`cli_hostile.rs`, `cli_sweep.rs`): the repository root, one run's exit code and streams, a fresh scratch folder.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Exit code, stdout and stderr of `ckptsim args` run from the repository root.
pub fn ckptsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ckptsim")).args(args).current_dir(root()).output().expect("run ckptsim");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8 output");
    (out.status.code().expect("exit code"), text(out.stdout), text(out.stderr))
}

/// An empty folder of its own under the temporary folder (`tag` and the process id name it).
pub fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ckptsim-hostile-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
