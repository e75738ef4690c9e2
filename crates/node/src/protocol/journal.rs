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
}

impl Journal {
    /// An in-memory journal.
    pub fn memory() -> Self {
        Self { file: None }
    }

    /// Opens (creating) the journal at `path` and returns it with its records.
    pub fn open<T: DeserializeOwned>(path: &Path) -> Result<(Self, Vec<T>), JournalError> {
        let io = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut records = Vec::new();
        let mut good_len = 0u64;
        if path.exists() {
            let reader = BufReader::new(File::open(path).map_err(io)?);
            let mut lines = reader.split(b'\n').peekable();
            let mut n = 0;
            while let Some(line) = lines.next() {
                n += 1;
                let line = line.map_err(io)?;
                let last = lines.peek().is_none();
                match serde_json::from_slice::<T>(&line) {
                    Ok(record) => {
                        records.push(record);
                        good_len += line.len() as u64 + 1;
                    }
                    // A torn final line: its append never returned, drop it.
                    Err(_) if last => break,
                    Err(e) => {
                        return Err(JournalError::Corrupt {
                            path: path.to_path_buf(),
                            line: n,
                            reason: e.to_string(),
                        });
                    }
                }
            }
        }
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
        Ok((
            Self {
                file: Some((path.to_path_buf(), file)),
            },
            records,
        ))
    }

    /// Appends one record and syncs it to disk.
    pub fn append<T: Serialize>(&mut self, record: &T) -> Result<(), JournalError> {
        let Some((path, file)) = &mut self.file else {
            return Ok(());
        };
        let io = |source| JournalError::Io {
            path: path.clone(),
            source,
        };
        let mut line = serde_json::to_vec(record).map_err(|e| JournalError::Corrupt {
            path: path.clone(),
            line: 0,
            reason: e.to_string(),
        })?;
        line.push(b'\n');
        file.write_all(&line).map_err(io)?;
        file.sync_data().map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_last_line_is_dropped() {
        let dir = std::env::temp_dir().join(format!("byzvote-journal-{}", std::process::id()));
        let path = dir.join("j.jsonl");
        let _ = std::fs::remove_file(&path);
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
        let _ = std::fs::remove_dir_all(dir);
    }
}
