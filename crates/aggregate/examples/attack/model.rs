//! Multinomial logistic regression: `W` (10 x 64) then `b` (10), flattened into 650 parameters.

use crate::data::{CLASSES, FEATURES, Sample};

pub const PARAMS: usize = CLASSES * FEATURES + CLASSES;

fn probabilities(w: &[f64], x: &[f64; FEATURES]) -> [f64; CLASSES] {
    let mut z = [0.0; CLASSES];
    for (c, zc) in z.iter_mut().enumerate() {
        let row = &w[c * FEATURES..(c + 1) * FEATURES];
        *zc = row.iter().zip(x).map(|(a, b)| a * b).sum::<f64>() + w[CLASSES * FEATURES + c];
    }
    let max = z.iter().cloned().fold(f64::MIN, f64::max);
    let mut total = 0.0;
    for zc in z.iter_mut() {
        *zc = (*zc - max).exp();
        total += *zc;
    }
    z.map(|v| v / total)
}

/// Mean cross-entropy gradient over `batch`, with labels mapped through `label`.
pub fn gradient(w: &[f64], batch: &[&Sample], label: impl Fn(usize) -> usize) -> Vec<f64> {
    let mut g = vec![0.0; PARAMS];
    for s in batch {
        let mut p = probabilities(w, &s.x);
        p[label(s.y)] -= 1.0;
        for (c, dz) in p.iter().enumerate() {
            for (gi, xi) in g[c * FEATURES..(c + 1) * FEATURES].iter_mut().zip(&s.x) {
                *gi += dz * xi;
            }
            g[CLASSES * FEATURES + c] += dz;
        }
    }
    let scale = 1.0 / batch.len() as f64;
    g.iter_mut().for_each(|v| *v *= scale);
    g
}

pub fn accuracy(w: &[f64], test: &[Sample]) -> f64 {
    let correct = test
        .iter()
        .filter(|s| {
            let p = probabilities(w, &s.x);
            let best = (0..CLASSES)
                .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                .unwrap_or(0);
            best == s.y
        })
        .count();
    correct as f64 / test.len() as f64
}
