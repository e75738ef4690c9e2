//! Where one node's time goes: durations (and a few counts) by stage, for `byzvote bench`.
//!
//! Off by default: a node records only when started with `BYZVOTE_TIMINGS=1` in its
//! environment (`byzvote up` passes its environment to the nodes), and then keeps at most the
//! last [`KEEP`] samples per stage, so memory stays bounded however long it runs. Nothing
//! here changes what the node does: it measures wall time (`Instant`), never decides with it,
//! and the deterministic simulation runs with timings off.
//!
//! Stages are named `area.what` (e.g. `chain.finalize.empty`, `audit.sync`,
//! `vote.commits`); [`Timings::snapshot`] summarises each (count, mean, p50/p90/p99).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Samples kept per stage (the most recent ones).
pub const KEEP: usize = 100_000;
/// Marks kept for votes in progress (bounded: ids come from clients).
const MAX_MARKS: usize = 100_000;

#[derive(Default)]
struct Stage {
    count: u64,
    total: f64,
    ring: Vec<f64>,
    next: usize,
}

#[derive(Default)]
struct Inner {
    stages: BTreeMap<&'static str, Stage>,
    /// Instants keyed by (stage name, key), for stages that start in one place and end in
    /// another (a proposal and its finalization; a vote's phases).
    /// By key, its marks: so forgetting a key is one removal (a scan of every mark, once per
    /// block and per vote, was ~1% of a loaded node's CPU in a bench).
    marks: HashMap<[u8; 32], Vec<(&'static str, Instant)>>,
    /// How many marks `marks` holds.
    count: usize,
}

/// A handle on one node's timings; cheap to clone, a no-op when disabled.
impl Inner {
    fn get(&self, mark: &'static str, key: &[u8; 32]) -> Option<Instant> {
        let marks = self.marks.get(key)?;
        marks.iter().find(|(m, _)| *m == mark).map(|(_, at)| *at)
    }

    /// Marks `mark` for `key` at `at`, unless it is marked already.
    fn put(&mut self, mark: &'static str, key: [u8; 32], at: Instant) {
        let marks = self.marks.entry(key).or_default();
        if !marks.iter().any(|(m, _)| *m == mark) {
            marks.push((mark, at));
            self.count += 1;
        }
    }
}

#[derive(Clone, Default)]
pub struct Timings(Option<Arc<Mutex<Inner>>>);

/// One stage's summary. Durations in microseconds; a count stage (`*.txs`) holds values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageSummary {
    pub stage: String,
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
}

impl Timings {
    /// Recording on.
    pub fn enabled() -> Self {
        Self(Some(Arc::default()))
    }

    /// On when the environment sets `BYZVOTE_TIMINGS=1`.
    pub fn from_env() -> Self {
        match std::env::var("BYZVOTE_TIMINGS").as_deref() {
            Ok("1") | Ok("true") => Self::enabled(),
            _ => Self::default(),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.0.is_some()
    }

    fn lock(&self) -> Option<MutexGuard<'_, Inner>> {
        self.0
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Now, if recording (so a disabled node does not even read the clock).
    pub fn now(&self) -> Option<Instant> {
        self.0.as_ref().map(|_| Instant::now())
    }

    /// Records a value (a duration in µs, or a count) under `stage`.
    pub fn value(&self, stage: &'static str, v: f64) {
        if let Some(mut inner) = self.lock() {
            let s = inner.stages.entry(stage).or_default();
            s.count += 1;
            s.total += v;
            if s.ring.len() < KEEP {
                s.ring.push(v);
            } else {
                s.ring[s.next] = v;
                s.next = (s.next + 1) % KEEP;
            }
        }
    }

    /// Records a duration under `stage`.
    pub fn duration(&self, stage: &'static str, d: Duration) {
        self.value(stage, d.as_secs_f64() * 1e6);
    }

    /// Records the time since `start` (from [`Timings::now`]) under `stage`.
    pub fn since(&self, stage: &'static str, start: Option<Instant>) {
        if let Some(start) = start {
            self.duration(stage, start.elapsed());
        }
    }

    /// Runs `f`, recording how long it took under `stage`.
    pub fn time<T>(&self, stage: &'static str, f: impl FnOnce() -> T) -> T {
        let start = self.now();
        let out = f();
        self.since(stage, start);
        out
    }

    /// Remembers now as the start of `mark` for `key` (the first mark wins).
    pub fn mark(&self, mark: &'static str, key: &[u8]) {
        if let Some(mut inner) = self.lock()
            && inner.count < MAX_MARKS
        {
            inner.put(mark, key32(key), Instant::now());
        }
    }

    /// The instant `mark` was set for `key`, removing it.
    pub fn take(&self, mark: &'static str, key: &[u8]) -> Option<Instant> {
        let mut inner = self.lock()?;
        let k = key32(key);
        let marks = inner.marks.get_mut(&k)?;
        let i = marks.iter().position(|(m, _)| *m == mark)?;
        let (_, at) = marks.swap_remove(i);
        if marks.is_empty() {
            inner.marks.remove(&k);
        }
        inner.count -= 1;
        Some(at)
    }

    /// Records under `stage` the time from `mark` for `key` to now, removing the mark.
    pub fn end(&self, stage: &'static str, mark: &'static str, key: &[u8]) {
        if let Some(start) = self.take(mark, key) {
            self.duration(stage, start.elapsed());
        }
    }

    /// Records under `stage` the time from `from` to `to` for `key` (both marks stay).
    pub fn between(&self, stage: &'static str, from: &'static str, to: &'static str, key: &[u8]) {
        let span = self.lock().and_then(|inner| {
            let k = key32(key);
            Some(
                inner
                    .get(to, &k)?
                    .saturating_duration_since(inner.get(from, &k)?),
            )
        });
        if let Some(d) = span {
            self.duration(stage, d);
        }
    }

    /// If `from` is marked for `key`: marks `to` now and records under `stage` the time since
    /// `from` (both marks stay). For the steps of something this node started, e.g. the
    /// certificates of a block it proposed.
    pub fn follow(&self, stage: &'static str, from: &'static str, to: &'static str, key: &[u8]) {
        let span = self.lock().and_then(|mut inner| {
            let k = key32(key);
            let start = inner.get(from, &k)?;
            let now = Instant::now();
            inner.put(to, k, now);
            Some(now.saturating_duration_since(start))
        });
        if let Some(d) = span {
            self.duration(stage, d);
        }
    }

    /// Forgets every mark of `key`.
    pub fn forget(&self, key: &[u8]) {
        if let Some(mut inner) = self.lock() {
            let k = key32(key);
            if let Some(marks) = inner.marks.remove(&k) {
                inner.count -= marks.len();
            }
        }
    }

    /// Every stage's summary, by name; empty when disabled.
    pub fn snapshot(&self) -> Vec<StageSummary> {
        let Some(inner) = self.lock() else {
            return Vec::new();
        };
        inner
            .stages
            .iter()
            .map(|(name, s)| {
                let mut sorted = s.ring.clone();
                sorted.sort_by(f64::total_cmp);
                let pct = |p: f64| {
                    if sorted.is_empty() {
                        return 0.0;
                    }
                    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
                    sorted[i.min(sorted.len() - 1)]
                };
                StageSummary {
                    stage: (*name).to_string(),
                    count: s.count,
                    mean: if s.count == 0 {
                        0.0
                    } else {
                        s.total / s.count as f64
                    },
                    p50: pct(0.5),
                    p90: pct(0.9),
                    p99: pct(0.99),
                }
            })
            .collect()
    }

    /// Drops every sample and mark (a benchmark's warm-up is not its measurement).
    pub fn reset(&self) {
        if let Some(mut inner) = self.lock() {
            inner.stages.clear();
            inner.marks.clear();
            inner.count = 0;
        }
    }
}

fn key32(key: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let n = key.len().min(32);
    out[..n].copy_from_slice(&key[..n]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_records_nothing() {
        let t = Timings::default();
        t.value("a", 1.0);
        t.mark("m", b"k");
        assert!(t.now().is_none());
        assert!(t.snapshot().is_empty());
    }

    #[test]
    fn summaries_and_marks() {
        let t = Timings::enabled();
        for v in 1..=100 {
            t.value("a", f64::from(v));
        }
        t.mark("start", b"k");
        t.mark("stop", b"k");
        t.between("span", "start", "stop", b"k");
        t.end("whole", "start", b"k");
        assert!(t.take("start", b"k").is_none(), "end removes the mark");
        let s = t.snapshot();
        let a = s.iter().find(|s| s.stage == "a").unwrap();
        assert_eq!((a.count, a.p50, a.p99), (100, 51.0, 99.0));
        assert_eq!(a.mean, 50.5);
        assert!(s.iter().any(|s| s.stage == "span"));
        assert!(s.iter().any(|s| s.stage == "whole"));
        t.forget(b"k");
        assert!(t.take("stop", b"k").is_none(), "forgotten");
        // Forgetting a key forgets its marks only; a mark's first instant stays.
        t.mark("start", b"k1");
        t.mark("start", b"k2");
        let first = t.lock().unwrap().get("start", &key32(b"k2"));
        t.mark("start", b"k2");
        t.follow("step", "start", "next", b"k2");
        t.forget(b"k1");
        assert!(t.take("start", b"k1").is_none());
        assert_eq!(t.lock().unwrap().count, 2);
        assert_eq!(t.take("start", b"k2"), first);
        assert!(
            t.take("next", b"k2").is_some(),
            "follow marks the next step"
        );
        assert_eq!(t.lock().unwrap().count, 0);
        assert!(t.lock().unwrap().marks.is_empty());
        t.reset();
        assert!(t.snapshot().is_empty());
    }
}
