//! The result of a ceremony on one node, and how it is kept on disk.
//!
//! File format (commonware-codec, canonical): `MAGIC` (8 bytes), format version (u8), round
//! (u64), the library's public `Output` (round summary, public polynomial, dealers, players,
//! revealed players), then my `Share` (index, scalar). The file holds a secret share: it is
//! written atomically with mode 0600 and checked on load (the share must match the public
//! polynomial), so a torn or foreign file is refused rather than used.

use crate::types::{GroupPublicKey, Identity, MAX_PARTICIPANTS, PublicOutput, Share, Sharing};
use bytes::BufMut;
use commonware_codec::{
    Buf, DecodeExt as _, Encode as _, EncodeSize, Error as CodecError, Read, ReadExt as _, Write,
};
use commonware_cryptography::bls12381::primitives::{sharing::ModeVersion, variant::MinPk};
use commonware_utils::NZU32;
use std::{fs, io::Write as _, path::Path};
use thiserror::Error;

const MAGIC: &[u8; 8] = b"BYZVDKG\0";
const VERSION: u8 = 1;

/// Why key material could not be built, read or written.
#[derive(Debug, Error)]
pub enum OutputError {
    /// The share does not belong to the public polynomial: wrong or corrupted file.
    #[error(
        "the key share does not match the group's public polynomial (corrupted or foreign key file?)"
    )]
    ShareMismatch,
    /// Bytes that do not decode (wrong file, wrong version, truncated, or a share that does
    /// not match its polynomial).
    #[error("key file does not decode: {0}")]
    Codec(#[from] CodecError),
    /// File system error.
    #[error("key file I/O at {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// One node's key material from a successful DKG.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DkgOutput {
    round: u64,
    public: PublicOutput,
    share: Share,
}

impl DkgOutput {
    /// Builds and checks consistency (my share must lie on the public polynomial).
    pub fn new(round: u64, public: PublicOutput, share: Share) -> Result<Self, OutputError> {
        let expected = public
            .public()
            .partial_public(share.index)
            .map_err(|_| OutputError::ShareMismatch)?;
        if share.public::<MinPk>() != expected {
            return Err(OutputError::ShareMismatch);
        }
        Ok(Self {
            round,
            public,
            share,
        })
    }

    /// The group public key (48 bytes encoded; hex with [`crate::threshold::key_to_hex`]).
    pub fn group_public_key(&self) -> &GroupPublicKey {
        self.public.public().public()
    }

    /// The public polynomial (verifies partial signatures, recovers signatures).
    pub fn sharing(&self) -> &Sharing {
        self.public.public()
    }

    /// My secret share.
    pub fn share(&self) -> &Share {
        &self.share
    }

    /// All participants (players), sorted; share `i` belongs to `participants()[i]`.
    pub fn participants(&self) -> &[Identity] {
        self.public.players().as_ref()
    }

    /// Dealers whose polynomials make up the key.
    pub fn dealers(&self) -> &[Identity] {
        self.public.dealers().as_ref()
    }

    /// Players whose shares may have been revealed publicly (should be empty).
    pub fn revealed(&self) -> &[Identity] {
        self.public.revealed().as_ref()
    }

    /// Signatures needed to recover a group signature (`2f+1`).
    pub fn threshold(&self) -> u32 {
        self.sharing().required()
    }

    /// The DKG round that produced this key.
    pub fn round(&self) -> u64 {
        self.round
    }

    /// Commonware's public output (for a later reshare).
    pub fn public_output(&self) -> &PublicOutput {
        &self.public
    }

    /// Writes the file atomically (see [`write_atomically`]); mode 0600.
    pub fn save(&self, path: &Path) -> Result<(), OutputError> {
        write_atomically(path, &self.encode()).map_err(|source| OutputError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Reads and checks a file written by [`Self::save`].
    pub fn load(path: &Path) -> Result<Self, OutputError> {
        let bytes = fs::read(path).map_err(|source| OutputError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&bytes)
    }

    /// Decodes (bounded by [`MAX_PARTICIPANTS`]) and checks consistency.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, OutputError> {
        Ok(Self::decode(bytes.to_vec())?)
    }
}

impl Write for DkgOutput {
    fn write(&self, buf: &mut impl BufMut) {
        buf.put_slice(MAGIC);
        VERSION.write(buf);
        self.round.write(buf);
        self.public.write(buf);
        self.share.write(buf);
    }
}

impl EncodeSize for DkgOutput {
    fn encode_size(&self) -> usize {
        MAGIC.len() + 1 + 8 + self.public.encode_size() + self.share.encode_size()
    }
}

impl Read for DkgOutput {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        if <[u8; 8]>::read(buf)? != *MAGIC {
            return Err(CodecError::Invalid(
                "DkgOutput",
                "not a byzvote DKG key file",
            ));
        }
        if u8::read(buf)? != VERSION {
            return Err(CodecError::Invalid(
                "DkgOutput",
                "unsupported format version",
            ));
        }
        let round = u64::read(buf)?;
        let public = PublicOutput::read_cfg(buf, &(NZU32!(MAX_PARTICIPANTS), ModeVersion::v0()))?;
        let share = Share::read(buf)?;
        Self::new(round, public, share).map_err(|_| {
            CodecError::Invalid("DkgOutput", "share does not match the public polynomial")
        })
    }
}

/// Writes `bytes` to `path` so that a crash leaves the old file or the new one: a temporary
/// file (mode 0600), fsync, rename, fsync of the directory.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    #[cfg(unix)]
    {
        // An existing temp file keeps its old mode: force it.
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, path)?;
    if let Some(dir) = dir {
        fs::File::open(dir).and_then(|d| d.sync_all())?;
    }
    Ok(())
}
