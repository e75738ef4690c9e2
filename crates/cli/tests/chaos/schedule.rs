//! The seeded chaos schedule. Events are triggered by the request stream's progress (every
//! few requests started, so even a short stream meets every kind of fault), and each event
//! leaves the cluster whole again before the next: at most f nodes are ever down or cut off
//! at once, the bound under which termination is promised.
//!
//! Kinds: `kill` (SIGKILL 1..=f nodes, restart them after a while), `partition` (cut a group
//! of 1..=f nodes off, refusing or blackholing new connections, then heal), `mixed` (cut a
//! group off, SIGKILL some of it, restart those while still cut, then heal). The first three
//! events are one of each; the rest are drawn.

use super::cluster::Cluster;
use super::rng::Rng;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct Plan {
    pub seed: u64,
    /// Requests started between two events.
    pub every: (u64, u64),
    /// How long a killed node stays down, in ms.
    pub down_ms: (u64, u64),
    /// How long a partition holds, in ms.
    pub cut_ms: (u64, u64),
}

#[derive(Default, Debug)]
pub struct Tally {
    pub kills: usize,
    pub partitions: usize,
    pub blackholes: usize,
    pub mixed: usize,
    /// One line per event, with the time since the start of the stream.
    pub log: Vec<String>,
}

fn nodes(v: &[usize]) -> String {
    v.iter()
        .map(|i| format!("node-{i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Runs events until `finished`; returns with every node up and the mesh healed.
pub fn run(
    cluster: &mut Cluster,
    plan: &Plan,
    submitted: &AtomicUsize,
    finished: &AtomicBool,
    t0: Instant,
) -> Tally {
    let mut rng = Rng::new(plan.seed);
    let mut tally = Tally::default();
    let all: Vec<usize> = (0..cluster.n).collect();
    let f = cluster.f as u64;
    let mut trigger = 0usize;
    for event in 0.. {
        trigger += rng.range(plan.every.0, plan.every.1) as usize;
        // Scheduling, not synchronisation: wait for the stream to reach the event's moment.
        while submitted.load(Ordering::SeqCst) < trigger && !finished.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
        if finished.load(Ordering::SeqCst) {
            break;
        }
        let crashed = cluster.exited();
        assert!(crashed.is_empty(), "{crashed:?}");
        let kind = if event < 3 { event } else { rng.below(3) };
        let size = rng.range(1, f) as usize;
        let group = rng.pick(&all, size);
        let down = Duration::from_millis(rng.range(plan.down_ms.0, plan.down_ms.1));
        let cut = Duration::from_millis(rng.range(plan.cut_ms.0, plan.cut_ms.1));
        let blackhole = rng.chance(50);
        let at = t0.elapsed().as_secs_f64();
        let line = match kind {
            0 => {
                tally.kills += group.len();
                for &i in &group {
                    cluster.kill(i);
                }
                std::thread::sleep(down);
                for &i in &group {
                    cluster.restart(i);
                }
                format!("kill {} for {down:?}", nodes(&group))
            }
            1 => {
                tally.partitions += 1;
                tally.blackholes += usize::from(blackhole);
                let set: BTreeSet<usize> = group.iter().copied().collect();
                cluster.mesh.partition(&set, blackhole);
                std::thread::sleep(cut);
                cluster.mesh.heal();
                let how = if blackhole { "blackholed" } else { "refused" };
                format!("partition {} ({how}) for {cut:?}", nodes(&group))
            }
            _ => {
                tally.mixed += 1;
                tally.partitions += 1;
                tally.blackholes += usize::from(blackhole);
                let k = rng.range(1, group.len() as u64) as usize;
                let victims = rng.pick(&group, k);
                tally.kills += victims.len();
                let set: BTreeSet<usize> = group.iter().copied().collect();
                cluster.mesh.partition(&set, blackhole);
                for &i in &victims {
                    cluster.kill(i);
                }
                std::thread::sleep(down);
                for &i in &victims {
                    cluster.restart(i);
                }
                std::thread::sleep(cut);
                cluster.mesh.heal();
                format!(
                    "partition {} and kill {} for {down:?}, restart while cut, heal after {cut:?} more",
                    nodes(&group),
                    nodes(&victims)
                )
            }
        };
        let line = format!(
            "[{at:7.1}s] event {event} at request {}: {line} (done at {:.1}s)",
            trigger,
            t0.elapsed().as_secs_f64()
        );
        println!("{line}");
        tally.log.push(line);
    }
    assert!(cluster.down().is_empty(), "the schedule left nodes down");
    tally
}
