//! What one simulated member does: honest, or one named deviation.
//!
//! Each behaviour is one variant with its own doc comment; how it is carried out lives in
//! one place per layer: the model ([`crate::model`]), a node fault hook
//! ([`byzvote_node::protocol::executor::Fault`]), or the simulated network and the node's
//! lifetime ([`crate::cluster`]).

use byzvote_node::protocol::executor::Fault;
use std::time::Duration;

/// How a member deviates from the protocol (or does not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Follows the protocol with a correct model.
    Honest,
    /// Stops for good at `at` (from the start of the run); `at = 0` never starts.
    Crash { at: Duration },
    /// Stops at `at`, starts again from its persisted state at `back`.
    CrashRestart { at: Duration, back: Duration },
    /// Runs consensus, but its model never answers: it never commits nor reveals.
    Silent,
    /// Honest, with a model that takes `delay` per answer (may miss the commit deadline).
    Slow { delay: Duration },
    /// Signs two different commitments for every request.
    Equivocate,
    /// Reveals something that does not open its commitment.
    WrongReveal,
    /// Reveals only `delay` after the commitment set closes.
    LateReveal { delay: Duration },
    /// Its model always gives its own wrong answer.
    Liar,
    /// Its model always gives `answer`, the same as the rest of its group.
    Collude { answer: String },
    /// Its model answers correctly, except `answer` when the prompt holds `trigger`.
    Backdoor { trigger: String, answer: String },
    /// Honest, but cut off from every member not in the partition between `from` and `until`
    /// (all `Partition` members are on the same side).
    Partition { from: Duration, until: Duration },
    /// Honest, but its links lose and delay messages.
    Lossy {
        latency: Duration,
        jitter: Duration,
        success_percent: u64,
    },
    /// A Byzantine leader: every block it proposes holds an invalid transaction.
    InvalidLeader,
    /// Partial-signs a forged decision (another answer) instead of the real one.
    ForgedDecision,
}

/// How a behaviour counts against the protocol's assumptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Follows the protocol and its network is sound.
    Honest,
    /// Follows the protocol, but is slow or its network is impaired: it may be recorded
    /// as absent (an absence is not a fault) and must still agree.
    Impaired,
    /// Follows the protocol until it stops: counts against `f`, its decisions must agree.
    Crashed,
    /// Arbitrary: counts against `f`; nothing it decides is checked.
    Byzantine,
}

impl Class {
    /// Whether the member follows the protocol (its decisions must agree and its answer
    /// is a truthful one).
    pub fn follows_protocol(self) -> bool {
        self != Class::Byzantine
    }

    /// Whether the member counts against the fault bound `f`.
    pub fn is_faulty(self) -> bool {
        matches!(self, Class::Crashed | Class::Byzantine)
    }
}

impl Behaviour {
    /// The class of this behaviour.
    pub fn class(&self) -> Class {
        match self {
            Behaviour::Honest => Class::Honest,
            Behaviour::Slow { .. } | Behaviour::Partition { .. } | Behaviour::Lossy { .. } => {
                Class::Impaired
            }
            Behaviour::Crash { .. } | Behaviour::CrashRestart { .. } => Class::Crashed,
            Behaviour::Silent
            | Behaviour::Equivocate
            | Behaviour::WrongReveal
            | Behaviour::LateReveal { .. }
            | Behaviour::Liar
            | Behaviour::Collude { .. }
            | Behaviour::Backdoor { .. }
            | Behaviour::InvalidLeader
            | Behaviour::ForgedDecision => Class::Byzantine,
        }
    }

    /// The node-level fault hook this behaviour needs, if any.
    pub fn fault(&self) -> Option<Fault> {
        match self {
            Behaviour::Equivocate => Some(Fault::Equivocate),
            Behaviour::WrongReveal => Some(Fault::WrongReveal),
            Behaviour::LateReveal { delay } => Some(Fault::LateReveal(*delay)),
            Behaviour::InvalidLeader => Some(Fault::InvalidProposals),
            Behaviour::ForgedDecision => Some(Fault::ForgedDecision),
            _ => None,
        }
    }

    /// The answer this member's model gives to a prompt whose true answer is `truth`, or
    /// `None` if the model never answers.
    pub fn answer(&self, member: u32, prompt: &str, truth: &str) -> Option<String> {
        match self {
            Behaviour::Silent => None,
            Behaviour::Liar => Some(format!("lie-{member}")),
            Behaviour::Collude { answer } => Some(answer.clone()),
            Behaviour::Backdoor { trigger, answer } if prompt.contains(trigger.as_str()) => {
                Some(answer.clone())
            }
            _ => Some(truth.to_string()),
        }
    }

    /// When the member stops and (maybe) comes back.
    pub fn lifetime(&self) -> (Option<Duration>, Option<Duration>) {
        match self {
            Behaviour::Crash { at } => (Some(*at), None),
            Behaviour::CrashRestart { at, back } => (Some(*at), Some(*back)),
            _ => (None, None),
        }
    }
}
