//! The UCI 8x8 handwritten digits (1,797 samples, 64 pixels in 0..16, 10 classes), as shipped
//! in scikit-learn's wheel: `testdata/digits.csv.gz`, one sample per line, label last.

use flate2::read::GzDecoder;
use std::io::Read;

pub const FEATURES: usize = 64;
pub const CLASSES: usize = 10;

pub struct Sample {
    /// Pixels scaled to [0, 1].
    pub x: [f64; FEATURES],
    pub y: usize,
}

pub fn load(path: &std::path::Path) -> Result<Vec<Sample>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut text = String::new();
    GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .map_err(|e| format!("{}: not gzip text: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .map(|(line, row)| {
            let v: Vec<f64> = row
                .split(',')
                .map(|c| c.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|e| format!("line {}: {e}", line + 1))?;
            if v.len() != FEATURES + 1 {
                return Err(format!(
                    "line {}: {} values, expected 65",
                    line + 1,
                    v.len()
                ));
            }
            let mut x = [0.0; FEATURES];
            for (o, p) in x.iter_mut().zip(&v) {
                *o = p / 16.0;
            }
            Ok(Sample {
                x,
                y: v[FEATURES] as usize,
            })
        })
        .collect()
}
