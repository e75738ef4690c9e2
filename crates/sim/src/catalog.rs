//! Named behaviours for sweeps: a name, a seed, a cluster size and a number of faulty
//! members give one [`Scenario`]. Which members misbehave, and the timings, are drawn from
//! the seed (so a reproduction command needs only the seed and the name).

use crate::behaviour::Behaviour;
use crate::scenario::Scenario;
use std::time::Duration;

/// Every named behaviour, in the order the summary table lists them.
pub const NAMES: &[&str] = &[
    "honest",
    "crash",
    "crash-restart",
    "silent",
    "slow",
    "equivocate",
    "wrong-reveal",
    "late-reveal",
    "liar",
    "collude",
    "backdoor",
    "partition",
    "split",
    "lossy",
    "lossy-net",
    "invalid-leader",
    "forged-decision",
];

/// Why a name is not a behaviour.
#[derive(Debug, thiserror::Error)]
#[error("unknown behaviour {0:?}; known: {known}", known = NAMES.join(", "))]
pub struct UnknownBehaviour(pub String);

/// SplitMix64: a tiny seeded generator for picking members and timings.
pub struct Pick(u64);

impl Pick {
    pub fn new(seed: u64, salt: &str) -> Self {
        let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
        for b in salt.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        Self(h)
    }

    pub fn draw(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi` milliseconds.
    pub fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.draw() % (hi - lo + 1))
    }

    /// `k` distinct members of `0..n`.
    pub fn members(&mut self, n: usize, k: usize) -> Vec<u32> {
        let mut all: Vec<u32> = (0..n as u32).collect();
        for i in (1..all.len()).rev() {
            let j = (self.draw() % (i as u64 + 1)) as usize;
            all.swap(i, j);
        }
        all.truncate(k.min(n));
        all.sort_unstable();
        all
    }
}

/// The scenario of behaviour `name` with `faults` members showing it (for `split`, half the
/// cluster is cut from the other half instead; for `lossy-net`, every link is lossy),
/// `votes` requests, at `seed`.
pub fn scenario(
    name: &str,
    seed: u64,
    nodes: usize,
    faults: usize,
    votes: usize,
) -> Result<Scenario, UnknownBehaviour> {
    let mut s = Scenario::honest(seed, nodes, votes);
    let mut pick = Pick::new(seed, name);
    let commit = s.timing.vote.commit.as_millis() as u64;
    let count = match name {
        "split" => nodes / 2,
        "lossy-net" => nodes,
        _ => faults,
    };
    let members = pick.members(nodes, count);
    // Events fall while the votes are under way (the last is submitted at `span`).
    let span = (s.timing.spacing.as_millis() as u64) * votes.saturating_sub(1) as u64 + 300;
    // One shared draw for group behaviours (all members on the same side, same answer).
    let from = pick.millis(0, span);
    let until = from + pick.millis(300, 3000);
    for m in members {
        let b = match name {
            "honest" => continue,
            "crash" => Behaviour::Crash {
                at: pick.millis(0, span),
            },
            "crash-restart" => {
                let at = pick.millis(0, span);
                Behaviour::CrashRestart {
                    at,
                    back: at + pick.millis(300, 3000),
                }
            }
            "silent" => Behaviour::Silent,
            "slow" => Behaviour::Slow {
                delay: pick.millis(0, 2 * commit),
            },
            "equivocate" => Behaviour::Equivocate,
            "wrong-reveal" => Behaviour::WrongReveal,
            "late-reveal" => Behaviour::LateReveal {
                delay: pick.millis(0, 2 * s.timing.vote.reveal.as_millis() as u64),
            },
            "liar" => Behaviour::Liar,
            "collude" => Behaviour::Collude {
                answer: "collusion".into(),
            },
            "backdoor" => Behaviour::Backdoor {
                trigger: s.trigger.clone(),
                answer: "backdoor".into(),
            },
            "partition" | "split" => Behaviour::Partition { from, until },
            "lossy" | "lossy-net" => Behaviour::Lossy {
                latency: pick.millis(20, 150),
                jitter: pick.millis(5, 50),
                success_percent: 70 + pick.draw() % 30,
            },
            "invalid-leader" => Behaviour::InvalidLeader,
            "forged-decision" => Behaviour::ForgedDecision,
            other => return Err(UnknownBehaviour(other.to_string())),
        };
        s.behaviours.push((m, b));
    }
    if !NAMES.contains(&name) {
        return Err(UnknownBehaviour(name.to_string()));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_builds_a_valid_scenario_and_the_seed_fixes_it() {
        for n in [4, 7, 10] {
            for name in NAMES {
                let s = scenario(name, 7, n, (n - 1) / 3, 3).unwrap();
                s.validate().unwrap();
                let again = scenario(name, 7, n, (n - 1) / 3, 3).unwrap();
                assert_eq!(s.behaviours, again.behaviours, "{name}");
                let expected = match *name {
                    "honest" => 0,
                    "split" => n / 2,
                    "lossy-net" => n,
                    _ => (n - 1) / 3,
                };
                assert_eq!(s.behaviours.len(), expected, "{name} n={n}");
            }
        }
        assert!(scenario("gremlin", 1, 4, 1, 1).is_err());
    }

    #[test]
    fn picks_are_distinct_members() {
        let mut p = Pick::new(3, "x");
        let m = p.members(10, 3);
        assert_eq!(m.len(), 3);
        assert!(m.windows(2).all(|w| w[0] < w[1] && w[1] < 10));
    }
}
