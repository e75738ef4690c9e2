//! The embedder seam: how the semantic mode sees a sentence-embedding model.
//!
//! The trait lives here, in the pure core, so that the agreement rule and everything that uses
//! it depend only on `byzvote-core`; the model itself (candle, weights on disk) is implemented
//! elsewhere (`byzvote-builtin`'s `MiniLm`).

use thiserror::Error;

/// Why embedding failed (the model's own message).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("embedding failed: {0}")]
pub struct EmbedError(pub String);

/// Maps texts to unit vectors whose dot product measures similarity of meaning.
pub trait Embedder: Send + Sync {
    /// One L2-normalised vector per text, in order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
}

/// Cosine similarity of two vectors; 0 when either is zero or they differ in length.
///
/// Computed in a fixed order (left to right, `f32`), so the same vectors give the same bits on
/// every machine with IEEE arithmetic; embeddings themselves may still differ slightly between
/// machines, which is why validators re-check cosines within a tolerance.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 || !dot.is_finite() {
        0.0
    } else {
        (dot / (na * nb)).clamp(-1.0, 1.0)
    }
}

/// A deterministic stand-in for a sentence-embedding model, for tests and simulations where
/// the real weights are absent: a bag of lower-cased words hashed into 64 buckets,
/// L2-normalised. Texts with the same words have cosine 1, and every machine computes the same
/// bits. It knows nothing of meaning: never the default of a running node.
#[derive(Debug, Clone, Copy, Default)]
pub struct BagOfWords;

impl Embedder for BagOfWords {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0f32; 64];
                for w in t
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                {
                    let h = w
                        .to_lowercase()
                        .bytes()
                        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
                    if let Some(x) = v.get_mut((h % 64) as usize) {
                        *x += 1.0;
                    }
                }
                let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
                v.iter().map(|x| x / n).collect()
            })
            .collect())
    }
}
