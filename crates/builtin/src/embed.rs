//! Sentence embeddings with all-MiniLM-L6-v2, for the semantic agreement mode.
//!
//! Exactly what sentence-transformers does for this model: WordPiece tokens truncated at
//! 256, the BERT encoder, mean pooling over the real tokens, then L2 normalisation, so the dot
//! product of two embeddings is their cosine.
//!
//! Two engines compute the same function. [`Engine::Packed`] (the default) concatenates the
//! texts of a batch instead of padding them to the longest ([`crate::packed_bert`]);
//! [`Engine::Padded`] is `candle_transformers`' BERT on a padded batch, kept as the baseline
//! that the benchmark and tests compare against.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Encoding, Tokenizer, TruncationParams};

pub use byzvote_core::semantic::{EmbedError, Embedder, cosine};

use crate::catalog::MINILM;
use crate::error::BuiltinError;
use crate::packed_bert::{PackedBert, Packing};
use crate::store::require;

/// Longest input in tokens, as sentence-transformers configures this model.
const MAX_TOKENS: usize = 256;

/// How the encoder runs a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// Texts concatenated, no padding (faster on mixed lengths).
    #[default]
    Packed,
    /// `candle_transformers`' BERT, texts padded to the longest (the reference).
    Padded,
}

enum Model {
    Packed(PackedBert),
    Padded(BertModel),
}

/// all-MiniLM-L6-v2 on the CPU.
pub struct MiniLm {
    model: Model,
    tokenizer: Tokenizer,
}

impl MiniLm {
    /// Load from the models directory (the files `byzvote models fetch` installs).
    pub fn load(dir: &Path) -> Result<Self, BuiltinError> {
        Self::load_with(dir, Engine::default())
    }

    /// Load with a chosen [`Engine`] (benchmarks and tests compare them).
    pub fn load_with(dir: &Path, engine: Engine) -> Result<Self, BuiltinError> {
        crate::heap::keep_freed_memory();
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
        let model = match engine {
            Engine::Packed => PackedBert::load(vb, &config).map(Model::Packed),
            Engine::Padded => BertModel::load(vb, &config).map(Model::Padded),
        }
        .map_err(BuiltinError::model(name))?;
        let terr = |e: tokenizers::Error| BuiltinError::Tokenizer {
            model: name.into(),
            message: e.to_string(),
        };
        let mut tokenizer = Tokenizer::from_file(&tok_path).map_err(terr)?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(terr)?;
        Ok(Self { model, tokenizer })
    }

    fn embed_batch(&self, texts: &[&str]) -> candle_core::Result<Vec<Vec<f32>>> {
        // One text at a time on this thread: `encode_batch` hands the batch to rayon's pool,
        // which on one thread is a second thread to wake and wait for on every call.
        let enc = texts
            .iter()
            .map(|t| self.tokenizer.encode(*t, true))
            .collect::<Result<Vec<_>, _>>()
            .map_err(candle_core::Error::wrap)?;
        let mean = match &self.model {
            Model::Packed(m) => packed(m, &enc)?,
            Model::Padded(m) => padded(m, &enc)?,
        };
        let norm = mean
            .sqr()?
            .sum_keepdim(1)?
            .sqrt()?
            .clamp(1e-12f32, f32::MAX)?;
        mean.broadcast_div(&norm)?.to_vec2::<f32>()
    }
}

/// Mean-pooled hidden states `(batch, hidden)` from the packed engine.
fn packed(model: &PackedBert, enc: &[Encoding]) -> candle_core::Result<Tensor> {
    let dev = &Device::Cpu;
    let lens: Vec<usize> = enc.iter().map(|e| e.get_ids().len().max(1)).collect();
    let (mut ids, mut types, mut positions) = (Vec::new(), Vec::new(), Vec::new());
    for (e, &len) in enc.iter().zip(&lens) {
        // An empty encoding (impossible with [CLS]/[SEP], but cheap to guard) reads [PAD].
        let row = |v: &[u32]| v.first().map_or(vec![0], |_| v.to_vec());
        ids.extend(row(e.get_ids()));
        types.extend(row(e.get_type_ids()));
        positions.extend(0..len as u32);
    }
    let packing = Packing::new(&lens);
    let hidden = model.forward(
        &Tensor::new(ids, dev)?,
        &Tensor::new(types, dev)?,
        &Tensor::new(positions, dev)?,
        &packing,
    )?;
    PackedBert::mean_pool(&hidden, &packing)
}

/// Mean-pooled hidden states `(batch, hidden)` from candle's BERT on a padded batch.
fn padded(model: &BertModel, enc: &[Encoding]) -> candle_core::Result<Tensor> {
    let dev = &Device::Cpu;
    let longest = enc.iter().map(|e| e.get_ids().len()).max().unwrap_or(0);
    let pad = |v: &[u32], fill: u32| -> Vec<u32> {
        let mut v = v.to_vec();
        v.resize(longest, fill);
        v
    };
    let rows = |f: &dyn Fn(&Encoding) -> Vec<u32>| -> candle_core::Result<Tensor> {
        let rows: Vec<Tensor> = enc
            .iter()
            .map(|e| Tensor::new(f(e), dev))
            .collect::<Result<_, _>>()?;
        Tensor::stack(&rows, 0)
    };
    let ids = rows(&|e| pad(e.get_ids(), 0))?;
    let types = rows(&|e| pad(e.get_type_ids(), 0))?;
    let mask = rows(&|e| pad(e.get_attention_mask(), 0))?;
    let hidden = model.forward(&ids, &types, Some(&mask))?; // (batch, tokens, 384)
    let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
    let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?;
    summed.broadcast_div(&counts)
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
