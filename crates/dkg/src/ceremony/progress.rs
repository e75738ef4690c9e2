//! What a node must not forget during a ceremony, on disk, so that a node restarted mid-round
//! resumes the same round instead of stalling it for everyone.
//!
//! Without it, a restarted node deals a fresh polynomial (its peers hold its first dealing and
//! take the new one, and later its new log, as equivocation) and has lost the shares it
//! acknowledged, which dealers that have published their logs never send again: the round
//! can no longer finish. So, persisted before the node speaks of them:
//!
//! - the **seed** of its dealing (the first record): a restarted dealer deals the same
//!   polynomial, so its peers see retransmissions;
//! - each **dealing** it acknowledged (before the ack is sent: the ack promises the share
//!   is held);
//! - each dealer's **log** it took (its own before gossiping it), and each peer's
//!   **confirmation**: with them, a node that restarts after its peers have moved on still
//!   reaches the agreement they reached.
//!
//! At most one of each per peer, so the file stays small (a few KB at n=4). It holds secrets
//! (the seed determines every share this node deals; the dealings hold the shares dealt to
//! it): it is created `0600`, and the caller removes it once the key is saved.
//!
//! **Format**: frames of `u32` big-endian length ‖ body; body = `0` ‖ seed (32) ‖ round
//! digest (32: namespace, round and participants), or `1` ‖ sender identity (32) ‖ a
//! [`Message`] (its codec, bounded by `n`). A torn last frame
//! (a crash mid-append) is dropped and the file cut back to the last whole one.

use crate::{
    error::CeremonyError,
    types::{Identity, SignedLog},
    wire::{LogSetDigest, Message},
};
use commonware_codec::{Decode as _, DecodeExt as _, Encode as _};
use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    io::Write as _,
    num::NonZeroU32,
    path::{Path, PathBuf},
};

const SEED: u8 = 0;
const HEARD: u8 = 1;

/// What an earlier run of this round left.
#[derive(Default)]
pub(crate) struct Resumed {
    pub(crate) seed: Option<[u8; 32]>,
    /// The round the file is of (see [`Progress::open`]).
    round: Option<[u8; 32]>,
    /// In the order they were taken.
    pub(crate) heard: Vec<(Identity, Message)>,
}

/// Distinct confirmations persisted per peer at most: an honest peer sends one digest (a
/// second one already fails the round); a faulty one must not grow the file for ever.
const CONFIRMS_PER_PEER: usize = 2;

/// The open progress file (or nothing: a ceremony kept in memory only).
pub(crate) struct Progress {
    file: Option<(PathBuf, fs::File)>,
    /// While the records of an earlier run are applied: noted, not written again.
    replaying: bool,
    /// Dealers whose log is persisted (the first one taken: the one the agreement keeps).
    logs: BTreeSet<Identity>,
    /// Peers' confirmations persisted.
    confirms: BTreeMap<Identity, BTreeSet<LogSetDigest>>,
}

fn io(path: &Path, e: std::io::Error) -> CeremonyError {
    CeremonyError::Persist(format!("{}: {e}", path.display()))
}

impl Progress {
    /// A ceremony that persists nothing.
    pub(crate) fn memory() -> Self {
        Self {
            file: None,
            replaying: false,
            logs: BTreeSet::new(),
            confirms: BTreeMap::new(),
        }
    }

    /// Marks the records of an earlier run being applied (`true`) or done (`false`).
    pub(crate) fn replaying(&mut self, replaying: bool) {
        self.replaying = replaying;
    }

    /// Opens (or creates) the file at `path` and reads what it holds for `round` (a digest of
    /// the cluster and round: a file of another, say after `byzvote init` made new keys into
    /// the same data directory, is started afresh).
    pub(crate) fn open(
        path: &Path,
        n: NonZeroU32,
        round: &[u8; 32],
    ) -> Result<(Self, Resumed), CeremonyError> {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(path, e)),
        };
        let (mut resumed, mut good) = parse(&bytes, n);
        if resumed.round.is_some_and(|r| r != *round) {
            tracing::warn!(
                path = %path.display(),
                "DKG progress file of another cluster or round: starting afresh"
            );
            (resumed, good) = (Resumed::default(), 0);
        } else if good < bytes.len() {
            tracing::warn!(
                path = %path.display(),
                dropped = bytes.len() - good,
                "DKG progress: dropped a torn last record"
            );
        }
        let mut options = fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(|e| io(path, e))?;
        if good < bytes.len() {
            file.set_len(good as u64).map_err(|e| io(path, e))?;
        }
        if good == 0
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            // The new file's name must survive a crash too.
            fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io(path, e))?;
        }
        Ok((
            Self {
                file: Some((path.to_path_buf(), file)),
                ..Self::memory()
            },
            resumed,
        ))
    }

    /// Persists the seed of this node's dealing in `round` (the file's first record).
    pub(crate) fn seed(&mut self, seed: &[u8; 32], round: &[u8; 32]) -> Result<(), CeremonyError> {
        let mut body = vec![SEED];
        body.extend_from_slice(seed);
        body.extend_from_slice(round);
        self.append(&body)
    }

    /// Persists a dealing this node's player acknowledges (once per dealer: the caller's
    /// player takes one).
    pub(crate) fn dealing(&mut self, from: &Identity, msg: &Message) -> Result<(), CeremonyError> {
        self.heard(from, msg)
    }

    /// Persists `dealer`'s log (relayed by `from`; this node's own: both are itself), unless
    /// one of that dealer's is already.
    pub(crate) fn log(
        &mut self,
        from: &Identity,
        dealer: &Identity,
        msg: &Message,
    ) -> Result<(), CeremonyError> {
        if !self.logs.insert(dealer.clone()) {
            return Ok(());
        }
        self.heard(from, msg)
    }

    /// Persists a peer's confirmation (a [`Message::Confirm`]) unless already persisted.
    pub(crate) fn confirm(&mut self, from: &Identity, msg: &Message) -> Result<(), CeremonyError> {
        let Message::Confirm { digest, .. } = msg else {
            return Ok(());
        };
        let known = self.confirms.entry(from.clone()).or_default();
        if known.contains(digest) || known.len() >= CONFIRMS_PER_PEER {
            return Ok(());
        }
        known.insert(*digest);
        self.heard(from, msg)
    }

    /// Persists a message taken from `from`.
    fn heard(&mut self, from: &Identity, msg: &Message) -> Result<(), CeremonyError> {
        let mut body = vec![HEARD];
        body.extend_from_slice(&from.encode());
        body.extend_from_slice(&msg.encode());
        self.append(&body)
    }

    fn append(&mut self, body: &[u8]) -> Result<(), CeremonyError> {
        if self.replaying {
            return Ok(());
        }
        let Some((path, file)) = &mut self.file else {
            return Ok(());
        };
        let mut frame = Vec::with_capacity(4 + body.len());
        push_frame(&mut frame, body)?;
        file.write_all(&frame)
            .and_then(|()| file.sync_data())
            .map_err(|e| io(path, e))
    }
}

/// Keeps the agreed logs of a finished round (public: what [`super::answer`] serves a peer
/// that comes back late), atomically: frames of [`Message::Log`].
pub fn save_logs(path: &Path, round: u64, logs: &[SignedLog]) -> Result<(), CeremonyError> {
    let mut bytes = Vec::new();
    for log in logs {
        let msg = Message::Log {
            round,
            log: Box::new(log.clone()),
        };
        push_frame(&mut bytes, &msg.encode())?;
    }
    crate::output::write_atomically(path, &bytes).map_err(|e| io(path, e))
}

/// The logs [`save_logs`] kept, with their round, for a cluster of `n`; `None` if there is no
/// such file. A file that does not read back whole is an error (it was written atomically).
pub fn load_logs(
    path: &Path,
    n: NonZeroU32,
) -> Result<Option<(u64, Vec<SignedLog>)>, CeremonyError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(path, e)),
    };
    let bad = || CeremonyError::Persist(format!("{}: not a DKG log file", path.display()));
    let frames = frames(&bytes);
    if frames.last().map_or(0, |(end, _)| *end) != bytes.len() {
        return Err(bad());
    }
    let (mut round, mut logs) = (None, Vec::new());
    for (_, body) in frames {
        match Message::decode_cfg(bytes::Bytes::copy_from_slice(body), &n) {
            Ok(Message::Log { round: r, log }) if round.is_none_or(|x| x == r) => {
                round = Some(r);
                logs.push(*log);
            }
            _ => return Err(bad()),
        }
    }
    Ok(round.map(|r| (r, logs)))
}

/// Appends one frame (`u32` big-endian length ‖ `body`) to `out`.
fn push_frame(out: &mut Vec<u8>, body: &[u8]) -> Result<(), CeremonyError> {
    let len =
        u32::try_from(body.len()).map_err(|_| CeremonyError::Persist("record too large".into()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    Ok(())
}

/// The whole frames at the start of `bytes`: each body with the offset just past it (a torn
/// last frame is left out).
fn frames(bytes: &[u8]) -> Vec<(usize, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(len) = bytes.get(at..at + 4) {
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let Some(body) = bytes.get(at + 4..at + 4 + len) else {
            break;
        };
        at += 4 + len;
        out.push((at, body));
    }
    out
}

/// The records of `bytes`, and the length of the whole frames read.
fn parse(bytes: &[u8], n: NonZeroU32) -> (Resumed, usize) {
    let mut resumed = Resumed::default();
    let mut good = 0;
    for (end, body) in frames(bytes) {
        match body.split_first() {
            Some((&SEED, rest)) if rest.len() == 64 && resumed.seed.is_none() => {
                let (mut seed, mut round) = ([0u8; 32], [0u8; 32]);
                seed.copy_from_slice(&rest[..32]);
                round.copy_from_slice(&rest[32..]);
                resumed.seed = Some(seed);
                resumed.round = Some(round);
            }
            Some((&HEARD, rest)) if rest.len() >= 32 => {
                let (from, msg) = rest.split_at(32);
                let (Ok(from), Ok(msg)) = (
                    Identity::decode(bytes::Bytes::copy_from_slice(from)),
                    Message::decode_cfg(bytes::Bytes::copy_from_slice(msg), &n),
                ) else {
                    break;
                };
                resumed.heard.push((from, msg));
            }
            _ => break,
        }
        good = end;
    }
    (resumed, good)
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::{Signer as _, ed25519};

    #[test]
    fn records_come_back_in_order_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress");
        let n = NonZeroU32::new(4).unwrap();
        let peer = ed25519::PrivateKey::from_seed(1).public_key();
        let confirm = Message::Confirm {
            round: 0,
            digest: [5; 32],
        };
        let round = [3; 32];
        {
            let (mut p, resumed) = Progress::open(&path, n, &round).unwrap();
            assert!(resumed.seed.is_none() && resumed.heard.is_empty());
            p.seed(&[9; 32], &round).unwrap();
            p.heard(&peer, &confirm).unwrap();
        }
        let whole = fs::metadata(&path).unwrap().len();
        // A crash mid-append leaves half a frame.
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(&[0, 0, 0, 40, HEARD, 1, 2])
            .unwrap();
        let (mut p, resumed) = Progress::open(&path, n, &round).unwrap();
        assert_eq!(resumed.seed, Some([9; 32]));
        assert_eq!(resumed.heard, vec![(peer.clone(), confirm.clone())]);
        assert_eq!(fs::metadata(&path).unwrap().len(), whole);
        // Appending goes on after the last whole record.
        p.heard(&peer, &confirm).unwrap();
        let (_, resumed) = Progress::open(&path, n, &round).unwrap();
        assert_eq!(resumed.heard.len(), 2);
        // Another cluster's or round's file is started afresh.
        let (_, resumed) = Progress::open(&path, n, &[4; 32]).unwrap();
        assert!(resumed.seed.is_none() && resumed.heard.is_empty());
        assert_eq!(fs::metadata(&path).unwrap().len(), 0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn kept_logs_read_back_and_a_damaged_file_is_refused() {
        use crate::{CeremonyConfig, FaultModel};
        use commonware_cryptography::bls12381::dkg::feldman_desmedt::Dealer;
        use commonware_utils::rng::TestRng;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dkg-logs");
        let n = NonZeroU32::new(4).unwrap();
        let keys: Vec<_> = (0..4u64).map(ed25519::PrivateKey::from_seed).collect();
        let mut participants: Vec<Identity> = keys.iter().map(|k| k.public_key()).collect();
        participants.sort();
        let info = CeremonyConfig {
            signer: keys[0].clone(),
            participants,
            namespace: b"ns".to_vec(),
            round: 2,
            timeouts: Default::default(),
            progress: None,
            labels: Default::default(),
        }
        .round_info()
        .unwrap();
        let logs: Vec<SignedLog> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let (dealer, ..) = Dealer::start::<FaultModel>(
                    TestRng::new(i as u64),
                    info.clone(),
                    k.clone(),
                    None,
                )
                .unwrap();
                dealer.finalize::<FaultModel>()
            })
            .collect();
        assert!(load_logs(&path, n).unwrap().is_none());
        save_logs(&path, 2, &logs).unwrap();
        assert_eq!(load_logs(&path, n).unwrap(), Some((2, logs)));
        let mut bytes = fs::read(&path).unwrap();
        bytes.truncate(bytes.len() - 1);
        fs::write(&path, &bytes).unwrap();
        assert!(load_logs(&path, n).is_err());
    }
}
