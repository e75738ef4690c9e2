//! Gemma 3 on quantized weights: candle 0.11's `quantized_gemma3` with bounded rotary tables.
//!
//! candle's version precomputes sine/cosine tables for 131,072 positions in every layer,
//! which cost 7 s and 3.6 GB at load on these machines. This copy (same maths; candle is
//! MIT/Apache-2.0) takes the context length as a parameter and shares the two tables (local
//! and global rope frequency) between layers. Everything else follows candle line by line.

use candle_core::quantized::{QMatMul, gguf_file};
use candle_core::{D, DType, Device, IndexOp, Module, Result, Tensor};
use candle_nn::Embedding;
use candle_transformers::quantized_nn::RmsNorm;

const DEFAULT_SLIDING_WINDOW_TYPE: usize = 6;
const DEFAULT_ROPE_FREQUENCY: f32 = 1_000_000.;
const DEFAULT_ROPE_FREQUENCY_SLIDING: f32 = 10_000.;

#[derive(Debug, Clone)]
struct Mlp {
    gate: QMatMul,
    up: QMatMul,
    down: QMatMul,
}

impl Mlp {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        let gate = candle_nn::ops::silu(&self.gate.forward(xs)?)?;
        self.down.forward(&(gate * self.up.forward(xs)?)?)
    }
}

#[derive(Debug, Clone)]
struct Rotary {
    sin: Tensor,
    cos: Tensor,
}

impl Rotary {
    fn new(head_dim: usize, freq: f32, max_seq_len: usize, device: &Device) -> Result<Self> {
        let theta: Vec<_> = (0..head_dim)
            .step_by(2)
            .map(|i| 1f32 / freq.powf(i as f32 / head_dim as f32))
            .collect();
        let theta = Tensor::new(theta.as_slice(), device)?;
        let idx_theta = Tensor::arange(0, max_seq_len as u32, device)?
            .to_dtype(DType::F32)?
            .reshape((max_seq_len, 1))?
            .matmul(&theta.reshape((1, theta.elem_count()))?)?;
        Ok(Self {
            sin: idx_theta.sin()?,
            cos: idx_theta.cos()?,
        })
    }

    fn apply(&self, q: &Tensor, k: &Tensor, index_pos: usize) -> Result<(Tensor, Tensor)> {
        let (_b, _h, seq_len, _d) = q.dims4()?;
        let cos = self.cos.narrow(0, index_pos, seq_len)?;
        let sin = self.sin.narrow(0, index_pos, seq_len)?;
        let q = candle_nn::rotary_emb::rope(&q.contiguous()?, &cos, &sin)?;
        let k = candle_nn::rotary_emb::rope(&k.contiguous()?, &cos, &sin)?;
        Ok((q, k))
    }
}

#[derive(Debug, Clone)]
struct Layer {
    wq: QMatMul,
    wk: QMatMul,
    wv: QMatMul,
    wo: QMatMul,
    q_norm: RmsNorm,
    k_norm: RmsNorm,
    attn_norm: RmsNorm,
    post_attn_norm: RmsNorm,
    ffn_norm: RmsNorm,
    post_ffn_norm: RmsNorm,
    mlp: Mlp,
    n_head: usize,
    n_kv_head: usize,
    head_dim: usize,
    sliding_window: Option<usize>,
    rotary: Rotary,
    kv_cache: Option<(Tensor, Tensor)>,
}

impl Layer {
    fn mask(&self, seq_len: usize, index_pos: usize, device: &Device) -> Result<Tensor> {
        let window = self.sliding_window;
        let mask: Vec<u32> = (0..seq_len)
            .flat_map(|i| {
                (0..seq_len).map(move |j| match window {
                    Some(w) if j + w < i => 0,
                    _ if i < j => 0,
                    _ => 1,
                })
            })
            .collect();
        let mask = Tensor::from_slice(&mask, (seq_len, seq_len), device)?;
        let mask = if index_pos > 0 {
            let ones = Tensor::ones((seq_len, index_pos), DType::U32, device)?;
            Tensor::cat(&[&ones, &mask], D::Minus1)?
        } else {
            mask
        };
        mask.expand((1, 1, seq_len, seq_len + index_pos))
    }

    fn attn(&mut self, x: &Tensor, mask: Option<&Tensor>, index_pos: usize) -> Result<Tensor> {
        let (b, seq_len, _) = x.dims3()?;
        let shape = |t: Tensor, heads: usize| {
            t.reshape((b, seq_len, heads, self.head_dim))?
                .transpose(1, 2)
        };
        let q = shape(self.wq.forward(x)?, self.n_head)?;
        let k = shape(self.wk.forward(x)?, self.n_kv_head)?;
        let v = shape(self.wv.forward(x)?, self.n_kv_head)?;
        let q = self.q_norm.forward(&q.contiguous()?)?;
        let k = self.k_norm.forward(&k.contiguous()?)?;
        let (q, k) = self.rotary.apply(&q, &k, index_pos)?;
        let (k, v) = match (&self.kv_cache, index_pos) {
            (Some((kc, vc)), p) if p > 0 => {
                (Tensor::cat(&[kc, &k], 2)?, Tensor::cat(&[vc, &v], 2)?)
            }
            _ => (k, v),
        };
        self.kv_cache = Some((k.clone(), v.clone()));
        let n_rep = self.n_head / self.n_kv_head;
        let k = candle_transformers::utils::repeat_kv(k, n_rep)?;
        let v = candle_transformers::utils::repeat_kv(v, n_rep)?;
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        let mut w = (q.matmul(&k.transpose(2, 3)?)? * scale)?;
        if let Some(mask) = mask {
            let mask = mask.broadcast_as(w.shape())?;
            let neg_inf = Tensor::new(f32::NEG_INFINITY, w.device())?.broadcast_as(w.shape())?;
            w = mask.eq(0u32)?.where_cond(&neg_inf, &w)?;
        }
        let w = candle_nn::ops::softmax_last_dim(&w)?;
        let out =
            w.matmul(&v)?
                .transpose(1, 2)?
                .reshape((b, seq_len, self.n_head * self.head_dim))?;
        self.wo.forward(&out)
    }
}

/// Gemma 3 weights with an internal KV cache (reset by a call with `index_pos == 0`).
#[derive(Debug, Clone)]
pub struct Gemma3 {
    embeddings: Embedding,
    embedding_length: usize,
    layers: Vec<Layer>,
    norm: RmsNorm,
    output: QMatMul,
}

impl Gemma3 {
    /// Load from GGUF with rotary tables for `max_seq_len` positions.
    pub fn from_gguf<R: std::io::Seek + std::io::Read>(
        ct: &gguf_file::Content,
        reader: &mut R,
        max_seq_len: usize,
        device: &Device,
    ) -> Result<Self> {
        let prefix = ["gemma3", "gemma2", "gemma"]
            .into_iter()
            .find(|p| {
                ct.metadata
                    .contains_key(&format!("{p}.attention.head_count"))
            })
            .unwrap_or("gemma3");
        let md = |s: &str| {
            let key = format!("{prefix}.{s}");
            ct.metadata
                .get(&key)
                .ok_or_else(|| candle_core::Error::msg(format!("missing {key}")))
        };
        let head_count = md("attention.head_count")?.to_u32()? as usize;
        let head_count_kv = md("attention.head_count_kv")?.to_u32()? as usize;
        let block_count = md("block_count")?.to_u32()? as usize;
        let embedding_length = md("embedding_length")?.to_u32()? as usize;
        let key_length = md("attention.key_length")?.to_u32()? as usize;
        let eps = f64::from(md("attention.layer_norm_rms_epsilon")?.to_f32()?);
        let sliding_window = md("attention.sliding_window")?.to_u32()? as usize;
        let window_type = md("attention.sliding_window_type")
            .and_then(|m| Ok(m.to_u32()? as usize))
            .unwrap_or(DEFAULT_SLIDING_WINDOW_TYPE);
        let freq = md("rope.freq_base")
            .and_then(|m| m.to_f32())
            .unwrap_or(DEFAULT_ROPE_FREQUENCY);
        let freq_local = md("rope.local_freq_base")
            .and_then(|m| m.to_f32())
            .unwrap_or(DEFAULT_ROPE_FREQUENCY_SLIDING);
        let rotary_global = Rotary::new(key_length, freq, max_seq_len, device)?;
        let rotary_local = Rotary::new(key_length, freq_local, max_seq_len, device)?;

        let mut t = |name: &str| ct.tensor(reader, name, device);
        let embeddings = t("token_embd.weight")?.dequantize(device)?;
        let norm = RmsNorm::from_qtensor(t("output_norm.weight")?, eps)?;
        let output = match t("output.weight") {
            Ok(w) => w,
            Err(_) => t("token_embd.weight")?,
        };
        let mut layers = Vec::with_capacity(block_count);
        for i in 0..block_count {
            let mut w = |s: &str| t(&format!("blk.{i}.{s}.weight"));
            let mm = |q| QMatMul::from_qtensor(q);
            let mut nrm = |s: &str| -> Result<RmsNorm> { RmsNorm::from_qtensor(w(s)?, eps) };
            let q_norm = nrm("attn_q_norm")?;
            let k_norm = nrm("attn_k_norm")?;
            let attn_norm = nrm("attn_norm")?;
            let post_attn_norm = nrm("post_attention_norm")?;
            let ffn_norm = nrm("ffn_norm")?;
            let post_ffn_norm = nrm("post_ffw_norm")?;
            let is_sliding = (i + 1) % window_type > 0;
            let mut w = |s: &str| t(&format!("blk.{i}.{s}.weight"));
            layers.push(Layer {
                wq: mm(w("attn_q")?)?,
                wk: mm(w("attn_k")?)?,
                wv: mm(w("attn_v")?)?,
                wo: mm(w("attn_output")?)?,
                q_norm,
                k_norm,
                attn_norm,
                post_attn_norm,
                ffn_norm,
                post_ffn_norm,
                mlp: Mlp {
                    gate: mm(w("ffn_gate")?)?,
                    up: mm(w("ffn_up")?)?,
                    down: mm(w("ffn_down")?)?,
                },
                n_head: head_count,
                n_kv_head: head_count_kv,
                head_dim: key_length,
                sliding_window: is_sliding.then_some(sliding_window),
                rotary: if is_sliding {
                    rotary_local.clone()
                } else {
                    rotary_global.clone()
                },
                kv_cache: None,
            });
        }
        Ok(Self {
            embeddings: Embedding::new(embeddings, embedding_length),
            embedding_length,
            layers,
            norm,
            output: QMatMul::from_qtensor(output)?,
        })
    }

    /// Logits of the last position; `index_pos` is the position of `x`'s first token.
    pub fn forward(&mut self, x: &Tensor, index_pos: usize) -> Result<Tensor> {
        let (_b, seq_len) = x.dims2()?;
        let mut h = (self.embeddings.forward(x)? * (self.embedding_length as f64).sqrt())?;
        for layer in self.layers.iter_mut() {
            let mask = if seq_len == 1 {
                None
            } else {
                Some(layer.mask(seq_len, index_pos, x.device())?)
            };
            let a = layer.attn_norm.forward(&h)?;
            let a = layer.attn(&a, mask.as_ref(), index_pos)?;
            let h1 = (layer.post_attn_norm.forward(&a)? + &h)?;
            let m = layer.mlp.forward(&layer.ffn_norm.forward(&h1)?)?;
            h = (layer.post_ffn_norm.forward(&m)? + h1)?;
        }
        let last = h.i((.., seq_len - 1, ..))?;
        self.output.forward(&self.norm.forward(&last)?)
    }
}
