//! Snapshots on disk: `run --save-snapshot FILE` writes the world at the end
//! of its run; `run --from-snapshot FILE` and `scenarios --from-snapshot
//! FILE` continue from it, so a calibrated present is computed once and
//! branched by many jobs.
//!
//! Writing never replaces a file careersim did not write: an existing path
//! must be a careersim snapshot and `--force` given. The bytes go to a
//! staging directory beside the target (removed by the interrupt watcher)
//! and are renamed into place after an fsync, so no half-written snapshot
//! ever exists under the name.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};

use careersim::destination::registry;
use careersim::snapshot::Snapshot;

/// Reads and checks a snapshot file (magic, format version, checksum); the
/// error names the file.
pub fn read(path: &Path) -> Result<(Snapshot, Vec<u8>)> {
    let bytes = fs::read(path).with_context(|| format!("--from-snapshot {}: cannot read", path.display()))?;
    let snap = Snapshot::from_bytes(&bytes).with_context(|| format!("--from-snapshot {}", path.display()))?;
    Ok((snap, bytes))
}

/// Checks, before anything runs, that `path` may be written: absent, or a
/// careersim snapshot with `force`.
pub fn check_target(path: &Path, force: bool) -> Result<()> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => bail!("--save-snapshot {}: {e}", path.display()),
        Ok(m) if !m.is_file() => bail!(
            "--save-snapshot {}: exists and is not a file; careersim will not replace it",
            path.display()
        ),
        Ok(_) => {
            let mut head = [0u8; 8];
            let ours = fs::File::open(path)
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
                .is_ok()
                && &head == b"CSIMSNAP";
            if !ours {
                bail!(
                    "--save-snapshot {}: exists and is not a careersim snapshot; careersim will not replace it",
                    path.display()
                );
            }
            if !force {
                bail!(
                    "--save-snapshot {}: a snapshot is already there; add --force to replace it",
                    path.display()
                );
            }
        }
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        bail!(
            "--save-snapshot {}: the directory {} does not exist",
            path.display(),
            parent.display()
        );
    }
    Ok(())
}

/// Writes snapshot bytes atomically to `path` (checked by `check_target`).
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stage = parent.join(format!(".{name}.careersim-staging-{}", std::process::id()));
    let context = || format!("--save-snapshot {}: cannot write", path.display());
    fs::create_dir(&stage).with_context(context)?;
    registry().push(stage.clone());
    let result = (|| -> std::io::Result<()> {
        let file = stage.join("snapshot");
        let mut f = fs::File::create(&file)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        // Hold the registry while renaming, so an interrupt never removes
        // the staging directory half-way.
        let mut staged = registry();
        fs::rename(&file, path)?;
        staged.retain(|p| p != &stage);
        fs::remove_dir(&stage)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&stage);
        registry().retain(|p| p != &stage);
    }
    result.with_context(context)
}
