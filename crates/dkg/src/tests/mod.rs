//! Simulation tests: whole ceremonies on the deterministic runtime with `p2p::simulated`.

mod byzantine;
mod cluster;
mod honest;
mod noise;
mod wire;
