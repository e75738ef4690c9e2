//! The Byzantine workers' behaviours. All but label-flip are omniscient: they see the honest
//! gradients of the round before choosing theirs (the strongest threat model of the papers).

use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attack {
    /// Send the negation of the mean honest gradient.
    SignFlip,
    /// Send Gaussian noise, N(0, 10^2) per coordinate.
    Gaussian,
    /// Compute an honest gradient on labels mapped y -> 9 - y.
    LabelFlip,
    /// "A little is enough" (Baruch et al. 2019): mean - z * std per coordinate, z = 1.5.
    Alie,
    /// Inner-product manipulation (Xie et al. 2020): -epsilon * mean, epsilon = 0.1.
    Ipm,
}

impl Attack {
    pub const ALL: [Attack; 5] = [
        Attack::SignFlip,
        Attack::Gaussian,
        Attack::LabelFlip,
        Attack::Alie,
        Attack::Ipm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Attack::SignFlip => "sign-flip",
            Attack::Gaussian => "gaussian",
            Attack::LabelFlip => "label-flip",
            Attack::Alie => "alie",
            Attack::Ipm => "ipm",
        }
    }

    /// The vector one Byzantine worker sends, given the honest ones and, for label-flip, the
    /// gradient it computed on flipped labels.
    pub fn craft(self, honest: &[Vec<f64>], flipped: &[f64], rng: &mut Rng) -> Vec<f64> {
        let d = honest[0].len();
        let k = honest.len() as f64;
        let mean: Vec<f64> = (0..d)
            .map(|j| honest.iter().map(|g| g[j]).sum::<f64>() / k)
            .collect();
        match self {
            Attack::SignFlip => mean.iter().map(|m| -m).collect(),
            Attack::Gaussian => (0..d).map(|_| 10.0 * rng.normal()).collect(),
            Attack::LabelFlip => flipped.to_vec(),
            Attack::Alie => (0..d)
                .map(|j| {
                    let var = honest.iter().map(|g| (g[j] - mean[j]).powi(2)).sum::<f64>() / k;
                    mean[j] - 1.5 * var.sqrt()
                })
                .collect(),
            Attack::Ipm => mean.iter().map(|m| -0.1 * m).collect(),
        }
    }
}
