//! Where a long command's work units run, and what survives a kill: the
//! binary's `careersim::work::Pool`.
//!
//! A `Job` computes each batch of units across the MPI ranks of the job
//! (built with `--features mpi`; one rank otherwise), each rank's share on
//! its threads, and gathers every result to every rank in unit order, so
//! every rank drives the same deterministic algorithm (an ABC generation
//! needs the previous one's distances) and rank 0 writes the results.
//!
//! With a checkpoint (`<out>.checkpoint/`, beside the output), every unit is
//! written there the moment it finishes, by the rank that computed it (one
//! file per unit, written to a temporary name and renamed, with a
//! checksum), so a kill, a scheduler's SIGTERM or a crash loses only the
//! units in progress. `--resume` reads the checkpoint once, on rank 0,
//! before any unit runs, refuses one made by another command, config,
//! input or careersim version, and hands the finished units to every rank;
//! only the rest are computed. The checkpoint is removed once the results
//! are written. On a cluster it must be on a file system every rank sees
//! (as the output is).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use careersim::rules::fnv1a;
use careersim::work::{Pool, WorkError};

/// The checkpoint's header file, which marks a directory as careersim's.
const HEADER: &str = "job.json";
/// What the header says it is.
const KIND: &str = "careersim checkpoint";

/// `--resume` and the checkpoint it implies.
#[derive(clap::Args, Debug, Clone)]
pub struct ResumeArgs {
    /// Continue an interrupted run of this same command from its checkpoint
    /// (`<out>.checkpoint`, written as units finish); only unfinished work
    /// is computed and the results are identical to an uninterrupted run.
    #[arg(long)]
    pub resume: bool,
}

/// What identifies a job: the command and every input that changes its
/// results (not threads, ranks, progress or the output path).
pub struct Fingerprint {
    /// Subcommand.
    pub command: &'static str,
    /// (what, value) pairs, in a fixed order.
    pub fields: Vec<(String, String)>,
}

impl Fingerprint {
    /// An empty fingerprint of `command`, with careersim's version.
    pub fn new(command: &'static str) -> Fingerprint {
        Fingerprint {
            command,
            fields: vec![("careersim version".into(), env!("CARGO_PKG_VERSION").into())],
        }
    }

    /// Adds a field.
    pub fn with(mut self, what: &str, value: impl ToString) -> Fingerprint {
        self.fields.push((what.into(), value.to_string()));
        self
    }

    /// Adds a file's content (hashed), or `none`.
    pub fn with_text(self, what: &str, text: Option<&str>) -> Fingerprint {
        let v = text.map_or("none".to_string(), |t| format!("{:016x}", fnv1a(t.as_bytes())));
        self.with(what, v)
    }

    fn header(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": KIND,
            "command": self.command,
            "fields": self.fields.iter().map(|(k, v)| vec![k.clone(), v.clone()]).collect::<Vec<_>>(),
        })
    }
}

/// The ranks of the job: this process alone, or an MPI world.
pub struct Ranks {
    rank: usize,
    size: usize,
    #[cfg(feature = "mpi")]
    world: Option<mpi::topology::SimpleCommunicator>,
}

impl Ranks {
    /// The ranks this process runs among (MPI when built with it and
    /// initialised by `mpi_init`).
    pub fn current() -> Ranks {
        #[cfg(feature = "mpi")]
        if mpi::environment::is_initialized() {
            use mpi::traits::Communicator as _;
            let world = mpi::topology::SimpleCommunicator::world();
            return Ranks {
                rank: world.rank() as usize,
                size: world.size() as usize,
                world: Some(world),
            };
        }
        Ranks {
            rank: 0,
            size: 1,
            #[cfg(feature = "mpi")]
            world: None,
        }
    }

    /// Whether this is rank 0 (the one that reads inputs it must share,
    /// prints and writes).
    pub fn is_root(&self) -> bool {
        self.rank == 0
    }

    /// Number of ranks.
    pub fn size(&self) -> usize {
        self.size
    }

    /// This rank.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Rank 0's bytes, on every rank.
    fn broadcast(&self, bytes: Vec<u8>) -> Vec<u8> {
        #[cfg(feature = "mpi")]
        if let Some(w) = &self.world {
            use mpi::traits::{Communicator as _, Root as _};
            let root = w.process_at_rank(0);
            let mut len = bytes.len() as u64;
            root.broadcast_into(&mut len);
            let mut buf = if self.rank == 0 { bytes } else { vec![0u8; len as usize] };
            root.broadcast_into(&mut buf[..]);
            return buf;
        }
        bytes
    }

    /// Every rank's bytes, in rank order, on every rank.
    fn all_gather(&self, mine: Vec<u8>) -> Result<Vec<Vec<u8>>, WorkError> {
        #[cfg(feature = "mpi")]
        if let Some(w) = &self.world {
            use mpi::datatype::PartitionMut;
            use mpi::traits::CommunicatorCollectives as _;
            let n = i32::try_from(mine.len()).map_err(|_| {
                WorkError::Job(format!(
                    "rank {}: {} bytes to gather, over 2 GiB",
                    self.rank,
                    mine.len()
                ))
            })?;
            let mut counts = vec![0i32; self.size];
            w.all_gather_into(&n, &mut counts[..]);
            let displs: Vec<i32> = counts
                .iter()
                .scan(0i64, |acc, &c| {
                    let d = *acc;
                    *acc += c as i64;
                    Some(d as i32)
                })
                .collect();
            let total: usize = counts.iter().map(|&c| c as usize).sum();
            let mut buf = vec![0u8; total];
            {
                let mut part = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
                w.all_gather_varcount_into(&mine[..], &mut part);
            }
            return Ok(counts
                .iter()
                .zip(&displs)
                .map(|(&c, &d)| buf[d as usize..d as usize + c as usize].to_vec())
                .collect());
        }
        Ok(vec![mine])
    }

    /// Stops every rank of the job after an error on this one (MPI); a
    /// no-op for one process.
    pub fn abort_others(&self) {
        #[cfg(feature = "mpi")]
        if let Some(w) = &self.world
            && self.size > 1
        {
            use mpi::traits::Communicator as _;
            w.abort(1);
        }
    }
}

/// Ranks a launcher (`mpirun`, `srun`) says this process is one of.
fn launched_ranks() -> Option<(String, u32)> {
    [
        "OMPI_COMM_WORLD_SIZE",
        "PMI_SIZE",
        "PMIX_SIZE",
        "MPI_LOCALNRANKS",
        "SLURM_NTASKS",
    ]
    .iter()
    .find_map(|var| {
        let n = std::env::var(var).ok()?.parse::<u32>().ok()?;
        Some((var.to_string(), n))
    })
    .filter(|(_, n)| *n > 1)
}

/// Initialises MPI for a command that splits work across ranks
/// (`distributed`: scenarios, calibrate, hindcast) in a build with
/// `--features mpi`; returns the universe to hold until the end. Any
/// other command launched as several ranks is refused, rather than have
/// every rank run the whole job and write the same output.
#[cfg(feature = "mpi")]
pub fn mpi_init(distributed: bool) -> Result<Option<mpi::environment::Universe>> {
    if !distributed {
        if let Some((var, n)) = launched_ranks().filter(|(v, _)| v != "SLURM_NTASKS") {
            bail!(
                "started as one of {n} MPI ranks ({var}={n}), but only `scenarios`, `calibrate` and `hindcast` \
                 split their work across ranks: run this command as one process"
            );
        }
        return Ok(None);
    }
    let (universe, _) =
        mpi::initialize_with_threading(mpi::Threading::Funneled).context("MPI could not be initialised")?;
    let ranks = Ranks::current();
    if ranks.size() > 1 {
        let rank = ranks.rank();
        let size = ranks.size();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            eprintln!("careersim rank {rank} of {size}: {info}");
            previous(info);
            Ranks::current().abort_others();
        }));
    }
    Ok(Some(universe))
}

/// Without MPI: refuses to run as one of several ranks of a launcher.
#[cfg(not(feature = "mpi"))]
pub fn mpi_init(_distributed: bool) -> Result<Option<()>> {
    if let Some((var, n)) = launched_ranks().filter(|(v, _)| v != "SLURM_NTASKS") {
        bail!(
            "started as one of {n} MPI ranks ({var}={n}), but this careersim was built without MPI: every rank \
             would run the whole job and write the same output. Rebuild with `cargo build --release --features \
             mpi` (needs Open MPI and libclang), or run one process"
        );
    }
    Ok(None)
}

/// Threads per rank when `--threads` is not given: the cores shared by the
/// ranks on this node.
pub fn default_threads(ranks: &Ranks) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores / local_ranks(ranks)).max(1)
}

/// Ranks of the job on this node (1 without MPI): they share its cores and
/// its memory. From the launcher's environment; all ranks if it says not.
pub fn local_ranks(ranks: &Ranks) -> usize {
    if ranks.size() == 1 {
        return 1;
    }
    ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"]
        .iter()
        .find_map(|v| std::env::var(v).ok().and_then(|s| s.parse::<usize>().ok()))
        .filter(|&n| n >= 1)
        .unwrap_or(ranks.size())
}

/// The checkpoint directory of an output path: `<out>.checkpoint`.
pub fn checkpoint_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "out".into());
    name.push(".checkpoint");
    out.with_file_name(name)
}

/// A command's pool: ranks, threads, and its checkpoint.
pub struct Job {
    ranks: Ranks,
    /// The checkpoint directory (every rank writes its units there).
    checkpoint: Option<PathBuf>,
    /// Units finished before this run, by (batch, index).
    finished: Mutex<BTreeMap<(String, usize), Vec<u8>>>,
    /// Units computed by this run (all ranks) and taken from the checkpoint.
    pub computed: AtomicU64,
    /// Units taken from the checkpoint.
    pub resumed: AtomicU64,
    /// Bytes of unit results gathered across ranks.
    pub gathered_bytes: AtomicU64,
}

impl Job {
    /// A job of this process's ranks; with `out`, checkpointed beside it.
    /// On rank 0: refuses a foreign path, a checkpoint of another job, or
    /// (without `--resume` or `--force`) an unfinished checkpoint; with
    /// `--resume`, loads it. Every rank then receives what rank 0 loaded.
    pub fn start(out: Option<&Path>, fp: &Fingerprint, resume: bool, force: bool) -> Result<Job> {
        let ranks = Ranks::current();
        let dir = out.map(checkpoint_path);
        let mut loaded: Vec<u8> = Vec::new();
        if ranks.is_root()
            && let Some(dir) = &dir
        {
            let units = open_checkpoint(dir, fp, resume, force)?;
            loaded = careersim::work::encode(&units);
        }
        let loaded = ranks.broadcast(loaded);
        let units: Vec<(String, u32, Vec<u8>)> = if loaded.is_empty() {
            Vec::new()
        } else {
            careersim::work::decode(&loaded).map_err(|m| anyhow::anyhow!("checkpoint from rank 0: {m}"))?
        };
        let n = units.len() as u64;
        let finished = units.into_iter().map(|(b, i, v)| ((b, i as usize), v)).collect();
        Ok(Job {
            ranks,
            checkpoint: dir,
            finished: Mutex::new(finished),
            computed: AtomicU64::new(0),
            resumed: AtomicU64::new(n),
            gathered_bytes: AtomicU64::new(0),
        })
    }

    /// A command's output destination, checked and reserved on rank 0 only
    /// (the rank that writes; the others get `None`), then its job with
    /// the checkpoint beside it.
    pub fn with_destination(
        out: &Path,
        force: bool,
        resume: bool,
        inputs: &[Option<&Path>],
        fp: &Fingerprint,
    ) -> Result<(Option<careersim::destination::Destination>, Job)> {
        let dest = if Ranks::current().is_root() {
            Some(super::destination(out, force, inputs)?)
        } else {
            None
        };
        Ok((dest, Job::start(Some(out), fp, resume, force)?))
    }

    /// The ranks.
    pub fn ranks(&self) -> &Ranks {
        &self.ranks
    }

    /// After the results are written (rank 0): removes the checkpoint.
    pub fn finish(self) -> Result<()> {
        if let (true, Some(dir)) = (self.ranks.is_root(), &self.checkpoint) {
            remove_checkpoint(dir)?;
        }
        Ok(())
    }

    /// A one-line account for the log: units computed and resumed, ranks.
    pub fn account(&self) -> String {
        let (c, r) = (
            self.computed.load(Ordering::Relaxed),
            self.resumed.load(Ordering::Relaxed),
        );
        let mut s = format!("{c} units computed");
        if r > 0 {
            s += &format!(", {r} taken from the checkpoint");
        }
        if self.ranks.size() > 1 {
            s += &format!(
                " on {} MPI ranks, {} bytes of results gathered",
                self.ranks.size(),
                self.gathered_bytes.load(Ordering::Relaxed)
            );
        }
        s
    }
}

/// Writes one finished unit into the checkpoint `dir` (if any): to a
/// temporary name, synced, then renamed, so a kill never leaves half a unit.
fn save_unit(dir: Option<&Path>, batch: &str, i: usize, bytes: &[u8]) -> std::io::Result<()> {
    let Some(dir) = dir else { return Ok(()) };
    let name = format!("{batch}.{i}.unit");
    let tmp = dir.join(format!(".tmp-{}-{name}", std::process::id()));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.write_all(&fnv1a(bytes).to_le_bytes())?;
    f.sync_all()?;
    fs::rename(&tmp, dir.join(name))
}

impl Pool for Job {
    fn map(&self, batch: &str, n: usize, unit: &(dyn Fn(usize) -> Vec<u8> + Sync)) -> Result<Vec<Vec<u8>>, WorkError> {
        let mut out: Vec<Option<Vec<u8>>> = {
            let mut fin = self.finished.lock().unwrap_or_else(|p| p.into_inner());
            (0..n).map(|i| fin.remove(&(batch.to_string(), i))).collect()
        };
        let missing: Vec<usize> = (0..n).filter(|&i| out[i].is_none()).collect();
        // Round-robin over the ranks: runs of a batch are alike in cost.
        let mine: Vec<usize> = missing
            .iter()
            .copied()
            .enumerate()
            .filter(|(k, _)| k % self.ranks.size == self.ranks.rank)
            .map(|(_, i)| i)
            .collect();
        #[cfg(feature = "mpi")]
        if self.ranks.size > 1
            && std::env::var("CAREERSIM_FAULT_RANK")
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                == Some(self.ranks.rank)
        {
            return Err(WorkError::Job(format!(
                "rank {}: failing on purpose (CAREERSIM_FAULT_RANK={}, the test of a failing rank)",
                self.ranks.rank, self.ranks.rank
            )));
        }
        let failed: Mutex<Option<String>> = Mutex::new(None);
        let dir = self.checkpoint.as_deref();
        let results: Vec<(u32, Vec<u8>)> = mine
            .par_iter()
            .map(|&i| {
                let bytes = unit(i);
                if let Err(e) = save_unit(dir, batch, i, &bytes) {
                    let mut f = failed.lock().unwrap_or_else(|p| p.into_inner());
                    f.get_or_insert_with(|| format!("cannot write unit {batch}.{i}: {e}"));
                }
                (i as u32, bytes)
            })
            .collect();
        if let Some(message) = failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(WorkError::Checkpoint {
                path: self
                    .checkpoint
                    .as_ref()
                    .map_or(String::new(), |d| d.display().to_string()),
                message,
            });
        }
        self.computed.fetch_add(missing.len() as u64, Ordering::Relaxed);
        let gathered = if self.ranks.size > 1 {
            let all = self.ranks.all_gather(careersim::work::encode(&results))?;
            self.gathered_bytes
                .fetch_add(all.iter().map(|b| b.len() as u64).sum::<u64>(), Ordering::Relaxed);
            let mut v = Vec::with_capacity(missing.len());
            for (r, b) in all.iter().enumerate() {
                let part: Vec<(u32, Vec<u8>)> = careersim::work::decode(b)
                    .map_err(|m| WorkError::Job(format!("batch {batch}: results of rank {r}: {m}")))?;
                v.extend(part);
            }
            v
        } else {
            results
        };
        for (i, b) in gathered {
            out[i as usize] = Some(b);
        }
        out.into_iter()
            .enumerate()
            .map(|(i, b)| b.ok_or_else(|| WorkError::Job(format!("batch {batch}: unit {i} was computed by no rank"))))
            .collect()
    }
}

/// Opens (rank 0) the checkpoint directory: creates it with its header, or
/// checks an existing one and, with `resume`, returns its finished units.
fn open_checkpoint(dir: &Path, fp: &Fingerprint, resume: bool, force: bool) -> Result<Vec<(String, u32, Vec<u8>)>> {
    let header = fp.header();
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if resume {
                eprintln!(
                    "careersim: --resume: no checkpoint at {}; starting from the beginning",
                    dir.display()
                );
            }
            create_checkpoint(dir, &header)?;
            return Ok(Vec::new());
        }
        Err(e) => bail!("{}: cannot read the checkpoint: {e}", dir.display()),
        Ok(m) if !m.is_dir() => bail!(
            "{} exists and is not a careersim checkpoint directory; careersim will not touch it (move it, or \
             choose another --out)",
            dir.display()
        ),
        Ok(_) => {}
    }
    let found: serde_json::Value = fs::read_to_string(dir.join(HEADER))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .filter(|v: &serde_json::Value| v["kind"] == KIND)
        .with_context(|| {
            format!(
                "{} exists and is not a careersim checkpoint (no readable {HEADER}); careersim will not touch it \
                 (move it, or choose another --out)",
                dir.display()
            )
        })?;
    let units = unit_files(dir)?;
    if !resume {
        if !force {
            bail!(
                "{} holds the checkpoint of an unfinished `{}` ({} units done): continue it with --resume, or \
                 start again with --force (which discards it)",
                dir.display(),
                found["command"].as_str().unwrap_or("?"),
                units.len()
            );
        }
        remove_checkpoint(dir)?;
        create_checkpoint(dir, &header)?;
        return Ok(Vec::new());
    }
    if let Some(why) = differs(&found, &header) {
        bail!(
            "{}: this checkpoint was made by another job ({why}); it cannot be resumed by this command. Run the \
             original command with --resume, or start again with --force (which discards it)",
            dir.display()
        );
    }
    let mut out = Vec::with_capacity(units.len());
    for (batch, i, path) in units {
        let bytes = fs::read(&path).with_context(|| format!("{}: cannot read", path.display()))?;
        let body = bytes
            .len()
            .checked_sub(8)
            .map(|n| bytes.split_at(n))
            .filter(|(b, s)| fnv1a(b).to_le_bytes() == **s)
            .map(|(b, _)| b.to_vec());
        let Some(body) = body else {
            bail!(
                "{}: damaged (checksum mismatch); remove this file and resume again to recompute that unit",
                path.display()
            );
        };
        out.push((batch, i, body));
    }
    eprintln!(
        "careersim: resuming from {}: {} units already done",
        dir.display(),
        out.len()
    );
    Ok(out)
}

/// Why a found header is not this job's, if it is not.
fn differs(found: &serde_json::Value, mine: &serde_json::Value) -> Option<String> {
    if found["command"] != mine["command"] {
        return Some(format!(
            "command `{}`, not `{}`",
            found["command"].as_str().unwrap_or("?"),
            mine["command"].as_str().unwrap_or("?")
        ));
    }
    let pairs = |v: &serde_json::Value| -> Vec<(String, String)> {
        v["fields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| {
                        (
                            p[0].as_str().unwrap_or("").to_string(),
                            p[1].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (f, m) = (pairs(found), pairs(mine));
    for (k, v) in &m {
        match f.iter().find(|p| &p.0 == k) {
            Some((_, w)) if w == v => {}
            Some((_, w)) => return Some(format!("{k} {w}, not {v}")),
            None => return Some(format!("no {k}")),
        }
    }
    (f.len() != m.len()).then(|| "other inputs".into())
}

fn create_checkpoint(dir: &Path, header: &serde_json::Value) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the checkpoint", dir.display()))?;
    let tmp = dir.join(format!(".tmp-{}-{HEADER}", std::process::id()));
    fs::write(&tmp, serde_json::to_string_pretty(header)? + "\n")
        .and_then(|_| fs::rename(&tmp, dir.join(HEADER)))
        .with_context(|| format!("{}: cannot write the checkpoint header", dir.display()))
}

/// The unit files of a checkpoint: (batch, index, path), sorted.
fn unit_files(dir: &Path) -> Result<Vec<(String, u32, PathBuf)>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))? {
        let p = e?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        if let Some(stem) = name.strip_suffix(".unit")
            && !name.starts_with('.')
            && let Some((batch, i)) = stem.rsplit_once('.')
            && let Ok(i) = i.parse::<u32>()
        {
            out.push((batch.to_string(), i, p));
        }
    }
    out.sort();
    Ok(out)
}

/// Removes a checkpoint: only the files careersim writes there, then the
/// directory if it is empty (anything else put there is left alone).
fn remove_checkpoint(dir: &Path) -> Result<()> {
    for e in fs::read_dir(dir).with_context(|| format!("{}: cannot list", dir.display()))? {
        let p = e?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let ours = name == HEADER || name.ends_with(".unit") && !name.starts_with('.') || name.starts_with(".tmp-");
        if ours && p.is_file() {
            fs::remove_file(&p).with_context(|| format!("{}: cannot remove", p.display()))?;
        }
    }
    let _ = fs::remove_dir(dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(seed: u64) -> Fingerprint {
        Fingerprint::new("calibrate")
            .with("seed", seed)
            .with_text("targets", Some("a,b"))
    }

    #[test]
    fn a_checkpoint_resumes_its_own_job_only() {
        let tmp = std::env::temp_dir().join(format!("careersim-job-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(&tmp).unwrap();
        let out = tmp.join("out");
        let job = Job::start(Some(&out), &fp(1), false, false).unwrap();
        let sq = careersim::work::map(&job, "b", 5, |i| i * i).unwrap();
        assert_eq!(sq, vec![0, 1, 4, 9, 16]);
        assert_eq!(job.computed.load(Ordering::Relaxed), 5);
        drop(job);
        // Interrupted before finish: the next start must be told.
        let e = Job::start(Some(&out), &fp(1), false, false).err().unwrap().to_string();
        assert!(e.contains("--resume") && e.contains("5 units done"), "{e}");
        let e = Job::start(Some(&out), &fp(2), true, false).err().unwrap().to_string();
        assert!(e.contains("seed 1, not 2"), "{e}");
        // Resumed: nothing recomputed, the same results.
        let job = Job::start(Some(&out), &fp(1), true, false).unwrap();
        let again = careersim::work::map(&job, "b", 5, |i| i * i).unwrap();
        assert_eq!(again, sq);
        assert_eq!(job.computed.load(Ordering::Relaxed), 0);
        assert_eq!(job.resumed.load(Ordering::Relaxed), 5);
        // A damaged unit is refused by name.
        let unit = checkpoint_path(&out).join("b.3.unit");
        let mut bytes = fs::read(&unit).unwrap();
        bytes[0] ^= 1;
        fs::write(&unit, bytes).unwrap();
        let e = Job::start(Some(&out), &fp(1), true, false).err().unwrap().to_string();
        assert!(e.contains("b.3.unit") && e.contains("checksum"), "{e}");
        // A user's file in the directory survives the removal.
        fs::write(checkpoint_path(&out).join("notes.txt"), "mine").unwrap();
        job.finish().unwrap();
        assert!(checkpoint_path(&out).join("notes.txt").exists());
        assert!(!checkpoint_path(&out).join(HEADER).exists());
        // A path that is not a checkpoint is never touched.
        let other = tmp.join("x");
        fs::write(checkpoint_path(&other), "a user's file").unwrap();
        let e = Job::start(Some(&other), &fp(1), false, true).err().unwrap().to_string();
        assert!(e.contains("not a careersim checkpoint"), "{e}");
        assert_eq!(fs::read_to_string(checkpoint_path(&other)).unwrap(), "a user's file");
        let _ = fs::remove_dir_all(&tmp);
    }
}
