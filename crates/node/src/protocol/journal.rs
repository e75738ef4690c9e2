//! An append-only file of JSON lines, synced before `append` returns.
//!
//! Persist before you speak: every record that a message depends on is appended (and
//! fsynced) before the message is sent. A crash can leave a torn last line; `open` drops
//! it, since its append never returned. With no path the journal lives in memory (for
//! simulations).

use serde::{Serialize, de::DeserializeOwned};
use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("journal {path} line {line}: {reason}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

pub struct Journal {
    file: Option<(PathBuf, File)>,
    /// Lines staged by [`Journal::stage`], written and synced together by [`Journal::flush`].
    staged: Vec<u8>,
}

impl Journal {
    /// An in-memory journal.
    pub fn memory() -> Self {
        Self {
            file: None,
            staged: Vec::new(),
        }
    }

    /// Opens (creating) the journal at `path` and returns it with its records.
    pub fn open<T: DeserializeOwned>(path: &Path) -> Result<(Self, Vec<T>), JournalError> {
        let mut records = Vec::new();
        let journal = Self::open_each(path, |record| {
            records.push(record);
            Ok::<(), JournalError>(())
        })?;
        Ok((journal, records))
    }

    /// Opens (creating) the journal at `path`, handing its records to `each` in order, one
    /// line in memory at a time (a node's log holds every decision it ever made). A torn
    /// tail — a last flush a crash cut short, none of whose records was acknowledged — is
    /// dropped: a last line without its newline, or bad lines after which nothing parses. A
    /// bad line followed by a good one is corruption. An error from `each` stops the reading.
    pub fn open_each<T, E>(path: &Path, mut each: impl FnMut(T) -> Result<(), E>) -> Result<Self, E>
    where
        T: DeserializeOwned,
        E: From<JournalError>,
    {
        let io = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let good_len = if path.exists() {
            read_each(path, &mut each)?
        } else {
            0
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(io)?;
        let actual = file.metadata().map_err(io)?.len();
        if actual != good_len {
            file.set_len(good_len.min(actual)).map_err(io)?;
        }
        Ok(Self {
            file: Some((path.to_path_buf(), file)),
            staged: Vec::new(),
        })
    }

    /// Replaces the journal's records with `records` (fewer: what is still needed), atomically:
    /// written to a temporary file, synced, renamed over the journal, the directory synced.
    /// A crash leaves either the old file or the new one.
    pub fn rewrite<'a, T: Serialize + 'a>(
        &mut self,
        records: impl IntoIterator<Item = &'a T>,
    ) -> Result<(), JournalError> {
        self.flush()?;
        let Some((path, _)) = &self.file else {
            return Ok(());
        };
        let path = path.clone();
        let io = |source| JournalError::Io {
            path: path.clone(),
            source,
        };
        let mut lines = Vec::new();
        for record in records {
            serde_json::to_writer(&mut lines, record).map_err(|e| JournalError::Corrupt {
                path: path.clone(),
                line: 0,
                reason: e.to_string(),
            })?;
            lines.push(b'\n');
        }
        let tmp = path.with_extension("rewrite");
        let mut file = File::create(&tmp).map_err(io)?;
        file.write_all(&lines).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        if let Some(dir) = path.parent() {
            File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        let file = OpenOptions::new()
            .append(true)
            .read(true)
            .open(&path)
            .map_err(io)?;
        self.file = Some((path, file));
        Ok(())
    }

    /// Appends one record and syncs it to disk (with any staged before it).
    pub fn append<T: Serialize>(&mut self, record: &T) -> Result<(), JournalError> {
        self.stage(record)?;
        self.flush()
    }

    /// Stages one record in memory: it reaches the file at the next [`Journal::flush`], so
    /// many records cost one write and one sync (group commit). Nothing that depends on a
    /// staged record may be said before that flush returns.
    pub fn stage<T: Serialize>(&mut self, record: &T) -> Result<(), JournalError> {
        let Some((path, _)) = &self.file else {
            return Ok(());
        };
        let line = serde_json::to_vec(record).map_err(|e| JournalError::Corrupt {
            path: path.clone(),
            line: 0,
            reason: e.to_string(),
        })?;
        self.staged.extend_from_slice(&line);
        self.staged.push(b'\n');
        Ok(())
    }

    /// Whether records are staged but not yet on disk.
    pub fn has_staged(&self) -> bool {
        !self.staged.is_empty()
    }

    /// Writes the staged records in one write and syncs them. A crash during it can tear only
    /// the last line, which `open` drops (none of these records was acknowledged yet).
    pub fn flush(&mut self) -> Result<(), JournalError> {
        let Some((path, file)) = &mut self.file else {
            return Ok(());
        };
        if self.staged.is_empty() {
            return Ok(());
        }
        let io = |source| JournalError::Io {
            path: path.clone(),
            source,
        };
        file.write_all(&self.staged).map_err(io)?;
        self.staged.clear();
        file.sync_data().map_err(io)
    }
}

/// Reads the journal at `path` without modifying it, handing its records to `each` in order,
/// one line in memory at a time, and returns the length of what it read (a torn tail left
/// out; see [`Journal::open_each`]).
pub fn read_each<T, E>(path: &Path, mut each: impl FnMut(T) -> Result<(), E>) -> Result<u64, E>
where
    T: DeserializeOwned,
    E: From<JournalError>,
{
    let io = |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = BufReader::new(File::open(path).map_err(io)?);
    let mut good_len = 0u64;
    let mut line = Vec::new();
    let mut bad: Option<(usize, String)> = None;
    for number in 1.. {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io)? == 0 {
            break;
        }
        let Some(body) = line.strip_suffix(b"\n") else {
            break; // the last line, torn before its newline
        };
        match (serde_json::from_slice::<T>(body), &bad) {
            (Ok(record), None) => {
                each(record)?;
                good_len += line.len() as u64;
            }
            (Ok(_), Some((at, reason))) => {
                return Err(JournalError::Corrupt {
                    path: path.to_path_buf(),
                    line: *at,
                    reason: reason.clone(),
                }
                .into());
            }
            (Err(e), None) => bad = Some((number, e.to_string())),
            (Err(_), Some(_)) => {}
        }
    }
    Ok(good_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh journal path in its own directory (removed by the test).
    fn scratch(name: &str) -> (PathBuf, PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("byzvote-journal-{name}-{}", std::process::id()));
        let path = dir.join("j.jsonl");
        let _ = std::fs::remove_dir_all(&dir);
        (dir, path)
    }

    #[test]
    fn torn_last_line_is_dropped() {
        let (dir, path) = scratch("t");
        let (mut j, recs) = Journal::open::<u32>(&path).unwrap();
        assert!(recs.is_empty());
        j.append(&1u32).unwrap();
        j.append(&2u32).unwrap();
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"torn").unwrap();
        drop(f);
        let (mut j, recs) = Journal::open::<u32>(&path).unwrap();
        assert_eq!(recs, vec![1, 2]);
        j.append(&3u32).unwrap();
        let (_, recs) = Journal::open::<u32>(&path).unwrap();
        assert_eq!(recs, vec![1, 2, 3]);
        // Torn just before its newline: it parses, but its flush never returned.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"4").unwrap();
        drop(f);
        let (mut j, recs) = Journal::open::<u32>(&path).unwrap();
        assert_eq!(recs, vec![1, 2, 3]);
        j.append(&5u32).unwrap();
        let (_, recs) = Journal::open::<u32>(&path).unwrap();
        assert_eq!(recs, vec![1, 2, 3, 5]);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_rewritten_journal_holds_only_what_was_kept_and_appends_after_it() {
        let (dir, path) = scratch("r");
        let (mut j, _) = Journal::open::<u32>(&path).unwrap();
        for i in 1..=5u32 {
            j.append(&i).unwrap();
        }
        let mut odd = Vec::new();
        let mut j = Journal::open_each(&path, |i: u32| {
            if i % 2 == 1 {
                odd.push(i);
            }
            Ok::<(), JournalError>(())
        })
        .unwrap();
        j.rewrite(&odd).unwrap();
        j.append(&7u32).unwrap();
        assert_eq!(Journal::open::<u32>(&path).unwrap().1, vec![1, 3, 5, 7]);
        assert!(!path.with_extension("rewrite").exists());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn staged_records_reach_disk_at_flush_and_a_torn_tail_is_dropped() {
        let (dir, path) = scratch("g");
        let (mut j, _) = Journal::open::<u32>(&path).unwrap();
        j.stage(&1u32).unwrap();
        j.stage(&2u32).unwrap();
        assert!(j.has_staged());
        assert!(
            Journal::open::<u32>(&path).unwrap().1.is_empty(),
            "not written before flush"
        );
        j.flush().unwrap();
        assert!(!j.has_staged());
        drop(j);
        // A crash during a group flush: two torn lines at the end.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"to\n\0\0\0").unwrap();
        drop(f);
        let (_, recs) = Journal::open::<u32>(&path).unwrap();
        assert_eq!(recs, vec![1, 2]);
        // A bad line followed by a good one is corruption, not a torn tail.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"x\n3\n").unwrap();
        drop(f);
        assert!(Journal::open::<u32>(&path).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
