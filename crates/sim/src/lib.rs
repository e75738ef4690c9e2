//! Deterministic simulation of byzvote clusters with Byzantine members (issue 5).
