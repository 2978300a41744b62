//! Helpers for the workspace's integration tests: reading the conformance corpus manifest and
//! its expectation lists, and file providers for corpus files.

#![deny(missing_docs)]

pub mod corpus;
