//! Edge: where a command's results go, and replacing them without ever
//! losing a file the user owns.
//!
//! **Architecture Invariant:** careersim replaces only a directory that it
//! wrote itself. A result directory is recognised by its `manifest.json`,
//! which names careersim and lists every file careersim wrote into it; any
//! other existing path — a file, a directory of the user's, the working
//! directory or one holding it, a directory holding an input file — is
//! refused before anything runs, with the way out in the message.
//!
//! The life of a destination:
//! 1. [`Destination::prepare`] checks the path, removes staging directories
//!    left by dead careersim processes, and creates this process's staging
//!    directory beside the target (`.NAME.tmp-PID`, marked with
//!    [`STAGING_MARKER`]) — which also proves the target's parent is
//!    writable before any simulation runs.
//! 2. [`Destination::commit`] writes every file into the staging directory,
//!    fsyncs files and directories, and swaps it with the target in one
//!    `renameat2(RENAME_EXCHANGE)`, so at every instant the target path holds
//!    either the whole old result or the whole new one. The old result is
//!    then removed.
//! 3. Dropping an uncommitted destination removes its staging directory; a
//!    signal watcher (in the binary) removes every registered staging
//!    directory under [`registry`] before exiting.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use thiserror::Error;

/// The manifest every careersim result holds.
pub const MANIFEST: &str = "manifest.json";

/// The file that marks a staging directory (and a result made from one) as
/// careersim's own, so that a later run may remove it if its process died.
pub const STAGING_MARKER: &str = ".careersim";

/// The largest manifest read when recognising a result (a bigger file is
/// not one careersim wrote).
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// An output path that cannot take a result, or a failure writing it.
#[derive(Debug, Error)]
pub enum OutputError {
    /// The path may not be replaced; `advice` says what to do instead.
    #[error("--out {path}: {reason}; nothing was run or changed. {advice}")]
    Refused {
        /// The path as the user gave it.
        path: String,
        /// Why it is refused.
        reason: String,
        /// The way out.
        advice: String,
    },
    /// An IO error on a path (permissions, disk full, ...).
    #[error("{path}: {message}")]
    Io {
        /// The path being written.
        path: String,
        /// What failed, with the OS error.
        message: String,
    },
}

const NEW_PATH: &str = "Choose a new --out path (careersim creates it).";

fn refused(path: &Path, reason: impl Into<String>, advice: &str) -> OutputError {
    OutputError::Refused {
        path: path.display().to_string(),
        reason: reason.into(),
        advice: advice.into(),
    }
}

fn io(path: &Path, what: &str, e: std::io::Error) -> OutputError {
    OutputError::Io {
        path: path.display().to_string(),
        message: format!("{what}: {e}"),
    }
}

/// Staging directories of this process not yet committed or removed. The
/// signal watcher takes this lock, removes them and exits; a commit holds it
/// while it writes and swaps, so an interrupt never tears a result.
pub fn registry() -> MutexGuard<'static, Vec<PathBuf>> {
    static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    STAGING.lock().unwrap_or_else(|p| p.into_inner())
}

/// What an existing path holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Existing {
    /// Nothing there.
    Absent,
    /// An empty directory: replacing it loses nothing.
    EmptyDir,
    /// A careersim result holding only the files careersim wrote.
    Result,
    /// A careersim result into which other files have been put (listed), or
    /// one written before results listed their files.
    ResultWithOthers(Vec<String>),
    /// Anything else (a file, a symbolic link, another directory); the reason.
    Foreign(String),
}

/// Relative paths of the files below `dir`, sorted.
fn files_below(dir: &Path) -> std::io::Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d)? {
            let e = e?;
            let p = e.path();
            if e.file_type()?.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap_or(&p);
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    Ok(out)
}

/// Classifies what is at `path` (not following a final symbolic link).
pub fn existing(path: &Path) -> Existing {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Existing::Absent,
        Err(e) => return Existing::Foreign(format!("cannot be inspected ({e})")),
    };
    if meta.file_type().is_symlink() {
        return Existing::Foreign("is a symbolic link".into());
    }
    if !meta.is_dir() {
        return Existing::Foreign("is an existing file".into());
    }
    // Only the top level is read before the directory is known to be a
    // careersim result: refusing `--out /usr` must not walk /usr.
    let top = match fs::read_dir(path) {
        Ok(entries) => entries.count(),
        Err(e) => return Existing::Foreign(format!("is a directory that cannot be listed ({e})")),
    };
    if top == 0 {
        return Existing::EmptyDir;
    }
    let manifest = path.join(MANIFEST);
    let parsed = fs::metadata(&manifest)
        .ok()
        .filter(|m| m.is_file() && m.len() <= MAX_MANIFEST_BYTES)
        .and_then(|_| fs::read_to_string(&manifest).ok())
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .filter(|v| v.get("careersim_version").is_some());
    let Some(m) = parsed else {
        return Existing::Foreign(format!(
            "is an existing directory that careersim did not write (no careersim {MANIFEST}; it holds {top} entr{})",
            if top == 1 { "y" } else { "ies" }
        ));
    };
    let files = match files_below(path) {
        Ok(f) => f,
        Err(e) => return Existing::Foreign(format!("is a directory that cannot be listed ({e})")),
    };
    let Some(listed) = m.get("files").and_then(|f| f.as_array()) else {
        return Existing::ResultWithOthers(Vec::new());
    };
    let listed: BTreeSet<&str> = listed.iter().filter_map(|v| v.as_str()).collect();
    let others: Vec<String> = files
        .iter()
        .filter(|f| f.as_str() != MANIFEST && f.as_str() != STAGING_MARKER && !listed.contains(f.as_str()))
        .cloned()
        .collect();
    if others.is_empty() {
        Existing::Result
    } else {
        Existing::ResultWithOthers(others)
    }
}

/// `path` made absolute and free of `.`/`..`, with symbolic links in the
/// existing part of its parent resolved (the final component is not followed:
/// a symbolic link there is refused).
fn resolve(path: &Path) -> Result<PathBuf, OutputError> {
    let abs = std::path::absolute(path).map_err(|e| io(path, "cannot resolve", e))?;
    let mut clean = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    let (Some(name), Some(parent)) = (clean.file_name().map(|n| n.to_os_string()), clean.parent()) else {
        return Ok(clean);
    };
    let mut base = parent.to_path_buf();
    let mut tail = Vec::new();
    loop {
        if let Ok(mut out) = fs::canonicalize(&base) {
            out.extend(tail.iter().rev());
            out.push(&name);
            return Ok(out);
        }
        match (base.file_name().map(|n| n.to_os_string()), base.parent()) {
            (Some(n), Some(p)) => {
                tail.push(n);
                base = p.to_path_buf();
            }
            _ => return Ok(clean),
        }
    }
}

/// A checked output path with its staging directory.
#[derive(Debug)]
pub struct Destination {
    /// The path as the user gave it (for messages).
    shown: PathBuf,
    /// The resolved target.
    target: PathBuf,
    /// This process's staging directory beside it.
    staging: PathBuf,
    force: bool,
    committed: bool,
    /// Staging directories of dead processes removed by `prepare`.
    pub removed_stale: Vec<PathBuf>,
}

/// Whether process `pid` is alive (Linux: /proc/PID exists).
fn alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes careersim staging directories (`.NAME.tmp-PID`, `.NAME.old-PID`,
/// marked with [`STAGING_MARKER`]) in `parent` whose process is dead.
fn remove_stale(parent: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = fs::read_dir(parent) else {
        return removed;
    };
    let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    names.sort();
    for p in names {
        let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(pid) = name
            .strip_prefix('.')
            .and_then(|n| n.rsplit_once(".tmp-").or_else(|| n.rsplit_once(".old-")))
            .and_then(|(_, pid)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let is_staging = fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) && p.join(STAGING_MARKER).is_file();
        if is_staging && !alive(pid) && fs::remove_dir_all(&p).is_ok() {
            removed.push(p);
        }
    }
    removed
}

fn fsync_dir(dir: &Path) -> Result<(), OutputError> {
    fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(dir, "cannot sync directory", e))
}

impl Destination {
    /// Checks that `out` may take a result and reserves a staging directory
    /// beside it. `inputs` are files the command reads (config, parameters,
    /// targets ...): a target that holds one is refused. `force` allows
    /// replacing a careersim result into which other files have been put;
    /// nothing else is ever replaced.
    pub fn prepare(out: &Path, force: bool, inputs: &[&Path]) -> Result<Destination, OutputError> {
        if out.as_os_str().is_empty() {
            return Err(refused(out, "is empty", NEW_PATH));
        }
        if matches!(
            out.components().next_back(),
            None | Some(Component::CurDir | Component::ParentDir | Component::RootDir | Component::Prefix(_))
        ) {
            return Err(refused(
                out,
                "names the working directory, a parent of it, or the root",
                NEW_PATH,
            ));
        }
        let target = resolve(out)?;
        let cwd = std::env::current_dir()
            .and_then(fs::canonicalize)
            .map_err(|e| io(Path::new("."), "cannot read the working directory", e))?;
        if cwd.starts_with(&target) {
            return Err(refused(
                out,
                format!("is the working directory or holds it ({})", cwd.display()),
                NEW_PATH,
            ));
        }
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .and_then(|h| fs::canonicalize(h).ok());
        if home.is_some_and(|h| h.starts_with(&target)) {
            return Err(refused(out, "is the home directory or holds it", NEW_PATH));
        }
        for input in inputs {
            let Ok(inp) = fs::canonicalize(input) else {
                continue;
            };
            if inp.starts_with(&target) {
                return Err(refused(
                    out,
                    format!("holds the input {}", input.display()),
                    "Write results somewhere that holds none of the inputs. Choose a new --out path.",
                ));
            }
        }
        match existing(&target) {
            Existing::Absent | Existing::EmptyDir | Existing::Result => {}
            Existing::ResultWithOthers(_) if force => {}
            Existing::ResultWithOthers(others) if others.is_empty() => {
                return Err(refused(
                    out,
                    "holds a careersim result from a version that did not list its files, so careersim cannot tell whether you added any",
                    "Check it, then pass --force to replace it, or choose a new --out path.",
                ));
            }
            Existing::ResultWithOthers(others) => {
                let shown: Vec<&str> = others.iter().take(5).map(String::as_str).collect();
                return Err(refused(
                    out,
                    format!(
                        "holds a careersim result but also {} file{} careersim did not write ({}{})",
                        others.len(),
                        if others.len() == 1 { "" } else { "s" },
                        shown.join(", "),
                        if others.len() > 5 { ", ..." } else { "" }
                    ),
                    "Move them out, choose a new --out path, or pass --force to replace the whole directory.",
                ));
            }
            Existing::Foreign(reason) => return Err(refused(out, reason, NEW_PATH)),
        }
        let parent = target.parent().unwrap_or(Path::new("/")).to_path_buf();
        fs::create_dir_all(&parent).map_err(|e| io(&parent, "cannot create the output's parent directory", e))?;
        let removed_stale = remove_stale(&parent);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let staging = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(|e| io(&staging, "cannot remove an old staging directory", e))?;
        }
        let mut reg = registry();
        fs::create_dir(&staging).map_err(|e| io(&staging, "cannot write beside the output (is it writable?)", e))?;
        reg.push(staging.clone());
        drop(reg);
        let d = Destination {
            shown: out.to_path_buf(),
            target,
            staging,
            force,
            committed: false,
            removed_stale,
        };
        let marker = d.staging.join(STAGING_MARKER);
        fs::File::create(&marker)
            .and_then(|mut f| {
                f.write_all(b"careersim staging directory; removed by careersim when its process has ended\n")?;
                f.sync_all()
            })
            .map_err(|e| {
                io(
                    &marker,
                    "cannot write beside the output (is it writable, is the disk full?)",
                    e,
                )
            })?;
        Ok(d)
    }

    /// The resolved target path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Writes `files` (relative names, may hold subdirectories) and puts them
    /// in place of the target in one atomic exchange. A `manifest.json` among
    /// them (a JSON object) gains a `files` list of every file written. On
    /// error nothing has changed at the target and the staging is removed.
    pub fn commit<N: AsRef<Path>, C: AsRef<[u8]>>(mut self, files: &[(N, C)]) -> Result<(), OutputError> {
        let mut reg = registry();
        let result = self.write_and_swap(files);
        if result.is_err() {
            let _ = fs::remove_dir_all(&self.staging);
        }
        reg.retain(|p| p != &self.staging);
        self.committed = true;
        result
    }

    fn write_and_swap<N: AsRef<Path>, C: AsRef<[u8]>>(&self, files: &[(N, C)]) -> Result<(), OutputError> {
        let mut names: Vec<String> = files
            .iter()
            .map(|(n, _)| n.as_ref().to_string_lossy().replace('\\', "/"))
            .collect();
        names.sort();
        let mut dirs = BTreeSet::new();
        dirs.insert(self.staging.clone());
        for (file, content) in files {
            let rel = file.as_ref();
            if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
                return Err(io(
                    rel,
                    "not a plain relative file name",
                    std::io::ErrorKind::InvalidInput.into(),
                ));
            }
            let path = self.staging.join(rel);
            if let Some(p) = path.parent() {
                fs::create_dir_all(p).map_err(|e| io(p, "cannot create", e))?;
                dirs.insert(p.to_path_buf());
            }
            let manifest_with_files;
            let mut bytes = content.as_ref();
            if rel == Path::new(MANIFEST)
                && let Ok(serde_json::Value::Object(mut m)) = serde_json::from_slice::<serde_json::Value>(bytes)
            {
                m.insert("files".into(), serde_json::json!(names));
                manifest_with_files = serde_json::to_string_pretty(&m).unwrap_or_default() + "\n";
                bytes = manifest_with_files.as_bytes();
            }
            fs::File::create(&path)
                .and_then(|mut f| {
                    f.write_all(bytes)?;
                    f.sync_all()
                })
                .map_err(|e| {
                    io(
                        &self.shown,
                        &format!("writing {} failed; the previous contents are unchanged", rel.display()),
                        e,
                    )
                })?;
        }
        for d in dirs.iter().rev() {
            fsync_dir(d)?;
        }
        // The target may have changed since `prepare`: check again.
        match existing(&self.target) {
            Existing::Absent | Existing::EmptyDir | Existing::Result => {}
            Existing::ResultWithOthers(_) if self.force => {}
            other => {
                return Err(refused(
                    &self.shown,
                    format!("changed while careersim ran ({other:?})"),
                    NEW_PATH,
                ));
            }
        }
        let parent = self.target.parent().unwrap_or(Path::new("/"));
        if fs::symlink_metadata(&self.target).is_ok() {
            // Mark the old result, which is about to become a staging
            // directory, so that a later run removes it should this process
            // die before it does.
            let _ = fs::File::create(self.target.join(STAGING_MARKER));
            match exchange(&self.staging, &self.target) {
                Ok(()) => {
                    fsync_dir(parent)?;
                    // The staging path now holds the old result.
                    fs::remove_dir_all(&self.staging)
                        .map_err(|e| io(&self.staging, "cannot remove the old result", e))?;
                }
                Err(_) => {
                    // Filesystems without RENAME_EXCHANGE: two renames, with
                    // the old result kept (marked) until the new is in place.
                    let name = self.target.file_name().unwrap_or_default().to_string_lossy();
                    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
                    fs::rename(&self.target, &old)
                        .map_err(|e| io(&self.target, "cannot move the old result aside", e))?;
                    if let Err(e) = fs::rename(&self.staging, &self.target) {
                        let _ = fs::rename(&old, &self.target);
                        let _ = fs::remove_file(self.target.join(STAGING_MARKER));
                        return Err(io(&self.target, "cannot put the new result in place", e));
                    }
                    fsync_dir(parent)?;
                    fs::remove_dir_all(&old).map_err(|e| io(&old, "cannot remove the old result", e))?;
                }
            }
        } else {
            fs::rename(&self.staging, &self.target)
                .map_err(|e| io(&self.target, "cannot put the result in place", e))?;
            fsync_dir(parent)?;
        }
        // The result in place is no longer a staging directory.
        let _ = fs::remove_file(self.target.join(STAGING_MARKER));
        fsync_dir(&self.target)?;
        Ok(())
    }
}

impl Drop for Destination {
    fn drop(&mut self) {
        if !self.committed {
            let mut reg = registry();
            let _ = fs::remove_dir_all(&self.staging);
            reg.retain(|p| p != &self.staging);
        }
    }
}

/// Swaps two paths atomically (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths; AT_FDCWD resolves them
    // against the working directory as rename(2) does.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(p: &Path, s: &str) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, s).unwrap();
    }

    fn result(out: &Path, v: &str) -> Result<(), OutputError> {
        let d = Destination::prepare(out, false, &[])?;
        d.commit(&[
            ("a.csv", v.to_string()),
            ("plots/p.svg", v.to_string()),
            (MANIFEST, "{\"careersim_version\":\"0.1.0\"}".to_string()),
        ])
    }

    #[test]
    fn writes_replaces_its_own_result_and_lists_files() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("res");
        result(&out, "one").unwrap();
        assert_eq!(fs::read_to_string(out.join("a.csv")).unwrap(), "one");
        let m: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join(MANIFEST)).unwrap()).unwrap();
        assert_eq!(m["files"], serde_json::json!(["a.csv", "manifest.json", "plots/p.svg"]));
        result(&out, "two").unwrap();
        assert_eq!(fs::read_to_string(out.join("plots/p.svg")).unwrap(), "two");
        assert!(!out.join(STAGING_MARKER).exists());
        // Nothing left beside it.
        let left: Vec<_> = fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("res")]);
    }

    #[test]
    fn refuses_foreign_directories_files_and_added_files() {
        let t = tempfile::tempdir().unwrap();
        let thesis = t.path().join("thesis");
        write(&thesis.join("chapter1.tex"), "words");
        let e = result(&thesis, "x").unwrap_err().to_string();
        assert!(e.contains("careersim did not write") && e.contains("thesis"), "{e}");
        assert_eq!(fs::read_to_string(thesis.join("chapter1.tex")).unwrap(), "words");

        let file = t.path().join("notes.txt");
        write(&file, "mine");
        let e = result(&file, "x").unwrap_err().to_string();
        assert!(e.contains("existing file"), "{e}");
        assert_eq!(fs::read_to_string(&file).unwrap(), "mine");

        let res = t.path().join("res");
        result(&res, "one").unwrap();
        write(&res.join("my_analysis.py"), "print()");
        let e = result(&res, "two").unwrap_err().to_string();
        assert!(e.contains("my_analysis.py") && e.contains("--force"), "{e}");
        assert_eq!(fs::read_to_string(res.join("a.csv")).unwrap(), "one");
        let d = Destination::prepare(&res, true, &[]).unwrap();
        d.commit(&[("a.csv", "two"), (MANIFEST, "{\"careersim_version\":\"x\"}")])
            .unwrap();
        assert!(!res.join("my_analysis.py").exists());
        // No staging left anywhere.
        let left: BTreeSet<_> = fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            left,
            ["notes.txt", "res", "thesis"].iter().map(|s| s.to_string()).collect()
        );
    }

    #[test]
    fn refuses_paths_holding_inputs_and_dot_paths() {
        let t = tempfile::tempdir().unwrap();
        let cfg = t.path().join("proj/cfg.toml");
        write(&cfg, "x");
        let e = Destination::prepare(&t.path().join("proj"), true, &[&cfg])
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds the input"), "{e}");
        for p in [".", "..", "a/..", "/"] {
            let e = Destination::prepare(Path::new(p), true, &[]).unwrap_err().to_string();
            assert!(e.contains("working directory"), "{p}: {e}");
        }
    }

    #[test]
    fn dropped_destination_and_dead_processes_leave_nothing() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("res");
        let d = Destination::prepare(&out, false, &[]).unwrap();
        assert!(d.staging.join(STAGING_MARKER).exists());
        drop(d);
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 0);
        // A staging directory of a process that no longer exists.
        let stale = t.path().join(".res.tmp-4000000000");
        write(&stale.join(STAGING_MARKER), "");
        write(&stale.join("monthly.csv"), "big");
        // Not ours (no marker): kept.
        let other = t.path().join(".res.tmp-4000000001");
        write(&other.join("keep.txt"), "");
        let d = Destination::prepare(&out, false, &[]).unwrap();
        assert_eq!(d.removed_stale, vec![stale.clone()]);
        assert!(!stale.exists() && other.exists());
    }
}
