//! Simulation tests: whole ceremonies on the deterministic runtime with `p2p::simulated`.

mod byzantine;
mod cluster;
mod honest;
mod noise;
mod ordered;
mod sequencer;
mod wire;
