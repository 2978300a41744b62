//! Fixture tests of the fleet: parsing, matching and executor checks.
