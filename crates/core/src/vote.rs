//! The per-request vote: a pure state machine over finalized blocks (DESIGN §2 steps 3-5).
//!
//! Inputs are method calls made by the node while it applies a finalized block: one
//! [`Vote::on_commit`] / [`Vote::on_reveal`] per transaction in block order (signatures already
//! checked), then [`Vote::on_block_end`] with the block's height and timestamp. Outputs are the
//! returned [`Action`]s. Because every honest node feeds the same finalized blocks in the same
//! order, every honest node emits the same actions and the same [`DecisionRecord`]. Time is only
//! ever a block timestamp, never a local clock.
//!
//! # Rules
//!
//! Let `m` = committee size, `q` = `bounds.quorum()`, `t0` = timestamp of the block holding the
//! request, `commit_deadline = t0 + timeouts.commit`, `hard_deadline = commit_deadline +
//! timeouts.reveal`.
//!
//! 1. **Commits.** Commits for another request or from non-members are ignored. A member's first
//!    commit stands. A second, different commit from the same member is
//!    [`Evidence::Equivocation`] (emitted once per member); an identical one is a duplicate.
//! 2. **Closing the commitment set**, checked at the end of each block while open:
//!    * all `m` members have committed → close; or
//!    * at least `q` have committed and this is the `f+1`-th block with timestamp
//!      `>= commit_deadline` (see *Grace* below) → close.
//!
//!    Never at the first `q` commits before the deadline: one Byzantine member among them would
//!    leave the honest ones short of a quorum while a slower honest member is shut out. On close,
//!    [`Action::CloseCommits`] names the closed set (the members that committed, who should now
//!    reveal) and each committee member outside it gets [`Evidence::NeverCommitted`]. Commits
//!    after close are ignored.
//! 3. **Too few commits.** If the set is still open at a block with timestamp `>= hard_deadline`
//!    that is also at least the `f+1`-th block past `commit_deadline`, the vote decides `no_agreement` with nothing counted (missing members get
//!    `NeverCommitted`).
//! 4. **Reveals.** A reveal that does not open its member's commit is [`Evidence::BadReveal`] and is
//!    not counted; the member's later reveals are ignored. A reveal that arrives before its
//!    member's commit is held (one per member) and checked when the commit arrives; if the set
//!    closes without that member, it is dropped. Reveals before the close are kept and counted
//!    (a member with a commit before close is necessarily in the closed set).
//! 5. **Decision**, at the end of a block once the set is closed: when every closed member has
//!    revealed (validly or with `BadReveal`), or at the `f+1`-th block with timestamp `>=`
//!    close time + `timeouts.reveal`. Closed members without a reveal get [`Evidence::NeverRevealed`]; the
//!    tally ([`crate::tally()`]) over the valid reveals of closed members gives the
//!    [`DecisionRecord`], with `height` = this block's height (for `number:P:RULE` and
//!    `vector:RULE`, the robust aggregate of [`crate::robust`] over the same reveals does).
//!
//! 6. **Semantic evidence** (`semantic` mode only). At the point of rule 5, if at least a
//!    quorum revealed, the vote does not decide yet: it emits [`Action::NeedSimilarities`] with
//!    the counted members and texts, and waits for a finalized [`Similarities`] transaction
//!    naming exactly those members and texts ([`Vote::on_similarities`]; the first one counts;
//!    validators re-checked its cosines before the block was final). At the end of the block
//!    that carries it, [`crate::semantic::decide`] gives the record. If none is finalized by
//!    the rule-5 time + `timeouts.reveal`, the vote decides `no_agreement` (never a guess).
//!
//! 7. **Ballot** (`pick-best` only). At the point of rule 5, if at least a quorum revealed, the
//!    vote emits [`Action::Ballot`] with the derived ballot request ([`crate::pick::ballot`]) and
//!    waits, with no deadline of its own, for that ballot's decision
//!    ([`Vote::on_ballot_decided`]), which decides it ([`DecisionRecord::from_ballot`]).
//!
//! Every action is emitted exactly once; after the decision every input is ignored.
//!
//! # Grace: `f+1` blocks past a deadline
//!
//! A deadline only ever shuts out a member that is absent, and absence is recorded as evidence,
//! so it must not be reachable by an honest member's bad luck. The first block past a deadline
//! may come after a stall (views of slow or lossy leaders timing out), and its proposer chose
//! which pending transactions it carries: a faulty or lossy one can lack an honest member's
//! reveal sent long before. So a deadline takes effect only at the `f+1`-th finalized block at or
//! past it, `f` being the cluster's (the proposers'; [`Vote::with_grace`]). Those blocks come from
//! `f+1` different views, and leaders rotate round-robin, so unless nullified views stretch them
//! over more than `n` views at least one has an honest proposer; it proposes after the deadline,
//! so it carries every honest transaction sent a network delay before. The cost falls only on votes with an
//! absent member: `f` more blocks. (Found by the simulator: n=10 seed 3007 `lossy`, where a
//! block 1.05 s after a 1 s reveal window opened carried 7 of 10 reveals and the other three,
//! from honest members, came one block later.)
//!
//! # Recovery
//!
//! The state is a pure function of the finalized blocks since the request's block, so a node
//! that restarts rebuilds a vote by replaying those blocks; it needs to persist only its own
//! secrets (its answer and salt) before sending its commit.
//!
//! [`Similarities`]: crate::semantic::Similarities

use crate::{
    canonical::Canonical,
    commit::{Commit, MemberId, Reveal},
    evidence::Evidence,
    quorum::Bounds,
    record::DecisionRecord,
    request::Request,
};
use commonware_cryptography::sha256::Digest;
use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

/// How long each phase may last, measured between finalized block timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From the request's block to the commit deadline.
    pub commit: Duration,
    /// From the close of the commitment set to the reveal deadline (also the extra time after the
    /// commit deadline before a vote without a quorum of commits gives up).
    pub reveal: Duration,
}

/// Where a vote is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Collecting commits.
    Committing,
    /// The commitment set is closed; collecting reveals.
    Revealing,
    /// Decided; inputs are ignored.
    Decided,
}

/// What the node must do after feeding an input.
// One per vote event, consumed at once: boxing the record would cost more than the size.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The commitment set closed: these committed members should now reveal.
    CloseCommits {
        /// The closed set, ascending.
        members: Vec<MemberId>,
    },
    /// Record evidence against a member.
    Evidence(Evidence),
    /// The vote is decided: certify this record.
    Decide(DecisionRecord),
    /// A `semantic` vote's reveals are final: these are the counted members and texts; a node
    /// with an embedder should submit their [`Similarities`] (rule 6).
    ///
    /// [`Similarities`]: crate::semantic::Similarities
    NeedSimilarities {
        /// The counted members, ascending.
        members: Vec<MemberId>,
        /// Their texts, in `members` order.
        texts: Vec<Canonical>,
    },
    /// A `pick-best` vote's candidates are final: the node must start this ballot (a `class`
    /// vote of the same committee, see [`crate::pick`]) and feed its decision back with
    /// [`Vote::on_ballot_decided`] (rule 7).
    Ballot(Box<Request>),
}

/// A `semantic` vote waiting for its similarity evidence (rule 6).
#[derive(Debug, Clone)]
struct Judging {
    counted: BTreeMap<MemberId, Canonical>,
    at_ms: u64,
    cosines: Option<Vec<i16>>,
}

/// A `pick-best` vote waiting for its ballot (rule 7).
#[derive(Debug, Clone)]
struct Picking {
    ballot: Digest,
    candidates: crate::pick::Candidates,
}

#[derive(Debug, Clone)]
struct Closed {
    members: Vec<MemberId>,
    at_ms: u64,
}

/// The state of one vote. See the module documentation for the rules.
#[derive(Debug, Clone)]
pub struct Vote {
    request: Request,
    id: Digest,
    committee: Vec<MemberId>,
    bounds: Bounds,
    started_ms: u64,
    timeouts: Timeouts,
    epoch: u64,
    commits: BTreeMap<MemberId, Digest>,
    equivocators: BTreeSet<MemberId>,
    early: BTreeMap<MemberId, Reveal>,
    closed: Option<Closed>,
    valid: BTreeMap<MemberId, Canonical>,
    bad: BTreeSet<MemberId>,
    decision: Option<DecisionRecord>,
    /// Finalized blocks at or past the current phase's deadline (see *Grace*).
    overdue: u32,
    /// How many such blocks a deadline waits for (see *Grace*).
    grace: u32,
    judging: Option<Judging>,
    picking: Option<Picking>,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Vote {
    /// A vote on `request` (whose id is `id`) by `committee` (sorted and deduplicated here),
    /// started by the finalized block with timestamp `started_ms`. The epoch is 0 unless set with
    /// [`Vote::with_epoch`].
    pub fn new(
        request: Request,
        id: Digest,
        committee: Vec<MemberId>,
        bounds: Bounds,
        started_ms: u64,
        timeouts: Timeouts,
    ) -> Self {
        let committee = committee
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        Self {
            request,
            id,
            committee,
            bounds,
            started_ms,
            timeouts,
            epoch: 0,
            commits: BTreeMap::new(),
            equivocators: BTreeSet::new(),
            early: BTreeMap::new(),
            closed: None,
            valid: BTreeMap::new(),
            bad: BTreeSet::new(),
            decision: None,
            overdue: 0,
            grace: bounds.f().saturating_add(1),
            judging: None,
            picking: None,
        }
    }

    /// Sets the epoch written into the decision record.
    pub fn with_epoch(mut self, epoch: u64) -> Self {
        self.epoch = epoch;
        self
    }

    /// Sets how many finalized blocks at or past a deadline it waits for (at least 1). The
    /// default, the committee's `f+1`, assumes the committee proposes the blocks; a committee
    /// drawn from a larger cluster needs the cluster's `f+1` (see *Grace*).
    pub fn with_grace(mut self, blocks: u32) -> Self {
        self.grace = blocks.max(1);
        self
    }

    /// Feeds one finalized commit (signature already checked by the caller).
    pub fn on_commit(&mut self, commit: Commit) -> Vec<Action> {
        if self.decision.is_some()
            || self.closed.is_some()
            || !self.concerns(commit.request, commit.member)
        {
            return Vec::new();
        }
        let member = commit.member;
        match self.commits.get(&member) {
            Some(first) if *first == commit.digest => Vec::new(),
            Some(first) => {
                let first = *first;
                if self.equivocators.insert(member) {
                    vec![Action::Evidence(Evidence::Equivocation {
                        member,
                        request: self.id,
                        first,
                        second: commit.digest,
                    })]
                } else {
                    Vec::new()
                }
            }
            None => {
                self.commits.insert(member, commit.digest);
                match self.early.remove(&member) {
                    Some(reveal) => self.check_reveal(reveal, &commit),
                    None => Vec::new(),
                }
            }
        }
    }

    /// Feeds one finalized reveal (signature already checked by the caller).
    pub fn on_reveal(&mut self, reveal: Reveal) -> Vec<Action> {
        let member = reveal.member;
        if self.decision.is_some()
            || !self.concerns(reveal.request, member)
            || self.valid.contains_key(&member)
            || self.bad.contains(&member)
        {
            return Vec::new();
        }
        match self.commits.get(&member) {
            Some(digest) => {
                let commit = Commit {
                    request: self.id,
                    member,
                    digest: *digest,
                };
                self.check_reveal(reveal, &commit)
            }
            None => {
                if self.closed.is_none() {
                    self.early.entry(member).or_insert(reveal);
                }
                Vec::new()
            }
        }
    }

    /// Called once per finalized block, after its transactions.
    pub fn on_block_end(&mut self, height: u64, timestamp_ms: u64) -> Vec<Action> {
        let mut out = Vec::new();
        if self.decision.is_some() {
            return out;
        }
        if self.judging.is_some() {
            self.try_judge(height, timestamp_ms, &mut out);
            return out;
        }
        if self.picking.is_some() {
            return out; // decided by its ballot (rule 7), which has its own deadlines
        }
        if self.closed.is_none() && !self.try_close(height, timestamp_ms, &mut out) {
            return out;
        }
        self.try_decide(height, timestamp_ms, &mut out);
        out
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        match (&self.decision, &self.closed) {
            (Some(_), _) => Phase::Decided,
            (None, Some(_)) => Phase::Revealing,
            (None, None) => Phase::Committing,
        }
    }

    /// The request id.
    pub fn id(&self) -> Digest {
        self.id
    }

    /// The request.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The committee, ascending.
    pub fn committee(&self) -> &[MemberId] {
        &self.committee
    }

    /// The closed commitment set, once closed.
    pub fn closed_set(&self) -> Option<&[MemberId]> {
        self.closed.as_ref().map(|c| c.members.as_slice())
    }

    /// The members whose transaction the current phase still waits for: their commits while
    /// committing, their reveals once the set closed; nobody once decided, or while a
    /// `semantic` vote waits for its similarities or a `pick-best` vote for its ballot. A
    /// leader uses it to hold a proposal a moment for the missing ones (a hint: nothing is
    /// decided by it).
    pub fn awaited(&self) -> Vec<MemberId> {
        if self.decision.is_some() || self.judging.is_some() || self.picking.is_some() {
            return Vec::new();
        }
        match &self.closed {
            Some(c) => c
                .members
                .iter()
                .filter(|m| !self.valid.contains_key(m) && !self.bad.contains(m))
                .copied()
                .collect(),
            None => self
                .committee
                .iter()
                .filter(|m| !self.commits.contains_key(m) && !self.equivocators.contains(m))
                .copied()
                .collect(),
        }
    }

    /// The decision, once decided.
    pub fn decision(&self) -> Option<&DecisionRecord> {
        self.decision.as_ref()
    }

    /// `started + timeouts.commit`.
    pub fn commit_deadline_ms(&self) -> u64 {
        self.started_ms.saturating_add(ms(self.timeouts.commit))
    }

    /// `started + timeouts.commit + timeouts.reveal`: the latest a vote without a quorum of
    /// commits gives up.
    pub fn hard_deadline_ms(&self) -> u64 {
        self.commit_deadline_ms()
            .saturating_add(ms(self.timeouts.reveal))
    }

    /// The block timestamp at which this vote would next act on its own (close or decide) if no
    /// more transactions arrive; `None` once decided. A node that holds back empty blocks while
    /// idle must still finalize a block at or after this time.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        if self.decision.is_some() {
            return None;
        }
        if let Some(j) = &self.judging {
            return Some(j.at_ms.saturating_add(ms(self.timeouts.reveal)));
        }
        if self.picking.is_some() {
            return None; // its ballot's deadlines drive it
        }
        // Every block at or past the commit deadline counts towards its grace, with or without
        // a quorum of commits yet (see *Grace*): that is acting on its own too.
        Some(match &self.closed {
            Some(c) => c.at_ms.saturating_add(ms(self.timeouts.reveal)),
            None => self.commit_deadline_ms(),
        })
    }

    fn concerns(&self, request: Digest, member: MemberId) -> bool {
        request == self.id && self.committee.binary_search(&member).is_ok()
    }

    fn check_reveal(&mut self, reveal: Reveal, commit: &Commit) -> Vec<Action> {
        let member = reveal.member;
        if reveal.opens(commit) {
            self.valid.insert(member, reveal.canonical);
            Vec::new()
        } else {
            self.bad.insert(member);
            vec![Action::Evidence(Evidence::BadReveal {
                member,
                request: self.id,
            })]
        }
    }

    /// Rules 2 and 3: closes the set if it may close; gives up at the hard deadline. Returns
    /// whether the set is now closed.
    fn try_close(&mut self, height: u64, timestamp_ms: u64, out: &mut Vec<Action>) -> bool {
        let committed = self.commits.len();
        let all = committed == self.committee.len();
        let overdue = self.overdue(timestamp_ms >= self.commit_deadline_ms());
        if all || (overdue && self.bounds.is_quorum(committed)) {
            self.overdue = 0;
            self.close(timestamp_ms, out);
            return true;
        }
        if overdue && timestamp_ms >= self.hard_deadline_ms() {
            self.blame_uncommitted(out);
            self.decide(height, &BTreeMap::new(), out);
        }
        false
    }

    /// Rule 5: decides once every closed member revealed, or at the reveal deadline.
    fn try_decide(&mut self, height: u64, timestamp_ms: u64, out: &mut Vec<Action>) {
        let Some(closed) = &self.closed else {
            return;
        };
        let missing: Vec<MemberId> = closed
            .members
            .iter()
            .copied()
            .filter(|m| !self.valid.contains_key(m) && !self.bad.contains(m))
            .collect();
        let past = timestamp_ms >= closed.at_ms.saturating_add(ms(self.timeouts.reveal));
        if !missing.is_empty() && !self.overdue(past) {
            return;
        }
        let counted: BTreeMap<MemberId, Canonical> = self
            .closed
            .iter()
            .flat_map(|c| &c.members)
            .filter_map(|m| self.valid.get(m).map(|c| (*m, c.clone())))
            .collect();
        let request = self.id;
        out.extend(
            missing
                .into_iter()
                .map(|member| Action::Evidence(Evidence::NeverRevealed { member, request })),
        );
        if self.start_stage(&counted, timestamp_ms, out) {
            return;
        }
        self.decide(height, &counted, out);
    }

    /// Counts one more block past the phase's deadline if `past`; whether the deadline now takes
    /// effect (the `f+1`-th such block, see *Grace*).
    fn overdue(&mut self, past: bool) -> bool {
        if past {
            self.overdue = self.overdue.saturating_add(1);
        }
        self.overdue >= self.grace
    }

    fn close(&mut self, timestamp_ms: u64, out: &mut Vec<Action>) {
        let members: Vec<MemberId> = self.commits.keys().copied().collect();
        self.early.clear();
        out.push(Action::CloseCommits {
            members: members.clone(),
        });
        self.closed = Some(Closed {
            members,
            at_ms: timestamp_ms,
        });
        self.blame_uncommitted(out);
    }

    fn blame_uncommitted(&self, out: &mut Vec<Action>) {
        for &member in &self.committee {
            if !self.commits.contains_key(&member) {
                out.push(Action::Evidence(Evidence::NeverCommitted {
                    member,
                    request: self.id,
                }));
            }
        }
    }

    fn decide(
        &mut self,
        height: u64,
        counted: &BTreeMap<MemberId, Canonical>,
        out: &mut Vec<Action>,
    ) {
        let record = DecisionRecord::decide(
            self.id,
            self.request.tier,
            self.request.mode.clone(),
            &self.committee,
            self.bounds,
            counted,
            height,
            self.epoch,
        );
        self.decision = Some(record.clone());
        out.push(Action::Decide(record));
    }
}

mod stages;

#[cfg(test)]
mod prop;
#[cfg(test)]
mod tests;
