//! One run: a scenario in Commonware's deterministic runtime, to a [`Report`].
//!
//! Timeline (simulated): the network and every node start (a member that crashes at 0
//! never starts); request `j` is submitted at `j × timing.spacing` through every running
//! protocol-following node (duplicates are one transaction); every 50 ms the scheduled
//! events (submissions, crash, restart, partition, heal) that are due are applied, until every running
//! protocol-following node has certified every request and no event is left, or
//! `timing.max_wait` after the last event.

use crate::behaviour::{Behaviour, Class};
use crate::cluster::{Cluster, ClusterError, Ctx};
use crate::report::{Decision, MemberReport, Report, RequestReport};
use crate::scenario::{Scenario, ScenarioError, bounds_for};
use byzvote_core::{Mode, canonicalize};
use byzvote_node::protocol::results::Wait;
use commonware_runtime::{Clock as _, Runner as _, Supervisor as _, deterministic};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Why a run could not be carried out (not a protocol failure: those are in the report).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Keys(#[from] crate::keys::KeyError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("scratch directory {path}: {source}")]
    Scratch {
        path: String,
        source: std::io::Error,
    },
    #[error("audit log of member {member}: {reason}")]
    Audit { member: u32, reason: String },
}

const TICK: Duration = Duration::from_millis(50);

/// A fresh scratch directory for the nodes' audit logs and secrets (tmpfs when there is
/// one: the executor fsyncs every block).
fn scratch(seed: u64) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let base = Path::new("/dev/shm");
    let base = if base.is_dir() {
        base.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let k = COUNTER.fetch_add(1, Ordering::Relaxed);
    base.join(format!("byzvote-sim-{}-{seed}-{k}", std::process::id()))
}

/// What the runtime hands back.
struct Raw {
    blocked: Vec<(u32, u32)>,
    members: Vec<(bool, BTreeMap<byzvote_core::Digest, Decision>)>,
    timed_out: bool,
    sim_time: Duration,
    digest: String,
}

/// Runs `scenario` and reports what happened, with the violations of every single-run
/// invariant ([`crate::invariants::check`]; determinism needs a second run).
pub fn run(scenario: &Scenario) -> Result<Report, RunError> {
    scenario.validate()?;
    let keys = crate::keys::keys(scenario.nodes)?;
    let requests = scenario.requests()?;
    let dir = Scratch(scratch(scenario.seed));
    std::fs::create_dir_all(&dir.0).map_err(|source| RunError::Scratch {
        path: dir.0.display().to_string(),
        source,
    })?;
    let raw = simulate(scenario, keys.clone(), &requests, &dir.0)?;
    assemble(scenario, &keys, &requests, &dir.0, raw)
}

/// Removes the scratch directory however the run ends (a panic included), unless
/// `BYZVOTE_SIM_KEEP` is set: then it is kept, and named on stderr, so that the nodes' audit
/// logs can be read with `byzvote audit show` when a seed needs diagnosing.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("BYZVOTE_SIM_KEEP").is_some() {
            eprintln!("kept the nodes' data in {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn simulate(
    scenario: &Scenario,
    keys: crate::keys::ClusterKeys,
    requests: &[byzvote_core::Request],
    dir: &Path,
) -> Result<Raw, RunError> {
    let limit = last_event(scenario) + scenario.timing.max_wait + Duration::from_secs(60);
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(scenario.seed)
            .with_timeout(Some(limit)),
    );
    let scenario = scenario.clone();
    let requests = requests.to_vec();
    let dir = dir.to_path_buf();
    runner.start(|context| async move { drive(context, scenario, keys, requests, dir).await })
}

async fn drive(
    context: Ctx,
    scenario: Scenario,
    keys: crate::keys::ClusterKeys,
    requests: Vec<byzvote_core::Request>,
    dir: PathBuf,
) -> Result<Raw, RunError> {
    let start = context.current();
    let mut cluster = Cluster::new(context.child("cluster"), &scenario, keys, dir).await?;
    let n = scenario.nodes as u32;
    for i in 0..n {
        if scenario.behaviour(i) != (Behaviour::Crash { at: Duration::ZERO }) {
            cluster.start(i).await?;
        }
    }
    let ids: Vec<_> = requests.iter().map(|r| r.id()).collect();
    let mut events = schedule(&scenario);
    for (j, r) in requests.iter().enumerate() {
        events.push((scenario.timing.spacing * j as u32, Event::Submit(r.clone())));
    }
    events.sort_by_key(|(at, _)| *at);
    let deadline = last_event(&scenario) + scenario.timing.max_wait;
    let mut timed_out = false;
    loop {
        let now = context.current().duration_since(start).unwrap_or_default();
        while events.first().is_some_and(|(at, _)| *at <= now) {
            let (_, event) = events.remove(0);
            apply(&mut cluster, event).await?;
        }
        let done = (0..n).all(|i| {
            let slot = &cluster.slots[i as usize];
            !slot.running
                || !scenario.behaviour(i).class().follows_protocol()
                || slot
                    .handle
                    .as_ref()
                    .is_some_and(|h| ids.iter().all(|id| h.results.get(id).is_some()))
        });
        if done && events.is_empty() {
            break;
        }
        if now >= deadline {
            timed_out = true;
            break;
        }
        context.sleep(TICK).await;
    }
    let members = cluster
        .slots
        .iter()
        .map(|slot| {
            let decisions = slot
                .handle
                .as_ref()
                .map(|h| {
                    ids.iter()
                        .filter_map(|id| {
                            h.results.get(id).map(|d| {
                                let decision = Decision {
                                    record: d.record,
                                    signature: d.signature,
                                    proof: d.proof,
                                    revealed: d.revealed,
                                };
                                (*id, decision)
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            (slot.running, decisions)
        })
        .collect();
    Ok(Raw {
        blocked: cluster.blocked().await,
        members,
        timed_out,
        sim_time: context.current().duration_since(start).unwrap_or_default(),
        digest: context.auditor().state(),
    })
}

/// The last scheduled event, submissions included.
fn last_event(scenario: &Scenario) -> Duration {
    let submit = scenario.timing.spacing * scenario.votes.saturating_sub(1) as u32;
    scenario.last_event().max(submit)
}

/// A scheduled change to the cluster.
#[derive(Clone, Debug)]
enum Event {
    /// A client request, through every running protocol-following node (one transaction).
    Submit(byzvote_core::Request),
    Crash(u32),
    Restart(u32),
    Cut(Vec<u32>),
    Heal(Vec<u32>),
}

fn schedule(scenario: &Scenario) -> Vec<(Duration, Event)> {
    let mut out = Vec::new();
    let mut side = Vec::new();
    let mut window = None;
    for (m, b) in &scenario.behaviours {
        match b {
            Behaviour::Crash { at } if !at.is_zero() => out.push((*at, Event::Crash(*m))),
            Behaviour::CrashRestart { at, back } => {
                out.push((*at, Event::Crash(*m)));
                out.push((*back, Event::Restart(*m)));
            }
            Behaviour::Partition { from, until } => {
                side.push(*m);
                window = Some((*from, *until));
            }
            _ => {}
        }
    }
    if let Some((from, until)) = window {
        out.push((from, Event::Cut(side.clone())));
        out.push((until, Event::Heal(side)));
    }
    out.sort_by_key(|(at, _)| *at);
    out
}

async fn apply(cluster: &mut Cluster, event: Event) -> Result<(), ClusterError> {
    match event {
        Event::Submit(request) => {
            for slot in cluster.slots.iter_mut().filter(|s| s.running && s.follows) {
                if let Some(h) = slot.handle.as_mut() {
                    // A refusal (tier too large) shows up as a stall.
                    let _: Wait = h.submit(request.clone());
                }
            }
        }
        Event::Crash(m) => cluster.crash(m),
        Event::Restart(m) => cluster.start(m).await?,
        Event::Cut(side) => cluster.partition(&side, true).await?,
        Event::Heal(side) => cluster.partition(&side, false).await?,
    }
    Ok(())
}

/// Honest members left without a quorum by a partition: the side opposite the
/// `Partition` members when it is smaller than a quorum (a 2-2 split cuts both sides off).
/// They are as impaired as the partitioned members themselves.
fn cut_off(scenario: &Scenario, quorum: usize) -> Vec<u32> {
    let side: Vec<u32> = scenario
        .behaviours
        .iter()
        .filter(|(_, b)| matches!(b, Behaviour::Partition { .. }))
        .map(|(m, _)| *m)
        .collect();
    if side.is_empty() {
        return Vec::new();
    }
    let other: Vec<u32> = (0..scenario.nodes as u32)
        .filter(|m| !side.contains(m))
        .collect();
    if other.len() < quorum {
        other
    } else {
        Vec::new()
    }
}

fn assemble(
    scenario: &Scenario,
    keys: &crate::keys::ClusterKeys,
    requests: &[byzvote_core::Request],
    dir: &Path,
    raw: Raw,
) -> Result<Report, RunError> {
    let bounds = bounds_for(scenario.nodes);
    let canon = |s: &str| {
        canonicalize(&Mode::Exact, s).map_or_else(|_| s.to_string(), |c| c.as_str().to_string())
    };
    let requests = requests
        .iter()
        .enumerate()
        .map(|(j, r)| {
            let prompt = crate::scenario::prompt(j, &scenario.trigger);
            let truth = crate::scenario::truth(&prompt).unwrap_or_default();
            let intended = (0..scenario.nodes as u32)
                .map(|m| {
                    let a = scenario.behaviour(m).answer(m, &prompt, &truth);
                    (m, a.map(|a| canon(&a)))
                })
                .collect();
            RequestReport {
                id: r.id(),
                prompt,
                truth: canon(&truth),
                intended,
            }
        })
        .collect();
    let cut_off = cut_off(scenario, bounds.quorum() as usize);
    let mut members = Vec::new();
    for (i, (running, decisions)) in raw.members.into_iter().enumerate() {
        let member = i as u32;
        let path = dir.join(format!("node-{member}")).join("audit.jsonl");
        let replayed = crate::evidence::from_audit_log(
            &path,
            scenario.nodes as u32,
            scenario.timing.vote,
            keys.shares[0].group_public_key(),
        )
        .map_err(|reason| RunError::Audit { member, reason })?;
        let behaviour = scenario.behaviour(member);
        let class = match behaviour.class() {
            Class::Honest if cut_off.contains(&member) => Class::Impaired,
            class => class,
        };
        members.push(MemberReport {
            member,
            class,
            behaviour,
            running,
            decisions,
            evidence: replayed.evidence,
            replayed: replayed.decided,
        });
    }
    let mut report = Report {
        seed: scenario.seed,
        nodes: scenario.nodes,
        f: bounds.f(),
        quorum: bounds.quorum(),
        group_key: *keys.shares[0].group_public_key(),
        requests,
        members,
        blocked: raw.blocked,
        timed_out: raw.timed_out,
        sim_time: raw.sim_time,
        digest: raw.digest,
        violations: Vec::new(),
    };
    report.violations = crate::invariants::check(&report);
    Ok(report)
}
