//! Hash maps and sets keyed with foldhash instead of the standard library's SipHash. The
//! keys are mostly short names (jobs, variables, expressions). On the 10,006-job benchmark
//! pipeline the switch saved 0.7% of an evaluation's instructions, most of them in the job
//! graph and the needs checks, which run on the calling thread alone. No order or output
//! depends on the hash.

/// A [`std::collections::HashMap`] with foldhash's randomly seeded hasher by default.
pub(crate) type HashMap<K, V, S = foldhash::fast::RandomState> = std::collections::HashMap<K, V, S>;

/// A [`std::collections::HashSet`] with foldhash's randomly seeded hasher by default.
pub(crate) type HashSet<T, S = foldhash::fast::RandomState> = std::collections::HashSet<T, S>;
