//! One tokenizer interface over the two vocabularies the built-in generators use.

use candle_core::quantized::gguf_file;
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use tokenizers::Tokenizer;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;

use crate::catalog::Arch;
use crate::spm::Spm;

/// A generator's tokenizer, built from its GGUF metadata.
pub(crate) enum TextTokenizer {
    /// GPT-2-style byte-level BPE (SmolLM2, Qwen).
    Bpe(Box<Tokenizer>),
    /// SentencePiece (Gemma).
    Spm(Box<Spm>),
}

impl TextTokenizer {
    pub(crate) fn from_gguf(ct: &gguf_file::Content, arch: Arch) -> Result<Self, String> {
        match arch {
            Arch::Gemma3 => Spm::from_gguf(ct).map(|s| Self::Spm(Box::new(s))),
            _ => {
                let mut tok = Tokenizer::from_gguf(ct).map_err(|e| e.to_string())?;
                if arch == Arch::Llama {
                    // SmolLM2's tokenizer.json: digits split one by one, then byte-level BPE.
                    // The GGUF `pre` field does not say so and candle's default differs.
                    let seq = Sequence::new(vec![
                        Digits::new(true).into(),
                        ByteLevel::new(false, true, true).into(),
                    ]);
                    tok.with_pre_tokenizer(Some(seq));
                }
                Ok(Self::Bpe(Box::new(tok)))
            }
        }
    }

    /// Encode text; in BPE vocabularies, special tokens written in `text` are recognised.
    pub(crate) fn encode(&self, text: &str) -> Result<Vec<u32>, String> {
        match self {
            Self::Bpe(t) => t
                .encode(text, false)
                .map(|e| e.get_ids().to_vec())
                .map_err(|e| e.to_string()),
            Self::Spm(s) => Ok(s.encode(text)),
        }
    }

    /// Decode, skipping special tokens.
    pub(crate) fn decode(&self, ids: &[u32]) -> Result<String, String> {
        match self {
            Self::Bpe(t) => t.decode(ids, true).map_err(|e| e.to_string()),
            Self::Spm(s) => Ok(s.decode(ids)),
        }
    }

    pub(crate) fn token_id(&self, token: &str) -> Option<u32> {
        match self {
            Self::Bpe(t) => t.token_to_id(token),
            Self::Spm(s) => s.token_id(token),
        }
    }
}
