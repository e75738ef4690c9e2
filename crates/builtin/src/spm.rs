//! A minimal SentencePiece (BPE flavour) encoder built from GGUF metadata, for Gemma.
//!
//! candle builds Hugging Face tokenizers only for GPT-2-style byte-level vocabularies. Gemma's
//! vocabulary is SentencePiece: spaces become `▁`, pieces are merged greedily by the highest
//! score among adjacent pairs (leftmost on ties), and characters outside the vocabulary fall
//! back to `<0xNN>` byte tokens. This is the algorithm llama.cpp's `llm_tokenizer_spm` runs.

use std::collections::HashMap;

use candle_core::quantized::gguf_file;

const SPACE: char = '\u{2581}';
/// `tokenizer.ggml.token_type` values (llama.cpp `llama_token_type`).
const NORMAL: i32 = 1;
const CONTROL: i32 = 3;
const USER_DEFINED: i32 = 4;
const BYTE: i32 = 6;

/// A SentencePiece vocabulary.
#[derive(Debug, Clone)]
pub struct Spm {
    pieces: Vec<String>,
    types: Vec<i32>,
    /// Mergeable pieces (normal and user-defined) with their scores.
    lookup: HashMap<String, (u32, f32)>,
    byte_tokens: [Option<u32>; 256],
    add_space_prefix: bool,
}

impl Spm {
    /// Build from `tokenizer.ggml.{tokens,scores,token_type}`.
    pub fn from_gguf(ct: &gguf_file::Content) -> Result<Self, String> {
        let get = |k: &str| {
            ct.metadata
                .get(k)
                .ok_or_else(|| format!("missing GGUF key {k}"))
        };
        let err = |e: candle_core::Error| e.to_string();
        let pieces: Vec<String> = get("tokenizer.ggml.tokens")?
            .to_vec()
            .map_err(err)?
            .iter()
            .map(|v| v.to_string().cloned().map_err(err))
            .collect::<Result<_, _>>()?;
        let scores: Vec<f32> = match ct.metadata.get("tokenizer.ggml.scores") {
            Some(v) => v
                .to_vec()
                .map_err(err)?
                .iter()
                .map(|s| s.to_f32().map_err(err))
                .collect::<Result<_, _>>()?,
            None => vec![0.0; pieces.len()],
        };
        let types: Vec<i32> = match ct.metadata.get("tokenizer.ggml.token_type") {
            Some(v) => v
                .to_vec()
                .map_err(err)?
                .iter()
                .map(|s| s.to_i32().map_err(err))
                .collect::<Result<_, _>>()?,
            None => vec![NORMAL; pieces.len()],
        };
        if scores.len() != pieces.len() || types.len() != pieces.len() {
            return Err("tokens, scores and token types differ in length".into());
        }
        let add_space_prefix = ct
            .metadata
            .get("tokenizer.ggml.add_space_prefix")
            .and_then(|v| v.to_bool().ok())
            .unwrap_or(false);
        let mut lookup = HashMap::with_capacity(pieces.len());
        let mut byte_tokens = [None; 256];
        for (id, piece) in pieces.iter().enumerate() {
            let id32 = u32::try_from(id).map_err(|e| e.to_string())?;
            match types[id] {
                NORMAL | USER_DEFINED => {
                    lookup.entry(piece.clone()).or_insert((id32, scores[id]));
                }
                BYTE => {
                    if let Some(b) = parse_byte(piece) {
                        byte_tokens[usize::from(b)] = Some(id32);
                    }
                }
                _ => {}
            }
        }
        Ok(Self {
            pieces,
            types,
            lookup,
            byte_tokens,
            add_space_prefix,
        })
    }

    /// The id of a piece (any type), e.g. `<bos>` or `<end_of_turn>`.
    pub fn token_id(&self, piece: &str) -> Option<u32> {
        self.pieces
            .iter()
            .position(|p| p == piece)
            .and_then(|i| u32::try_from(i).ok())
    }

    /// Encode plain text (special tokens in `text` are not recognised: they stay text).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        if text.is_empty() {
            return Vec::new();
        }
        let mut normalized = String::with_capacity(text.len() + 3);
        if self.add_space_prefix {
            normalized.push(SPACE);
        }
        normalized.extend(text.chars().map(|c| if c == ' ' { SPACE } else { c }));
        let mut symbols: Vec<String> = normalized.chars().map(String::from).collect();
        loop {
            let mut best: Option<(usize, f32)> = None;
            for i in 0..symbols.len().saturating_sub(1) {
                let joined = format!("{}{}", symbols[i], symbols[i + 1]);
                if let Some(&(_, score)) = self.lookup.get(&joined)
                    && best.is_none_or(|(_, s)| score > s)
                {
                    best = Some((i, score));
                }
            }
            let Some((i, _)) = best else { break };
            let right = symbols.remove(i + 1);
            symbols[i].push_str(&right);
        }
        let mut ids = Vec::with_capacity(symbols.len());
        for sym in symbols {
            match self.lookup.get(&sym) {
                Some(&(id, _)) => ids.push(id),
                None => ids.extend(sym.bytes().filter_map(|b| self.byte_tokens[usize::from(b)])),
            }
        }
        ids
    }

    /// Decode ids to text, skipping control tokens such as `<bos>` and `<eos>`.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut bytes = Vec::new();
        for &id in ids {
            let Some(piece) = self.pieces.get(id as usize) else {
                continue;
            };
            match self.types[id as usize] {
                CONTROL => {}
                BYTE => bytes.extend(parse_byte(piece)),
                _ => bytes.extend(piece.replace(SPACE, " ").bytes()),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// `<0x41>` -> 0x41.
fn parse_byte(piece: &str) -> Option<u8> {
    let hex = piece.strip_prefix("<0x")?.strip_suffix('>')?;
    u8::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(pieces: &[(&str, f32, i32)]) -> Spm {
        let mut lookup = HashMap::new();
        let mut byte_tokens = [None; 256];
        for (i, (p, s, t)) in pieces.iter().enumerate() {
            if *t == BYTE {
                byte_tokens[usize::from(parse_byte(p).unwrap())] = Some(i as u32);
            } else if *t == NORMAL {
                lookup.insert(p.to_string(), (i as u32, *s));
            }
        }
        Spm {
            pieces: pieces.iter().map(|p| p.0.to_string()).collect(),
            types: pieces.iter().map(|p| p.2).collect(),
            lookup,
            byte_tokens,
            add_space_prefix: false,
        }
    }

    #[test]
    fn merges_by_highest_score_and_falls_back_to_bytes() {
        let v = vocab(&[
            ("<bos>", 0.0, CONTROL),
            ("a", -1.0, NORMAL),
            ("b", -1.0, NORMAL),
            ("ab", -5.0, NORMAL),
            ("bb", -2.0, NORMAL),
            ("\u{2581}", -1.0, NORMAL),
            ("<0xC3>", 0.0, BYTE),
            ("<0xA9>", 0.0, BYTE),
        ]);
        // "abb": "bb" (-2) beats "ab" (-5), so a + bb.
        assert_eq!(v.encode("abb"), vec![1, 4]);
        // "é" is not in the vocabulary: two byte tokens; the space is ▁.
        assert_eq!(v.encode("a é"), vec![1, 5, 6, 7]);
        assert_eq!(v.decode(&[0, 1, 5, 6, 7]), "a é");
    }

    /// Round trip on Gemma's real vocabulary, when the weights are installed.
    #[test]
    fn real_gemma_vocabulary_round_trips_text() {
        let Ok(dir) = crate::store::models_dir(None) else {
            return;
        };
        let path = dir.join(crate::catalog::GEMMA3.weights_file());
        let Ok(mut f) = std::fs::File::open(&path) else {
            eprintln!("SKIPPED: {} is not installed", path.display());
            return;
        };
        let ct = gguf_file::Content::read(&mut f).unwrap();
        let spm = Spm::from_gguf(&ct).unwrap();
        for text in [
            "The capital of France is",
            "Grüße, 世界! 17 is prime.\n\n  x = 3;",
            "🦀 crab",
        ] {
            let ids = spm.encode(text);
            assert_eq!(spm.decode(&ids), text, "{ids:?}");
        }
        // Common words are single pieces, as SentencePiece produces them.
        assert_eq!(spm.encode("The capital of France is").len(), 5);
        assert_eq!(spm.token_id("<bos>"), Some(2));
    }
}
