//! Sentence embeddings with all-MiniLM-L6-v2, for the semantic agreement mode.
//!
//! Exactly what sentence-transformers does for this model: WordPiece tokens truncated at
//! 256, the BERT encoder, mean pooling over real (unpadded) tokens, then L2 normalisation, so
//! the dot product of two embeddings is their cosine. A batch is padded to its longest text.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

use crate::catalog::MINILM;
use crate::error::BuiltinError;
use crate::store::require;

/// Why embedding failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedError(pub String);

impl std::fmt::Display for EmbedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "embedding failed: {}", self.0)
    }
}

impl std::error::Error for EmbedError {}

/// Maps texts to unit vectors whose dot product measures similarity of meaning.
///
/// Dependency-free on purpose: it is meant to move into `byzvote-core`, whose semantic mode
/// needs only this.
pub trait Embedder: Send + Sync {
    /// One L2-normalised vector per text, in order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
}

/// Cosine similarity of two vectors (their dot product when both are unit vectors).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// Longest input in tokens, as sentence-transformers configures this model.
const MAX_TOKENS: usize = 256;

/// all-MiniLM-L6-v2 on the CPU.
pub struct MiniLm {
    model: BertModel,
    tokenizer: Tokenizer,
}

impl MiniLm {
    /// Load from the models directory (the files `byzvote models fetch` installs).
    pub fn load(dir: &Path) -> Result<Self, BuiltinError> {
        let name = MINILM.name;
        let [weights, tok, config] = MINILM.artifacts else {
            return Err(BuiltinError::Model {
                model: name.into(),
                message: "catalog entry is malformed".into(),
            });
        };
        let weights = require(dir, name, weights.file, weights.size)?;
        let tok_path = require(dir, name, tok.file, tok.size)?;
        let config_path = require(dir, name, config.file, config.size)?;
        let config_text = std::fs::read_to_string(&config_path)
            .map_err(BuiltinError::io("cannot read", &config_path))?;
        let config: Config =
            serde_json::from_str(&config_text).map_err(|e| BuiltinError::Model {
                model: name.into(),
                message: e.to_string(),
            })?;
        let bytes = std::fs::read(&weights).map_err(BuiltinError::io("cannot read", &weights))?;
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu)
            .map_err(BuiltinError::model(name))?;
        let model = BertModel::load(vb, &config).map_err(BuiltinError::model(name))?;
        let terr = |e: tokenizers::Error| BuiltinError::Tokenizer {
            model: name.into(),
            message: e.to_string(),
        };
        let mut tokenizer = Tokenizer::from_file(&tok_path).map_err(terr)?;
        tokenizer.with_padding(Some(PaddingParams {
            pad_id: 0,
            pad_token: "[PAD]".into(),
            ..Default::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(terr)?;
        Ok(Self { model, tokenizer })
    }

    fn embed_batch(&self, texts: &[&str]) -> candle_core::Result<Vec<Vec<f32>>> {
        let enc = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(candle_core::Error::wrap)?;
        let dev = &Device::Cpu;
        let rows = |f: &dyn Fn(&tokenizers::Encoding) -> Vec<u32>| -> candle_core::Result<Tensor> {
            let rows: Vec<Tensor> = enc
                .iter()
                .map(|e| Tensor::new(f(e), dev))
                .collect::<Result<_, _>>()?;
            Tensor::stack(&rows, 0)
        };
        let ids = rows(&|e| e.get_ids().to_vec())?;
        let types = rows(&|e| e.get_type_ids().to_vec())?;
        let mask = rows(&|e| e.get_attention_mask().to_vec())?;
        let hidden = self.model.forward(&ids, &types, Some(&mask))?; // (batch, tokens, 384)
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean
            .sqr()?
            .sum_keepdim(1)?
            .sqrt()?
            .clamp(1e-12f32, f32::MAX)?;
        mean.broadcast_div(&norm)?.to_vec2::<f32>()
    }
}

impl Embedder for MiniLm {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        self.embed_batch(texts)
            .map_err(|e| EmbedError(e.to_string()))
    }
}
