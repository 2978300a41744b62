//! Hash maps and sets keyed with foldhash instead of the standard library's SipHash. The
//! keys are mostly short names (jobs, variables, expressions), which SipHash hashes several
//! times slower, and no order or output depends on the hash.

/// A [`std::collections::HashMap`] with foldhash's randomly seeded hasher by default.
pub(crate) type HashMap<K, V, S = foldhash::fast::RandomState> = std::collections::HashMap<K, V, S>;

/// A [`std::collections::HashSet`] with foldhash's randomly seeded hasher by default.
pub(crate) type HashSet<T, S = foldhash::fast::RandomState> = std::collections::HashSet<T, S>;
