//! Self-attention over packed token rows, one text and one head at a time.
//!
//! The packed encoder ([`crate::packed_bert`]) keeps the texts of a batch concatenated. Done
//! with tensor operations, attention had to gather those rows into a padded
//! `(batch, heads, longest, head)` block (three strided copies for Q, K and V), add a mask,
//! run the softmax over the padding too, and scatter the result back. Here each text's scores
//! are computed straight from the fused `Q|K|V` rows with gemm's strides (no copies), the
//! softmax runs over exactly the text's own keys (no mask: a text never sees another's rows),
//! and each head's output is written into its columns of the result.
//!
//! The arithmetic is the same as before (scaled dot products, max-subtracted softmax, the
//! weighted sum of values, in `f32`); only the order of some sums differs.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

/// Multi-head attention of packed texts: input `(tokens, 3 × hidden)` rows of `Q|K|V`,
/// output `(tokens, hidden)`, each head's context in its `head_size` columns.
pub struct PackedAttention<'a> {
    /// `(offset, len)` of each text in the packed rows.
    pub spans: &'a [(usize, usize)],
    pub heads: usize,
    pub head_size: usize,
}

impl CustomOp1 for PackedAttention<'_> {
    fn name(&self) -> &'static str {
        "packed-attention"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (start, end) = layout.contiguous_offsets().ok_or_else(|| {
            candle_core::Error::Msg("packed attention needs a contiguous input".into())
        })?;
        let qkv = &storage.as_slice::<f32>()?[start..end];
        let hidden = self.heads * self.head_size;
        let tokens = self
            .spans
            .iter()
            .map(|&(offset, len)| offset + len)
            .max()
            .unwrap_or(0);
        if layout.dims() != [tokens, 3 * hidden] || self.spans.iter().any(|&(_, len)| len == 0) {
            candle_core::bail!(
                "packed attention: {:?} does not hold the spans {:?} of {} heads of {}",
                layout.dims(),
                self.spans,
                self.heads,
                self.head_size
            );
        }
        let mut out = vec![0f32; tokens * hidden];
        let longest = self.spans.iter().map(|&(_, len)| len).max().unwrap_or(0);
        let mut scores = vec![0f32; longest * longest];
        let scale = 1.0 / (self.head_size as f32).sqrt();
        let row = 3 * hidden as isize;
        for &(offset, len) in self.spans {
            for h in 0..self.heads {
                let q = offset * 3 * hidden + h * self.head_size;
                let (k, v) = (q + hidden, q + 2 * hidden);
                // SAFETY: every index gemm forms is in bounds: rows `offset..offset + len` of
                // `qkv` (checked: `offset + len ≤ tokens`), columns `h·head..(h+1)·head` of
                // the Q, K and V thirds of a `3 × hidden` row; `scores` holds `len²` values;
                // `out` rows `offset..offset + len`, columns of head `h`. The slices do not
                // overlap the destinations, and nothing else touches them meanwhile.
                unsafe {
                    // scores = scale · Q Kᵀ: the rhs element (i, j) is K's row j, column i.
                    gemm::gemm(
                        len,
                        len,
                        self.head_size,
                        scores.as_mut_ptr(),
                        1,
                        len as isize,
                        false,
                        qkv.as_ptr().add(q),
                        1,
                        row,
                        qkv.as_ptr().add(k),
                        row,
                        1,
                        0.0,
                        scale,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    );
                }
                for r in scores[..len * len].chunks_exact_mut(len) {
                    softmax(r);
                }
                // SAFETY: as above.
                unsafe {
                    // context = probabilities · V, into this head's columns of `out`.
                    gemm::gemm(
                        len,
                        self.head_size,
                        len,
                        out.as_mut_ptr().add(offset * hidden + h * self.head_size),
                        1,
                        hidden as isize,
                        false,
                        scores.as_ptr(),
                        1,
                        len as isize,
                        qkv.as_ptr().add(v),
                        1,
                        row,
                        0.0,
                        1.0,
                        false,
                        false,
                        false,
                        gemm::Parallelism::None,
                    );
                }
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((tokens, hidden))))
    }
}

/// In place: `exp(x − max) / Σ exp(x − max)`.
fn softmax(xs: &mut [f32]) {
    let max = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0f32;
    for x in xs.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    let inv = 1.0 / sum;
    for x in xs.iter_mut() {
        *x *= inv;
    }
}

/// The context rows `(tokens, heads × head_size)` of the packed `qkv` rows.
pub fn packed_attention(
    qkv: &Tensor,
    spans: &[(usize, usize)],
    heads: usize,
    head_size: usize,
) -> Result<Tensor> {
    qkv.contiguous()?.apply_op1_no_bwd(&PackedAttention {
        spans,
        heads,
        head_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{D, Device};

    /// The same attention with tensor operations, one text at a time.
    fn reference(qkv: &Tensor, spans: &[(usize, usize)], heads: usize, hs: usize) -> Tensor {
        let hidden = heads * hs;
        let texts: Vec<Tensor> = spans
            .iter()
            .map(|&(offset, len)| {
                let rows = qkv.narrow(0, offset, len).unwrap();
                let part = |i: usize| {
                    rows.narrow(1, i * hidden, hidden)
                        .unwrap()
                        .reshape((len, heads, hs))
                        .unwrap()
                        .transpose(0, 1)
                        .unwrap()
                        .contiguous()
                        .unwrap()
                };
                let (q, k, v) = (part(0), part(1), part(2));
                let scores = (q.matmul(&k.t().unwrap()).unwrap() / (hs as f64).sqrt()).unwrap();
                let probs = candle_nn::ops::softmax(&scores, D::Minus1).unwrap();
                probs
                    .matmul(&v)
                    .unwrap()
                    .transpose(0, 1)
                    .unwrap()
                    .reshape((len, hidden))
                    .unwrap()
            })
            .collect();
        Tensor::cat(&texts, 0).unwrap()
    }

    #[test]
    fn matches_tensor_attention_text_by_text() {
        let (heads, hs) = (3, 4);
        let spans = [(0, 5), (5, 1), (6, 7)];
        let tokens = 13;
        let values: Vec<f32> = (0..tokens * 3 * heads * hs)
            .map(|i| ((i * 7919 % 1000) as f32 / 250.0) - 2.0)
            .collect();
        let qkv = Tensor::from_vec(values, (tokens, 3 * heads * hs), &Device::Cpu).unwrap();
        let got = packed_attention(&qkv, &spans, heads, hs).unwrap();
        let want = reference(&qkv, &spans, heads, hs);
        let diff = (got - want)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(diff < 1e-5, "max |diff| {diff}");
    }

    #[test]
    fn refuses_spans_that_do_not_fit() {
        let qkv = Tensor::zeros((4, 3 * 8), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(packed_attention(&qkv, &[(0, 5)], 2, 4).is_err());
        assert!(packed_attention(&qkv, &[(0, 4), (4, 0)], 2, 4).is_err());
        assert!(packed_attention(&qkv, &[(0, 4)], 2, 4).is_ok());
    }
}
