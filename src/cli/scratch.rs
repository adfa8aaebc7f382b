//! The hidden scratch directory an export from PostgreSQL fills beside its output
//! (`.wangge-export-<pid>-<random>`): removed when the export ends, when it is interrupted
//! (Ctrl-C, SIGTERM, SIGHUP unless ignored, as under `nohup`: the handler removes the scratch
//! GeoPackage's files and the directory, then the process ends as the signal ends it), and,
//! when a process died without removing its own (`kill -9`, a power cut), by the next export
//! into the same directory, which removes every scratch directory whose process is gone.

use std::ffi::CString;
use std::path::Path;
use std::sync::atomic::{AtomicPtr, Ordering};

/// The start of a scratch directory's name.
const PREFIX: &str = ".wangge-export-";

/// The files SQLite may keep beside a GeoPackage named `FILE` in the scratch directory.
pub const FILE: &str = "w.gpkg";
const SIDE_FILES: [&str; 4] = ["w.gpkg", "w.gpkg-journal", "w.gpkg-wal", "w.gpkg-shm"];

/// What the signal handler removes: the side files' paths, then the directory's (C strings
/// made before the handler can run; null when no scratch directory is live).
static LIVE: AtomicPtr<Vec<CString>> = AtomicPtr::new(std::ptr::null_mut());

/// A scratch directory, removed on drop and on an interrupting signal.
pub struct Scratch {
    /// Taken on drop: the directory goes before the handler is disarmed.
    dir: Option<tempfile::TempDir>,
    /// This directory's list in [`LIVE`].
    paths: *mut Vec<CString>,
}

impl Scratch {
    /// Removes the scratch directories in `parent` whose process is gone, then makes a new
    /// one there and arms the signal handler for it.
    pub fn new(parent: &Path) -> std::io::Result<Self> {
        sweep(parent);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{}-", std::process::id()))
            .tempdir_in(parent)?;
        let mut paths: Vec<CString> = SIDE_FILES
            .iter()
            .filter_map(|f| c_path(&dir.path().join(f)))
            .collect();
        paths.extend(c_path(dir.path()));
        // Leaked on purpose: a handler may read it at any moment; one small list an export.
        let paths = Box::into_raw(Box::new(paths));
        if LIVE.swap(paths, Ordering::SeqCst).is_null() {
            arm();
        }
        Ok(Scratch {
            dir: Some(dir),
            paths,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new(""), |d| d.path())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // The directory first (a signal meanwhile removes what is left), then the handler
        // disarmed: a signal from now on ends the process as it would have.
        if let Some(d) = self.dir.take() {
            let _ = d.close();
        }
        let _ = LIVE.compare_exchange(
            self.paths,
            std::ptr::null_mut(),
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
    }
}

fn c_path(p: &Path) -> Option<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes()).ok()
}

/// Removes the scratch directories in `parent` whose process no longer runs.
fn sweep(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if pid > 0 && !running(pid) && e.file_type().is_ok_and(|t| t.is_dir()) {
            // Best effort: one that cannot be removed now is tried again next time.
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Whether a process `pid` exists (signal 0: checked, nothing sent).
#[allow(unsafe_code)]
fn running(pid: i32) -> bool {
    // SAFETY: kill with signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Installs [`on_signal`] for SIGINT, SIGTERM and SIGHUP, each blocking the three while it
/// runs; a signal set to be ignored (SIGHUP under `nohup`) stays ignored.
#[allow(unsafe_code)]
fn arm() {
    const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];
    for sig in SIGNALS {
        // SAFETY: sigaction with zeroed structs filled here; the handler only calls
        // async-signal-safe functions (unlink, rmdir, signal, raise) on C strings made
        // before it was installed.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) != 0
                || old.sa_sigaction == libc::SIG_IGN
            {
                continue;
            }
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut act.sa_mask);
            for s in SIGNALS {
                libc::sigaddset(&mut act.sa_mask, s);
            }
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }
}

/// Removes the live scratch directory's files and the directory, then ends the process as
/// the signal would have.
#[allow(unsafe_code)]
extern "C" fn on_signal(sig: libc::c_int) {
    let live = LIVE.swap(std::ptr::null_mut(), Ordering::SeqCst);
    // SAFETY: `live` is null or a leaked list never freed; unlink, rmdir, signal and raise
    // are async-signal-safe.
    unsafe {
        if let Some(paths) = live.as_ref()
            && let Some((dir, files)) = paths.split_last()
        {
            for f in files {
                libc::unlink(f.as_ptr());
            }
            libc::rmdir(dir.as_ptr());
        }
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_process_scratch_is_swept_and_a_live_one_kept() {
        let parent = tempfile::tempdir().expect("tmp");
        let mut child = std::process::Command::new("true").spawn().expect("true");
        let dead = child.id();
        child.wait().expect("wait");
        let gone = parent.path().join(format!("{PREFIX}{dead}-abc"));
        std::fs::create_dir(&gone).expect("dir");
        std::fs::write(gone.join(FILE), b"x").expect("file");
        let other = parent.path().join(".wangge-exported");
        std::fs::create_dir(&other).expect("dir");
        let s = Scratch::new(parent.path()).expect("scratch");
        assert!(!gone.exists(), "the dead process's scratch stays");
        assert!(
            other.exists(),
            "a directory not named as scratch was removed"
        );
        assert!(s.path().exists());
        // A live process's scratch (this one's) is kept by another export's sweep.
        let s2 = Scratch::new(parent.path()).expect("scratch");
        assert!(s.path().exists());
        let p = s.path().to_path_buf();
        drop(s);
        drop(s2);
        assert!(!p.exists());
    }
}
