//! A deterministic simulation of a planned pipeline on a runner fleet: runner slots over time.
