//! Helpers for the workspace's integration tests: reading the conformance corpus manifest and
//! its expectation lists, file providers for corpus files, and a JSON Schema validator for plan
//! outputs.

#![deny(missing_docs)]

pub mod corpus;
pub mod json_schema;
