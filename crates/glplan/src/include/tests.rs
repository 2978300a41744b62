//! Tests of include processing against in-memory files.
