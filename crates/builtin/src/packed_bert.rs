//! A BERT encoder that packs a batch instead of padding it, for the sentence embedder.
//!
//! `candle_transformers::models::bert` pads every text of a batch to the longest one, so a
//! batch of short answers spends much of its time multiplying padding. Here the token rows of
//! all texts are concatenated (`total_tokens × hidden`) for everything that is per token (the
//! embeddings, the Q/K/V, output and feed-forward projections, the layer norms), which is
//! nearly all of the arithmetic; the attention itself (`L²` per text, small) runs text by text
//! on those rows ([`crate::packed_attention`]), with no padding and no mask. The Q, K and V
//! projections are fused into one matrix product, weights are stored transposed for gemm, and
//! GELU uses a vectorisable erf ([`crate::fast_gelu`]).
//!
//! The arithmetic is the same as candle's BERT (the same operations on the same rows, f32); only
//! the order of some sums differs, so outputs agree to about 1e-6 (the test
//! `minilm_matches_the_numpy_reference` holds both to 1e-5 of an independent float64 reference).

use candle_core::{Result, Tensor};

use crate::fast_gelu::bias_gelu;
use crate::packed_attention::packed_attention;
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{Config, HiddenAct};

struct Norm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl Norm {
    fn load(vb: VarBuilder, size: usize, eps: f64) -> Result<Self> {
        Ok(Self {
            weight: vb.get(size, "weight")?,
            bias: vb.get(size, "bias")?,
            eps: eps as f32,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        candle_nn::ops::layer_norm(x, &self.weight, &self.bias, self.eps)
    }
}

/// A dense layer with its weight stored transposed, `(in, out)` contiguous: gemm reads it
/// without repacking, which halved the time of a product with a dozen rows (one short text).
struct Dense {
    weight_t: Tensor,
    bias: Tensor,
    bias_values: Vec<f32>,
}

impl Dense {
    fn new(weight: &Tensor, bias: Tensor) -> Result<Self> {
        Ok(Self {
            weight_t: weight.t()?.contiguous()?,
            bias_values: bias.to_vec1()?,
            bias,
        })
    }

    fn load(vb: VarBuilder, inp: usize, out: usize) -> Result<Self> {
        Self::new(&vb.get((out, inp), "weight")?, vb.get(out, "bias")?)
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.matmul(&self.weight_t)?.broadcast_add(&self.bias)
    }

    /// `gelu(x·W + b)`, the bias added inside the activation's pass.
    fn forward_gelu(&self, x: &Tensor) -> Result<Tensor> {
        bias_gelu(&x.matmul(&self.weight_t)?, &self.bias_values)
    }
}

struct Layer {
    qkv: Dense,
    attn_out: Dense,
    attn_norm: Norm,
    up: Dense,
    down: Dense,
    out_norm: Norm,
}

impl Layer {
    fn load(vb: VarBuilder, c: &Config) -> Result<Self> {
        let h = c.hidden_size;
        let sa = vb.pp("attention.self");
        let parts = ["query", "key", "value"];
        let weights = parts
            .iter()
            .map(|p| sa.pp(p).get((h, h), "weight"))
            .collect::<Result<Vec<_>>>()?;
        let biases = parts
            .iter()
            .map(|p| sa.pp(p).get(h, "bias"))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            qkv: Dense::new(&Tensor::cat(&weights, 0)?, Tensor::cat(&biases, 0)?)?,
            attn_out: Dense::load(vb.pp("attention.output.dense"), h, h)?,
            attn_norm: Norm::load(vb.pp("attention.output.LayerNorm"), h, c.layer_norm_eps)?,
            up: Dense::load(vb.pp("intermediate.dense"), h, c.intermediate_size)?,
            down: Dense::load(vb.pp("output.dense"), c.intermediate_size, h)?,
            out_norm: Norm::load(vb.pp("output.LayerNorm"), h, c.layer_norm_eps)?,
        })
    }
}

/// Where each text's rows are in the packed rows.
pub struct Packing {
    /// `(offset, len)` of each text in the packed rows.
    pub spans: Vec<(usize, usize)>,
}

impl Packing {
    /// The packing of texts with these token counts (each at least 1).
    pub fn new(lens: &[usize]) -> Self {
        let mut offset = 0;
        let spans = lens
            .iter()
            .map(|&len| {
                offset += len;
                (offset - len, len)
            })
            .collect();
        Self { spans }
    }
}

/// The BERT encoder over packed token rows.
pub struct PackedBert {
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    embed_norm: Norm,
    layers: Vec<Layer>,
    heads: usize,
    head_size: usize,
    act: HiddenAct,
}

impl PackedBert {
    /// Loads the weights under `vb` (the names of `candle_transformers`' BERT).
    pub fn load(vb: VarBuilder, c: &Config) -> Result<Self> {
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let e = vb.pp("embeddings");
        let h = c.hidden_size;
        let layers = (0..c.num_hidden_layers)
            .map(|i| Layer::load(vb.pp(format!("encoder.layer.{i}")), c))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            word: e.get((c.vocab_size, h), "word_embeddings.weight")?,
            position: e.get((c.max_position_embeddings, h), "position_embeddings.weight")?,
            token_type: e.get((c.type_vocab_size, h), "token_type_embeddings.weight")?,
            embed_norm: Norm::load(e.pp("LayerNorm"), h, c.layer_norm_eps)?,
            layers,
            heads: c.num_attention_heads,
            head_size: h / c.num_attention_heads,
            act: c.hidden_act,
        })
    }

    /// Hidden states `(total_tokens, hidden)` for the packed `ids`, `types` and `positions`.
    pub fn forward(
        &self,
        ids: &Tensor,
        types: &Tensor,
        positions: &Tensor,
        packing: &Packing,
    ) -> Result<Tensor> {
        let x = (self.word.index_select(ids, 0)? + self.token_type.index_select(types, 0)?)?;
        let x = (x + self.position.index_select(positions, 0)?)?;
        let mut x = self.embed_norm.forward(&x)?;
        for layer in &self.layers {
            x = self.layer(layer, &x, packing)?;
        }
        Ok(x)
    }

    fn layer(&self, l: &Layer, x: &Tensor, p: &Packing) -> Result<Tensor> {
        let ctx = packed_attention(&l.qkv.forward(x)?, &p.spans, self.heads, self.head_size)?;
        let x = l.attn_norm.forward(&(l.attn_out.forward(&ctx)? + x)?)?;
        let up = match self.act {
            HiddenAct::Gelu => l.up.forward_gelu(&x)?,
            HiddenAct::GeluApproximate => l.up.forward(&x)?.gelu()?,
            HiddenAct::Relu => l.up.forward(&x)?.relu()?,
        };
        l.out_norm.forward(&(l.down.forward(&up)? + x)?)
    }

    /// Mean of each text's rows of `hidden` (tokens, hidden) → (batch, hidden).
    pub fn mean_pool(hidden: &Tensor, packing: &Packing) -> Result<Tensor> {
        let rows = packing
            .spans
            .iter()
            .map(|&(o, len)| hidden.narrow(0, o, len)?.mean_keepdim(0))
            .collect::<Result<Vec<_>>>()?;
        Tensor::cat(&rows, 0)
    }
}
