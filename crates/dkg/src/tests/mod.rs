//! Simulation tests: whole ceremonies on the deterministic runtime with `p2p::simulated`.

mod byzantine;
mod cluster;
mod honest;
mod noise;
mod ordered;
mod restart;
mod sequencer;
mod wire;
