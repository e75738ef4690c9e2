//! A BERT encoder that packs a batch instead of padding it, for the sentence embedder.
//!
//! `candle_transformers::models::bert` pads every text of a batch to the longest one, so a
//! batch of short answers spends much of its time multiplying padding. Here the token rows of
//! all texts are concatenated (`total_tokens × hidden`) for everything that is per token (the
//! embeddings, the Q/K/V, output and feed-forward projections, the layer norms), which is
//! nearly all of the arithmetic; only the attention itself (`L²` per text, small) gathers the
//! rows into a padded `(batch, heads, longest, head)` block, masked as before. The Q, K and V
//! projections are fused into one matrix product, weights are stored transposed for gemm, and
//! GELU uses a vectorisable erf ([`crate::fast_gelu`]).
//!
//! The arithmetic is the same as candle's BERT (the same operations on the same rows, f32); only
//! the order of some sums differs, so outputs agree to about 1e-6 (the test
//! `minilm_matches_the_numpy_reference` holds both to 1e-5 of an independent float64 reference).

use candle_core::{Device, Result, Tensor};

use crate::fast_gelu::bias_gelu;
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

/// Where each text's rows are, and the index tensors that move between packed and padded rows.
pub struct Packing {
    /// `(offset, len)` of each text in the packed rows.
    pub spans: Vec<(usize, usize)>,
    longest: usize,
    /// For each padded row `(b, p)`: the packed row it reads (a valid row of text `b`).
    to_padded: Tensor,
    /// For each packed row: its padded row `b × longest + p`.
    to_packed: Tensor,
    /// `(batch, 1, 1, longest)`: 0 for real keys, `f32::MIN` for padding.
    mask: Tensor,
}

impl Packing {
    /// The packing of texts with these token counts (each at least 1).
    pub fn new(lens: &[usize], dev: &Device) -> Result<Self> {
        let longest = lens.iter().copied().max().unwrap_or(0);
        let (mut spans, mut to_padded, mut to_packed, mut mask) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut offset = 0;
        for (b, &len) in lens.iter().enumerate() {
            spans.push((offset, len));
            for p in 0..longest {
                to_padded.push((offset + p.min(len.saturating_sub(1))) as u32);
                mask.push(if p < len { 0f32 } else { f32::MIN });
            }
            to_packed.extend((0..len).map(|p| (b * longest + p) as u32));
            offset += len;
        }
        let batch = lens.len();
        Ok(Self {
            spans,
            longest,
            to_padded: Tensor::new(to_padded, dev)?,
            to_packed: Tensor::new(to_packed, dev)?,
            mask: Tensor::from_vec(mask, (batch, 1, 1, longest), dev)?,
        })
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
        let (batch, longest) = (p.spans.len(), p.longest);
        let (heads, hs) = (self.heads, self.head_size);
        let hidden = heads * hs;
        // (batch, longest, 3, heads, head) from the packed (tokens, 3 × hidden).
        let qkv = l
            .qkv
            .forward(x)?
            .index_select(&p.to_padded, 0)?
            .reshape((batch, longest, 3, heads, hs))?;
        let part = |i: usize| -> Result<Tensor> {
            qkv.narrow(2, i, 1)?
                .squeeze(2)?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, k, v) = (part(0)?, part(1)?, part(2)?);
        let scores = (q.matmul(&k.t()?)? / (hs as f64).sqrt())?;
        let probs = candle_nn::ops::softmax_last_dim(&scores.broadcast_add(&p.mask)?)?;
        let ctx = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .reshape((batch * longest, hidden))?
            .index_select(&p.to_packed, 0)?;
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
