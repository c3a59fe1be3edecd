//! Every file the binary writes goes through here, so that no run can destroy what the user had.
//!
//! The rules, each one place:
//! - **Identity, not spelling.** Paths are compared by the file they name (device and inode; for
//!   a path not yet there, its folder's device and inode and its name), so `m.json`, `./m.json`,
//!   a hard link and a symlink to it are one file. An output that is an input, or another output,
//!   is refused before any work.
//! - **Only regular files are replaced.** A new path or a regular file is written to a temporary
//!   file beside it and renamed into place (whole or not at all). A symlink is written *through*:
//!   the link stays and the file it points to is replaced (a link to nothing is refused). A FIFO,
//!   a device or a socket is opened and written as it is (`/dev/null` stays a device,
//!   `/dev/stdout` writes to stdout, `/dev/full` fails with its error). `-` is stdout.
//! - **All or nothing.** [`commit`] stages every regular file first, then writes the special
//!   files, and only when all of that worked renames the staged files into place.
//! - **Checked before work.** [`Plan::output`] probes each folder by creating (and removing) a
//!   temporary file in it, so a read-only folder is found before training, not after.
//! - **Interrupted runs leave all old or all new.** Every temporary file is registered, under the
//!   same lock, in the moment it is created, and every folder the run made ([`MadeDir`]) too; the
//!   SIGINT/SIGTERM/SIGHUP handler ([`install_signal_cleanup`]) removes them all before the
//!   process exits, so an interrupted run leaves what the user had. The renames at the end of
//!   [`commit`] are one section that a signal waits for (a few milliseconds at most): a signal
//!   before it leaves every file old, a signal during or after it every file new. What this does
//!   not cover: SIGKILL or a power cut in the middle of the renames (each file is still whole,
//!   old or new, but the set may be mixed), and a rename that fails half-way (then the message
//!   names the file that failed).
//! - **A closed stdout ends the printing, never the saving** ([`print`]).

use anyhow::{Context, Result, anyhow, bail};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// What an interrupted run takes away: the temporary files that exist right now, and the
/// folders it made.
struct Made {
    temps: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

/// The registry the signal handler empties. A file or folder is made while this is held, so the
/// handler sees either nothing on disk or the path registered.
static MADE: Mutex<Made> = Mutex::new(Made { temps: Vec::new(), dirs: Vec::new() });
/// Held while the staged files are renamed into place; the signal handler waits for it.
static RENAMING: Mutex<()> = Mutex::new(());
/// Set once a write to stdout found the reader gone.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);

/// On SIGINT, SIGTERM or SIGHUP: waits for renames in progress, removes every registered temporary
/// file and every folder the run made (if it is still empty), then exits with status 130 (the
/// shell's code for an interrupted command).
pub fn install_signal_cleanup() {
    // Failing to install (a handler already set by an embedding program) only loses the cleanup.
    let _ = ctrlc::set_handler(|| {
        // A poisoned lock means a panic in the holder: the cleanup is still wanted. Both locks are
        // kept until the exit, so nothing new is made or renamed after the cleanup.
        let _renaming = RENAMING.lock().unwrap_or_else(|e| e.into_inner());
        let made = MADE.lock().unwrap_or_else(|e| e.into_inner());
        for path in &made.temps {
            let _ = std::fs::remove_file(path);
        }
        for dir in made.dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
        std::process::exit(130);
    });
}

fn made() -> std::sync::MutexGuard<'static, Made> {
    MADE.lock().unwrap_or_else(|e| e.into_inner())
}

/// A folder this run made (`--save-npy DIR` when DIR was not there): taken away, if still empty,
/// when the run fails or is interrupted, and kept once [`MadeDir::keep`] says it is the user's.
pub struct MadeDir {
    path: PathBuf,
    kept: bool,
}

impl MadeDir {
    pub fn create(path: &Path) -> std::io::Result<MadeDir> {
        let mut made = made();
        std::fs::create_dir(path)?;
        made.dirs.push(path.to_path_buf());
        Ok(MadeDir { path: path.to_path_buf(), kept: false })
    }

    /// The run's files are in it: it stays, whatever happens next.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for MadeDir {
    fn drop(&mut self) {
        let mut made = made();
        if !self.kept {
            let _ = std::fs::remove_dir(&self.path);
        }
        made.dirs.retain(|p| *p != self.path);
    }
}

/// Writes to stdout. A reader that has gone (`| head`, `| true`) ends the printing quietly and
/// is not an error: the run goes on to save its files.
pub fn print(bytes: &[u8]) -> Result<()> {
    print_with(|out| out.write_all(bytes))
}

/// [`print`] for text that `write` forms as it writes (through a buffer of 64 KiB; a concrete
/// writer, not `dyn Write`, so that each of a JSON report's small writes is a copy into the
/// buffer rather than a call).
pub fn print_with(
    write: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'static>>) -> std::io::Result<()>,
) -> Result<()> {
    if STDOUT_GONE.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_GONE.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => Ok(other?),
    }
}

/// Which file a path names, for telling two paths apart.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identity {
    /// An existing file: (device, inode).
    File(u64, u64),
    /// A path not there yet: its folder's (device, inode) and its own name.
    New(u64, u64, OsString),
}

fn identity(path: &Path) -> Option<Identity> {
    match std::fs::metadata(path) {
        Ok(m) => Some(Identity::File(m.dev(), m.ino())),
        Err(_) => {
            let dir = std::fs::metadata(parent_dir(path)).ok()?;
            Some(Identity::New(dir.dev(), dir.ino(), path.file_name()?.to_os_string()))
        }
    }
}

/// The folder a file path is in (`.` for a bare name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// How an output is written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// Standard output (`-`).
    Stdout,
    /// A new path or a regular file: staged beside `at` and renamed onto it. `at` is the path
    /// with symlinks resolved, so a link is written through and stays a link.
    Replace { at: PathBuf },
    /// A FIFO, device or socket: opened and written in place.
    Special,
}

/// One checked output: the option that named it, the path as given, and how it is written.
#[derive(Debug, Clone)]
pub struct Target {
    option: String,
    path: PathBuf,
    kind: Kind,
}

impl Target {
    pub fn is_stdout(&self) -> bool {
        self.kind == Kind::Stdout
    }

    fn name(&self) -> String {
        format!("{} {}", self.option, self.path.display())
    }
}

/// The files a run reads and writes, checked against each other before any work.
#[derive(Default)]
pub struct Plan {
    inputs: Vec<(String, PathBuf, Identity)>,
    outputs: Vec<(String, PathBuf, Identity)>,
}

impl Plan {
    /// Records a file the run reads (`-`, stdin, is no file).
    pub fn input(&mut self, option: &str, path: &Path) {
        if path.as_os_str() != "-"
            && let Some(id) = identity(path)
        {
            self.inputs.push((option.to_string(), path.to_path_buf(), id));
        }
    }

    /// Checks an output path now, before any work: `-` (stdout, when `allow_stdout`), a file in a
    /// writable folder, a symlink to such a file, or a special file. It must not be an input or
    /// another output.
    pub fn output(&mut self, option: &str, path: &Path, allow_stdout: bool) -> Result<Target> {
        let shown = path.display();
        if path.as_os_str() == "-" {
            if !allow_stdout {
                bail!("{option} -: this option writes a file; '-' (stdout) is not accepted here");
            }
            return Ok(Target { option: option.into(), path: path.into(), kind: Kind::Stdout });
        }
        let kind = match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let dir = parent_dir(path);
                if !dir.is_dir() {
                    bail!("{option} {shown}: the folder {} does not exist", dir.display());
                }
                Kind::Replace { at: path.to_path_buf() }
            }
            Err(e) => bail!("{option} {shown}: {e}"),
            Ok(link) => {
                let meta = match std::fs::metadata(path) {
                    Ok(m) => m,
                    Err(_) if link.file_type().is_symlink() => bail!(
                        "{option} {shown}: is a symbolic link to a file that does not exist; \
                         give the link's target instead"
                    ),
                    Err(e) => bail!("{option} {shown}: {e}"),
                };
                let t = meta.file_type();
                if t.is_dir() {
                    bail!("{option} {shown}: is a folder, not a file");
                } else if t.is_file() {
                    // Through any links to the file itself: the link is kept, the file replaced.
                    let at = std::fs::canonicalize(path).with_context(|| format!("{option} {shown}"))?;
                    Kind::Replace { at }
                } else if t.is_fifo() || t.is_char_device() || t.is_block_device() || t.is_socket() {
                    Kind::Special
                } else {
                    bail!("{option} {shown}: is neither a file nor a device; refusing to write to it");
                }
            }
        };
        if let Kind::Replace { at } = &kind {
            let dir = parent_dir(at);
            Temp::new(dir)
                .map_err(|e| anyhow!("{option} {shown}: cannot write in the folder {}: {e}", dir.display()))?;
        }
        if let Some(id) = identity(path) {
            if let Some((other, p, _)) = self.inputs.iter().find(|(_, _, i)| *i == id) {
                bail!(
                    "{option} {shown}: is the same file as {other} {}; an output may not replace an input",
                    p.display()
                );
            }
            if let Some((other, p, _)) = self.outputs.iter().find(|(_, _, i)| *i == id) {
                bail!("{option} {shown}: is the same file as {other} {}", p.display());
            }
            // Writing the same device twice (two outputs to /dev/null) harms nothing.
            if kind != Kind::Special {
                self.outputs.push((option.to_string(), path.to_path_buf(), id));
            }
        }
        Ok(Target { option: option.into(), path: path.into(), kind })
    }
}

/// A temporary file registered for removal on a signal; removed on drop unless persisted.
pub struct Temp {
    file: Option<tempfile::NamedTempFile>,
    path: PathBuf,
}

impl Temp {
    /// A temporary file in `dir`, created with mode 0666 less the umask, as any new file (not
    /// tempfile's private 0600), since it becomes the user's file when renamed.
    fn new(dir: &Path) -> std::io::Result<Temp> {
        use std::os::unix::fs::PermissionsExt;
        // Made under the registry's lock: a signal between the file's creation and its
        // registration would otherwise leave it behind.
        let mut made = made();
        let file = tempfile::Builder::new()
            .prefix(".gradlens-")
            .permissions(std::fs::Permissions::from_mode(0o666))
            .tempfile_in(dir)?;
        let path = file.path().to_path_buf();
        made.temps.push(path.clone());
        Ok(Temp { file: Some(file), path })
    }

    fn file(&mut self) -> &mut std::fs::File {
        self.file.as_mut().expect("not yet persisted").as_file_mut()
    }

    fn persist(mut self, to: &Path) -> std::io::Result<()> {
        let file = self.file.take().expect("persisted once");
        let result = file.persist(to).map(|_| ()).map_err(|e| {
            let _ = e.file.close();
            e.error
        });
        deregister(&self.path);
        result
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            let _ = file.close();
        }
        deregister(&self.path);
    }
}

fn deregister(path: &Path) {
    made().temps.retain(|p| p != path);
}

/// A file written bit by bit during the run (a trace): a registered temporary file for a regular
/// target, the file itself for a special one, stdout for `-`. It takes its place at [`commit`].
pub struct Stream {
    target: Target,
    sink: Sink,
}

enum Sink {
    Temp(std::io::BufWriter<TempWriter>),
    Direct(std::io::BufWriter<Box<dyn Write>>),
}

/// The write half of a [`Temp`], so a `BufWriter` can own it and give it back.
pub struct TempWriter(Temp);

impl Write for TempWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.file().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.file().flush()
    }
}

impl Stream {
    pub fn open(target: &Target) -> Result<Stream> {
        let sink = match &target.kind {
            Kind::Replace { at } => {
                let dir = parent_dir(at);
                let temp =
                    Temp::new(dir).with_context(|| format!("{}: cannot write in {}", target.name(), dir.display()))?;
                Sink::Temp(std::io::BufWriter::with_capacity(1 << 16, TempWriter(temp)))
            }
            Kind::Special => Sink::Direct(std::io::BufWriter::new(Box::new(open_special(target)?))),
            Kind::Stdout => Sink::Direct(std::io::BufWriter::new(Box::new(std::io::stdout()))),
        };
        Ok(Stream { target: target.clone(), sink })
    }

    pub fn name(&self) -> String {
        self.target.name()
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.sink {
            Sink::Temp(w) => w.write(buf),
            Sink::Direct(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.sink {
            Sink::Temp(w) => w.flush(),
            Sink::Direct(w) => w.flush(),
        }
    }
}

/// How long to wait for a reader on a FIFO output before giving up.
const FIFO_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Opens a device or FIFO for writing, in place. Opening a FIFO blocks until a reader comes, so
/// it is opened on a helper thread and given up on after [`FIFO_WAIT`].
fn open_special(target: &Target) -> Result<std::fs::File> {
    let open = |path: &Path| std::fs::OpenOptions::new().write(true).open(path);
    let is_fifo = std::fs::metadata(&target.path).is_ok_and(|m| m.file_type().is_fifo());
    if !is_fifo {
        return open(&target.path).with_context(|| target.name());
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let path = target.path.clone();
    std::thread::spawn(move || {
        let _ = tx.send(open(&path));
    });
    rx.recv_timeout(FIFO_WAIT)
        .map_err(|_| {
            anyhow!("{}: a FIFO that no process opened for reading within {} s", target.name(), FIFO_WAIT.as_secs())
        })?
        .with_context(|| target.name())
}

/// What a run writes at its end: whole contents, or a finished [`Stream`].
pub enum Content {
    Bytes(Vec<u8>),
    Stream(Stream),
}

/// Writes every output or none: regular files are staged in temporary files beside their
/// targets, then special files and stdout are written (nothing they had can be lost, and a
/// failure there, such as `/dev/full`, stops the run before any rename), and only then are the
/// staged files renamed into place.
pub fn commit(outputs: Vec<(&Target, Content)>) -> Result<()> {
    commit_then(outputs, || Ok(()))
}

/// [`commit`], then `finish` (such as removing files the new ones replace), in the same section
/// as the renames: a signal waits until both are done.
pub fn commit_then(outputs: Vec<(&Target, Content)>, finish: impl FnOnce() -> Result<()>) -> Result<()> {
    let mut staged: Vec<(Temp, PathBuf, String)> = Vec::new();
    let mut direct: Vec<(&Target, Vec<u8>)> = Vec::new();
    for (target, content) in outputs {
        match content {
            Content::Stream(stream) => match stream.sink {
                Sink::Temp(w) => {
                    let mut temp = w.into_inner().map_err(|e| anyhow!("{}: {}", target.name(), e.error()))?.0;
                    temp.file().sync_data().ok();
                    let Kind::Replace { at } = &target.kind else { unreachable!("a temp sink replaces a file") };
                    staged.push((temp, at.clone(), target.name()));
                }
                Sink::Direct(mut w) => w.flush().with_context(|| target.name())?,
            },
            Content::Bytes(bytes) => match &target.kind {
                Kind::Replace { at } => {
                    let dir = parent_dir(at);
                    let mut temp = Temp::new(dir)
                        .with_context(|| format!("{}: cannot write in {}", target.name(), dir.display()))?;
                    temp.file().write_all(&bytes).with_context(|| format!("{}: writing failed", target.name()))?;
                    staged.push((temp, at.clone(), target.name()));
                }
                Kind::Special | Kind::Stdout => direct.push((target, bytes)),
            },
        }
    }
    for (target, bytes) in direct {
        if target.kind == Kind::Stdout {
            print(&bytes)?;
        } else {
            let mut f = open_special(target)?;
            f.write_all(&bytes)
                .and_then(|()| f.flush())
                .with_context(|| format!("{}: writing failed", target.name()))?;
        }
    }
    let _renaming = RENAMING.lock().unwrap_or_else(|e| e.into_inner());
    for (temp, at, name) in staged {
        temp.persist(&at).with_context(|| name)?;
    }
    finish()
}

/// Whether `name` is a file `train --save-npy` writes: `layer<N>_weights.npy` or `layer<N>_bias.npy`.
pub fn is_layer_npy(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("layer") else { return false };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(&rest[digits..], "_weights.npy" | "_bias.npy")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_npy_names() {
        assert!(is_layer_npy("layer0_weights.npy") && is_layer_npy("layer12_bias.npy"));
        assert!(!is_layer_npy("layer_bias.npy") && !is_layer_npy("layer0_weights.npy.bak"));
        assert!(!is_layer_npy("notes.txt") && !is_layer_npy("layerx_bias.npy"));
    }
}
