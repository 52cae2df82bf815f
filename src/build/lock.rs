//! The build-directory lock: one pbuild at a time per target directory. A second one waits (and
//! says so, naming the holder's pid, which the holder writes into the lock file) or, with
//! `--no-wait`, fails at once.

use std::path::Path;

use crate::error::{Error, Result};

/// Take the lock of `state_dir`, waiting while another pbuild holds it unless `no_wait`. The
/// lock is held as long as the returned file is open.
pub fn lock_state(
    state_dir: &Path,
    no_wait: bool,
    say: &mut dyn FnMut(&str),
) -> Result<std::fs::File> {
    use std::io::{Seek, Write};
    std::fs::create_dir_all(state_dir).map_err(|e| Error::io(state_dir, e))?;
    let path = state_dir.join("lock");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok())
                .map(|pid| format!(" (pid {pid})"))
                .unwrap_or_default();
            if no_wait {
                return Err(Error::Busy {
                    dir: state_dir.to_path_buf(),
                    holder,
                });
            }
            say(&format!(
                "waiting for another pbuild{holder} using {} to finish…",
                state_dir.display()
            ));
            file.lock().map_err(|e| Error::io(&path, e))?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
    }
    let _ = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| write!(file, "{}", std::process::id()));
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_fails_with_no_wait_and_names_the_first() {
        let d = tempfile::tempdir().unwrap();
        let mut quiet = |_: &str| {};
        let first = lock_state(d.path(), true, &mut quiet).unwrap();
        let e = lock_state(d.path(), true, &mut quiet).unwrap_err();
        assert!(
            matches!(&e, Error::Busy { holder, .. } if *holder == format!(" (pid {})", std::process::id())),
            "{e:?}"
        );
        drop(first);
        lock_state(d.path(), true, &mut quiet).unwrap();
    }
}
