//! Job variable lists built from parts shared by many jobs of the pipeline.
//!
//! A job's variable list, in GitLab's order, is its own predefined variables (`CI_JOB_*`,
//! `CI_NODE_*`, `CI_ENVIRONMENT_*`), the pipeline's predefined and deployment variables, its
//! YAML variables, then the user, CI/CD settings, pipeline and release variables, and for a
//! created job with an environment `CI_ENVIRONMENT_SLUG` and `CI_ENVIRONMENT_URL`. Only the
//! job's own predefined variables, its YAML variables and that last part depend on the job;
//! the rest depends on the pipeline and on the job's expanded environment name (deployment and
//! environment-scoped settings variables). The shared parts are taken once per environment
//! from the variables engine, by building the lists of a template job whose only YAML
//! variable is a marker, and cutting them after the template's own predefined variables and
//! around the marker. The tests check the result against the engine's lists.
//!
//! Expansion of references between variables only concerns the definitions that contain
//! references and the definitions those reach, so it runs on that closure, not on the whole
//! list; every other value expands to itself.

use std::cell::{OnceCell, RefCell};

use crate::hash::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock};

use compact_str::CompactString;

use crate::context::PipelineContext;
use crate::expr;
use crate::variables::{
    ExpandOptions, Expansion, GlobalVariables, InheritVariables, JobEnvironment, JobOutcome,
    JobSpec, ResolvedVariable, VariableList, VariableSource, YamlVariable, environment_slug,
    expand, job_level_variables, job_predefined_variables, job_variables, job_yaml_variables,
    merge_job_lists, root_variables, scope_rank, seed_variables, sort_and_expand_all,
};
use crate::variables::{
    expand_collection_value, sort_and_expand_definitions, sort_and_expand_indexed,
};
use crate::variables::{is_blank, job_variables_in_environment, seed_variables_in_environment};

/// Name of the YAML variable that marks where the job's YAML variables go in a template list.
/// Only the template job's YAML variables and the context's variables reach those lists, and
/// GitLab limits the keys of CI/CD variables to letters, digits and `_`, so no name GitLab
/// accepts contains the NUL character this one starts with.
const MARKER: &str = "\u{0}glplan-yaml-position";

/// The variables GitLab appends to a created job's list once its environment exists.
const ENVIRONMENT_TAIL: [&str; 2] = ["CI_ENVIRONMENT_SLUG", "CI_ENVIRONMENT_URL"];

/// A multiply-and-rotate string hasher for the name indexes of shared parts. Every variable
/// lookup of every job hashes the name once per shared part, and the standard SipHash made
/// those lookups a large share of pipeline creation. The keys are variable names of the
/// pipeline being planned; a configuration that collides them on purpose only slows its own
/// planning down.
#[derive(Default)]
struct NameHasher(u64);

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(SEED);
        }
        for &byte in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(SEED);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type NameIndex = HashMap<CompactString, Vec<usize>, BuildHasherDefault<NameHasher>>;

/// Expanded-length bounds by name, `None` while a name's bound is being computed.
///
/// A job's list references a few dozen names at most in the usual case, so they are searched
/// linearly until there are [`LengthBounds::LINEAR`] of them, then hashed.
#[derive(Default)]
struct LengthBounds<'s> {
    linear: Vec<(&'s str, Option<usize>)>,
    hashed: HashMap<&'s str, Option<usize>, BuildHasherDefault<NameHasher>>,
}

impl<'s> LengthBounds<'s> {
    const LINEAR: usize = 32;

    fn get(&self, name: &str) -> Option<Option<usize>> {
        if self.hashed.is_empty() {
            self.linear
                .iter()
                .find(|(known, _)| *known == name)
                .map(|(_, bound)| *bound)
        } else {
            self.hashed.get(name).copied()
        }
    }

    fn new() -> Self {
        LengthBounds {
            linear: Vec::with_capacity(Self::LINEAR),
            hashed: HashMap::default(),
        }
    }

    /// Records that the bound of `name`, which has none yet, is being computed. Returns the
    /// slot for [`LengthBounds::finish`].
    fn start(&mut self, name: &'s str) -> usize {
        if self.hashed.is_empty() && self.linear.len() < Self::LINEAR {
            self.linear.push((name, None));
            return self.linear.len() - 1;
        }
        if self.hashed.is_empty() {
            self.hashed.extend(self.linear.drain(..));
        }
        self.hashed.insert(name, None);
        usize::MAX
    }

    /// Records the bound of `name`, whose computation [`LengthBounds::start`] gave `slot`.
    fn finish(&mut self, slot: usize, name: &'s str, bound: Option<usize>) {
        // The names may have moved to the map since `start`.
        if !self.hashed.is_empty() {
            self.hashed.insert(name, bound);
        } else if let Some(entry) = self.linear.get_mut(slot) {
            entry.1 = bound;
        }
    }
}

/// Maximum reference depth that [`Layers::added_bytes_bound`] follows. Past it the check is
/// left to the expansion itself, which keeps the recursion shallow.
const MAX_BOUND_DEPTH: usize = 64;

/// One part of a [`Layers`] list: definitions in order, with what lookups and expansion need
/// precomputed.
#[derive(Debug, Default)]
struct Part {
    entries: Vec<ResolvedVariable>,
    /// Positions of each name's definitions; only for parts long enough that a linear search
    /// costs more than hashing.
    index: Option<NameIndex>,
    /// Positions of the definitions whose values reference other variables.
    referencing: Vec<usize>,
    /// For each entry of `referencing`, the range of `names` that holds the names its value
    /// references.
    name_ranges: Vec<(usize, usize)>,
    /// Byte ranges, in the values, of the names the referencing definitions reference.
    names: Vec<(usize, usize)>,
    /// Positions of the definitions that are not predefined variables.
    user: Vec<usize>,
    /// Whether the part's own referencing definitions form a cycle.
    internal_cycle: bool,
    /// A 64-bit filter of the names the part defines ([`name_bit`]). A lookup of a name whose
    /// bit is clear skips the part, and most lookups walk several parts before the one that
    /// defines the name.
    names_filter: u64,
    /// The [`name_bit`] filter of the names of the referencing definitions.
    referencing_filter: u64,
    /// The [`name_bit`] filter of the names the referencing definitions reference.
    referenced_filter: u64,
}

/// Returns the bit of `name` in a [`Part`]'s names filter, from its length and its first and
/// last bytes. Names of one length often share a prefix, and `CI_` names share the first byte.
#[inline]
fn name_bit(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let first = bytes.first().copied().map_or(0, u32::from);
    let last = bytes.last().copied().map_or(0, u32::from);
    // Only the low bits of the length matter.
    let length = bytes.len() as u32;
    let mixed = length.wrapping_mul(0x9E37_79B9) ^ last.wrapping_mul(0x85EB_CA6B) ^ first;
    1 << (mixed.rotate_left(7) % 64)
}

/// Parts up to this length are searched linearly.
const LINEAR_SEARCH: usize = 16;

impl Part {
    fn new(entries: Vec<ResolvedVariable>) -> Part {
        let referencing: Vec<usize> = entries
            .iter()
            .enumerate()
            .filter(|(_, variable)| has_references(variable))
            .map(|(position, _)| position)
            .collect();
        let mut names = Vec::new();
        let mut name_ranges = Vec::with_capacity(referencing.len());
        for variable in referencing.iter().filter_map(|&p| entries.get(p)) {
            let start = names.len();
            let base = variable.value.as_ptr() as usize;
            names.extend(ReferenceNames::new(&variable.value).map(|name| {
                let offset = name.as_ptr() as usize - base;
                (offset, offset + name.len())
            }));
            name_ranges.push((start, names.len()));
        }
        let user = entries
            .iter()
            .enumerate()
            .filter(|(_, variable)| variable.source != VariableSource::Predefined)
            .map(|(position, _)| position)
            .collect();
        let index = (entries.len() > LINEAR_SEARCH).then(|| {
            let mut index = NameIndex::default();
            for (position, variable) in entries.iter().enumerate() {
                index
                    .entry(variable.name.clone())
                    .or_default()
                    .push(position);
            }
            index
        });
        let names_filter = entries
            .iter()
            .fold(0, |filter, variable| filter | name_bit(&variable.name));
        let referencing_filter = referencing
            .iter()
            .filter_map(|&position| entries.get(position))
            .fold(0, |filter, variable| filter | name_bit(&variable.name));
        let referenced_filter = referencing
            .iter()
            .filter_map(|&position| entries.get(position))
            .zip(&name_ranges)
            .flat_map(|(variable, &(start, end))| {
                let value = variable.value.as_str();
                names
                    .get(start..end)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(move |&(from, to)| value.get(from..to))
            })
            .fold(0, |filter, name| filter | name_bit(name));
        let mut part = Part {
            names_filter,
            referencing_filter,
            referenced_filter,
            entries,
            index,
            referencing,
            name_ranges,
            names,
            user,
            internal_cycle: false,
        };
        if part.referencing.len() > 1 {
            let own: Vec<Referencing<'_>> = (0..part.referencing.len())
                .filter_map(|k| part.referencing_at(k))
                .collect();
            part.internal_cycle = has_cycle(&own);
        }
        part
    }

    /// Whether a referencing definition of the part references a name that a referencing
    /// definition of `other` defines.
    fn references_into(&self, other: &Part) -> bool {
        if self.referenced_filter & other.referencing_filter == 0 {
            return false;
        }
        (0..self.referencing.len())
            .filter_map(|k| self.referencing_at(k))
            .flat_map(Referencing::names)
            .any(|name| {
                other
                    .referencing
                    .iter()
                    .filter_map(|&position| other.entries.get(position))
                    .any(|definition| same_name(&definition.name, name))
            })
    }

    /// Returns the `k`th referencing definition, with the names its value references.
    fn referencing_at(&self, k: usize) -> Option<Referencing<'_>> {
        let definition = self.entries.get(*self.referencing.get(k)?)?;
        let &(start, end) = self.name_ranges.get(k)?;
        let names = self.names.get(start..end)?;
        Some(Referencing { definition, names })
    }

    /// Returns the referencing definition at `position`, with the names its value references.
    fn referencing_position(&self, position: usize) -> Option<Referencing<'_>> {
        let k = self.referencing.binary_search(&position).ok()?;
        self.referencing_at(k)
    }

    fn shared(list: &VariableList) -> Arc<Part> {
        Arc::new(Part::new(list.as_slice().to_vec()))
    }

    /// Calls `visit` with the position and the value of each definition of `name`, in order.
    /// `bit` is the [`name_bit`] of `name`, computed once by callers that look one name up in
    /// several parts.
    fn for_each_definition<'p>(
        &'p self,
        name: &str,
        bit: u64,
        mut visit: impl FnMut(usize, &'p ResolvedVariable),
    ) {
        if self.names_filter & bit == 0 {
            return;
        }
        match &self.index {
            Some(index) => {
                for &position in index.get(name).into_iter().flatten() {
                    if let Some(definition) = self.entries.get(position) {
                        visit(position, definition);
                    }
                }
            }
            None => {
                for (position, definition) in self.entries.iter().enumerate() {
                    if same_name(&definition.name, name) {
                        visit(position, definition);
                    }
                }
            }
        }
    }

    fn last(&self, name: &str) -> Option<&ResolvedVariable> {
        self.last_of_bit(name, name_bit(name))
    }

    /// [`Part::last`] with the [`name_bit`] of `name` already computed.
    fn last_of_bit(&self, name: &str, bit: u64) -> Option<&ResolvedVariable> {
        if self.names_filter & bit == 0 {
            return None;
        }
        match &self.index {
            Some(index) => index
                .get(name)
                .and_then(|positions| positions.last())
                .and_then(|&position| self.entries.get(position)),
            None => self
                .entries
                .iter()
                .rev()
                .find(|variable| same_name(&variable.name, name)),
        }
    }
}

/// A definition whose value references other variables, with the byte ranges of the names
/// it references.
#[derive(Clone, Copy)]
struct Referencing<'p> {
    definition: &'p ResolvedVariable,
    names: &'p [(usize, usize)],
}

impl<'p> Referencing<'p> {
    /// Lists the names the value references, as [`reference_names`] does.
    fn names(self) -> impl Iterator<Item = &'p str> {
        let value = self.definition.value.as_str();
        self.names
            .iter()
            .filter_map(move |&(start, end)| value.get(start..end))
    }
}

/// A name a referencing definition references, with its winning definition and, when that
/// one references other variables too, its index among the referencing definitions.
struct Read<'l> {
    name: &'l str,
    found: Option<&'l ResolvedVariable>,
    winner: Option<usize>,
}

/// The definitions of the names a job's variable list shows, grouped by name.
#[derive(Debug, Default)]
pub(super) struct EffectiveDefinitions<'l> {
    definitions: Vec<&'l ResolvedVariable>,
    /// The range of `definitions` of each name, in the order the names are shown.
    ranges: Vec<(usize, usize)>,
}

impl<'l> EffectiveDefinitions<'l> {
    /// Returns the number of names.
    pub(super) fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Iterates over the definitions of each name, in list order, so the last one wins.
    pub(super) fn iter(&self) -> impl Iterator<Item = &[&'l ResolvedVariable]> {
        self.ranges
            .iter()
            .filter_map(|&(start, end)| self.definitions.get(start..end))
    }
}

/// The definitions of a job's list that the runner payload expands, in the order GitLab
/// expands them, each with its expanded value when GitLab looks at its value.
#[derive(Debug, Default)]
pub(super) struct Payload {
    order: Vec<((usize, usize), Option<String>)>,
}

impl Payload {
    /// Returns the last definition of `name` in the payload, with the value sent for it.
    pub(super) fn get<'l>(
        &'l self,
        layers: &'l Layers,
        name: &str,
    ) -> Option<(&'l ResolvedVariable, &'l str)> {
        self.order.iter().rev().find_map(|(position, value)| {
            let definition = layers.at(*position)?;
            same_name(&definition.name, name)
                .then(|| (definition, value.as_deref().unwrap_or(&definition.value)))
        })
    }
}

/// A variable list made of consecutive parts, some shared between jobs. The list is the
/// concatenation of the parts; a later definition of a name wins.
#[derive(Debug, Clone, Default)]
pub(super) struct Layers {
    parts: Vec<Arc<Part>>,
    /// Whether the referencing definitions form a cycle, once known.
    cycle: OnceLock<bool>,
}

impl Layers {
    /// A list of one part.
    pub(super) fn single(list: VariableList) -> Layers {
        Layers::new(vec![Part::shared(&list)])
    }

    fn new(parts: Vec<Arc<Part>>) -> Layers {
        Layers {
            parts,
            cycle: OnceLock::new(),
        }
    }

    /// Returns whether the definitions that reference others form a cycle.
    fn has_cycle(&self) -> bool {
        // A cycle lies within one part or runs through several. Each part knows whether it
        // has one of its own; between parts, a cycle needs a cycle of references from part
        // to part. Only when either may exist are the definitions searched one by one.
        *self.cycle.get_or_init(|| {
            (self.parts.iter().any(|part| part.internal_cycle) || self.parts_cycle()) && {
                let referencing: Vec<Referencing<'_>> = self.referencing().collect();
                has_cycle(&referencing)
            }
        })
    }

    /// Whether the parts reference each other in a cycle: part `a` references part `b` when
    /// a referencing definition of `a` references a name of a referencing definition of `b`.
    fn parts_cycle(&self) -> bool {
        let involved = || {
            self.parts
                .iter()
                .map(Arc::as_ref)
                .filter(|part| !part.referencing.is_empty())
        };
        let count = involved().count();
        if count < 2 {
            return false;
        }
        if count <= SMALL_GRAPH {
            // One bit set of edges per part, without allocating.
            let mut edges = [0u64; SMALL_GRAPH];
            for (a, (slot, from)) in edges.iter_mut().zip(involved()).enumerate() {
                for (b, to) in involved().enumerate() {
                    if a != b && from.references_into(to) {
                        *slot |= 1 << b;
                    }
                }
            }
            return bit_graph_has_cycle(&edges, count);
        }
        let involved: Vec<&Part> = involved().collect();
        let mut offsets = Vec::with_capacity(involved.len() + 1);
        let mut edges: Vec<usize> = Vec::new();
        offsets.push(0);
        for (a, from) in involved.iter().enumerate() {
            edges.extend(
                involved
                    .iter()
                    .enumerate()
                    .filter(|&(b, to)| a != b && from.references_into(to))
                    .map(|(b, _)| b),
            );
            offsets.push(edges.len());
        }
        graph_has_cycle(&offsets, &edges)
    }

    /// Returns the winning definition of `name`.
    pub(super) fn get(&self, name: &str) -> Option<&ResolvedVariable> {
        let bit = name_bit(name);
        self.parts
            .iter()
            .rev()
            .find_map(|part| part.last_of_bit(name, bit))
    }

    /// Iterates over every definition, in order.
    pub(super) fn entries(&self) -> impl Iterator<Item = &ResolvedVariable> {
        self.parts.iter().flat_map(|part| part.entries.iter())
    }

    /// Returns the winning definition of each name, in the order the names first appear, as
    /// [`VariableList::effective`] does; without `predefined`, the names whose winning
    /// definition is a predefined variable are left out.
    #[cfg(test)]
    pub(super) fn effective(&self, predefined: bool) -> Vec<&ResolvedVariable> {
        self.effective_definitions(predefined)
            .iter()
            .filter_map(|definitions| definitions.last().copied())
            .collect()
    }

    /// Returns every definition of each name that [`Layers::effective`] lists, in list order,
    /// so that the last one of each is the winner.
    pub(super) fn effective_definitions(&self, predefined: bool) -> EffectiveDefinitions<'_> {
        let candidates: usize = self
            .parts
            .iter()
            .map(|part| {
                if predefined {
                    part.entries.len()
                } else {
                    part.user.len()
                }
            })
            .sum();
        let mut seen: HashSet<&str, BuildHasherDefault<NameHasher>> =
            HashSet::with_capacity_and_hasher(candidates, BuildHasherDefault::default());
        let mut all = EffectiveDefinitions {
            definitions: Vec::with_capacity(candidates),
            ranges: Vec::new(),
        };
        // (first definition's part and position, start, end) of each name's definitions.
        let mut names: Vec<((usize, usize), usize, usize)> = Vec::with_capacity(candidates);
        for (part_index, part) in self.parts.iter().enumerate() {
            // Only a name with a definition outside the predefined variables can have a
            // winner outside them. One of the two iterators is empty.
            let (every, user) = if predefined {
                (Some(part.entries.iter()), None)
            } else {
                (
                    None,
                    Some(part.user.iter().filter_map(|&p| part.entries.get(p))),
                )
            };
            let candidates = every
                .into_iter()
                .flatten()
                .chain(user.into_iter().flatten());
            for variable in candidates {
                let name = variable.name.as_str();
                if !seen.insert(name) {
                    continue;
                }
                let start = all.definitions.len();
                let mut first = None;
                let bit = name_bit(name);
                for (index, other) in
                    self.parts
                        .iter()
                        .enumerate()
                        .skip(if predefined { part_index } else { 0 })
                {
                    other.for_each_definition(name, bit, |position, definition| {
                        first.get_or_insert((index, position));
                        all.definitions.push(definition);
                    });
                }
                let end = all.definitions.len();
                let winner = all.definitions.get(end.wrapping_sub(1)).copied();
                match (first, winner) {
                    (Some(first), Some(winner))
                        if predefined || winner.source != VariableSource::Predefined =>
                    {
                        names.push((first, start, end));
                    }
                    _ => all.definitions.truncate(start),
                }
            }
        }
        if !predefined {
            names.sort_unstable();
        }
        all.ranges = names
            .into_iter()
            .map(|(_, start, end)| (start, end))
            .collect();
        all
    }

    /// Concatenates the parts into one list.
    pub(super) fn to_list(&self) -> VariableList {
        self.entries().cloned().collect()
    }

    /// The definitions whose values reference other variables, in order.
    fn referencing(&self) -> impl Iterator<Item = Referencing<'_>> {
        self.parts.iter().flat_map(|part| {
            (0..part.referencing.len()).filter_map(move |k| part.referencing_at(k))
        })
    }

    /// Checks the list for reference cycles as GitLab's `sort_and_expand_all` does, or returns
    /// `None` when there is none. Only definitions that reference others can be part of a
    /// cycle; a quick search over those decides whether GitLab's own sort, which also gives
    /// GitLab's order of the names, needs to run.
    pub(super) fn cycles(&self) -> Option<Expansion> {
        if !self.has_cycle() {
            return None;
        }
        let list: VariableList = self
            .referencing()
            .map(|referencing| referencing.definition.clone())
            .collect();
        Some(sort_and_expand_all(&list, ExpandOptions::GITLAB))
    }

    /// Expands the definitions reachable from `roots` (and, with `roots` `None`, from every
    /// definition that references another) with GitLab's collection expansion. Definitions
    /// `keep` rejects are left out first. The result contains the expanded winning definition of
    /// every name reached; a name it lacks expands to itself. With a reference cycle anywhere
    /// in the list GitLab expands nothing, so then every referencing definition is reached
    /// and the values come back unexpanded.
    pub(super) fn expand_closure(
        &self,
        roots: Option<&[&str]>,
        options: ExpandOptions,
        keep: impl Fn(&ResolvedVariable) -> bool,
    ) -> VariableList {
        let closure = self.closure(roots, keep);
        if closure.is_empty() {
            return VariableList::new();
        }
        sort_and_expand_definitions(&closure, options).variables
    }

    /// Expands every definition that references another, with expansion limited to
    /// `max_added_bytes`, and returns the expansion when it stopped at that limit.
    pub(super) fn expansion_too_large(&self, max_added_bytes: usize) -> Option<Expansion> {
        if self
            .added_bytes_bound()
            .is_some_and(|bound| bound <= max_added_bytes)
        {
            return None;
        }
        let closure = self.closure(None, |_| true);
        let options = ExpandOptions {
            max_added_bytes,
            ..ExpandOptions::GITLAB
        };
        let expansion = sort_and_expand_definitions(&closure, options);
        expansion.too_large.is_some().then_some(expansion)
    }

    /// Returns an upper bound on the bytes that expanding every referencing definition adds,
    /// or `None` when a name references itself (directly or through others) or the bound
    /// overflows. Each reference adds at most the longest expanded length among the
    /// definitions of its name. That length is bounded by the definition's own length plus
    /// the bounds of the names it references, without building any text.
    fn added_bytes_bound(&self) -> Option<usize> {
        let mut bounds = LengthBounds::new();
        let mut total: usize = 0;
        for referencing in self.referencing() {
            for name in referencing.names() {
                total = total.checked_add(self.expanded_length_bound(name, &mut bounds, 0)?)?;
            }
        }
        Some(total)
    }

    /// Bounds the expanded length of every definition of `name`; see
    /// [`Layers::added_bytes_bound`]. `bounds` holds the names done so far, and `None` for
    /// the names being bounded, so that a reference back to one of them gives up.
    fn expanded_length_bound<'s>(
        &'s self,
        name: &'s str,
        bounds: &mut LengthBounds<'s>,
        depth: usize,
    ) -> Option<usize> {
        if let Some(bound) = bounds.get(name) {
            return bound;
        }
        if depth > MAX_BOUND_DEPTH {
            return None;
        }
        let slot = bounds.start(name);
        let mut longest = Some(0);
        let bit = name_bit(name);
        for part in &self.parts {
            part.for_each_definition(name, bit, |position, definition| {
                let Some(current) = longest else {
                    return;
                };
                let mut length = Some(definition.value.len());
                if let Some(referencing) = part.referencing_position(position) {
                    for referenced in referencing.names() {
                        let bound = self.expanded_length_bound(referenced, bounds, depth + 1);
                        length = length.zip(bound).and_then(|(a, b)| a.checked_add(b));
                        if length.is_none() {
                            break;
                        }
                    }
                }
                longest = length.map(|length| current.max(length));
            });
        }
        bounds.finish(slot, name, longest);
        longest
    }

    /// The definitions [`Layers::expand_closure`] expands, in list order.
    fn closure(
        &self,
        roots: Option<&[&str]>,
        keep: impl Fn(&ResolvedVariable) -> bool,
    ) -> Vec<&ResolvedVariable> {
        self.closure_positions(roots, keep)
            .into_iter()
            .filter_map(|position| self.at(position))
            .collect()
    }

    /// Returns the definition at `(part, position)`.
    pub(super) fn at(&self, (part, position): (usize, usize)) -> Option<&ResolvedVariable> {
        self.parts.get(part)?.entries.get(position)
    }

    /// Expands every definition that references another, and those they reach, for the runner
    /// payload, as [`Layers::expand_closure`] with no roots does, without copying them.
    ///
    /// Without a reference cycle and without a definition that references its own name,
    /// GitLab's expansion order puts every definition of a name before the definitions that
    /// reference the name, and the definitions of one name in list order. Each reference
    /// then reads the winning definition of its name, expanded, whatever the order, so the
    /// values are computed by name without GitLab's sort. The other lists take the sort.
    pub(super) fn expand_payload(&self, options: ExpandOptions) -> Payload {
        if self.has_cycle() {
            return self.expand_payload_sorted(options);
        }
        // (part, position, definition with its names) of each referencing definition.
        let referencing: Vec<(usize, usize, Referencing<'_>)> = self
            .parts
            .iter()
            .enumerate()
            .flat_map(|(part_index, part)| {
                part.referencing
                    .iter()
                    .enumerate()
                    .filter_map(move |(k, &position)| {
                        Some((part_index, position, part.referencing_at(k)?))
                    })
            })
            .collect();
        let self_referencing = referencing.iter().any(|(_, _, referencing)| {
            let name = referencing.definition.name.as_str();
            referencing.names().any(|referenced| referenced == name)
        });
        if self_referencing {
            return self.expand_payload_sorted(options);
        }
        // The index in `referencing` of a definition; long lists are indexed by address.
        let by_address: Option<HashMap<usize, usize, BuildHasherDefault<NameHasher>>> =
            (referencing.len() > LINEAR_SEARCH).then(|| {
                referencing
                    .iter()
                    .enumerate()
                    .map(|(k, (_, _, r))| (std::ptr::from_ref(r.definition) as usize, k))
                    .collect()
            });
        let index_of = |definition: &ResolvedVariable| -> Option<usize> {
            match &by_address {
                Some(map) => map.get(&(std::ptr::from_ref(definition) as usize)).copied(),
                None => referencing
                    .iter()
                    .position(|(_, _, r)| std::ptr::eq(r.definition, definition)),
            }
        };
        // The index in `referencing` of each name's winning definition, when that one
        // references other variables.
        let winner = |name: &str| -> Option<usize> { index_of(self.get(name)?) };
        // The winning definition of each name that each referencing definition references,
        // with its index in `referencing`, looked up once. The reads of the `k`th definition
        // are `reads[read_ranges[k].0..read_ranges[k].1]`.
        let mut reads: Vec<Read<'_>> = Vec::new();
        let mut read_ranges = Vec::with_capacity(referencing.len());
        for (_, _, definition) in &referencing {
            let start = reads.len();
            reads.extend(definition.names().map(|name| {
                let found = self.get(name);
                Read {
                    name,
                    found,
                    winner: found.and_then(index_of),
                }
            }));
            read_ranges.push((start, reads.len()));
        }
        let reads_of = |k: usize| -> &[Read<'_>] {
            read_ranges
                .get(k)
                .and_then(|&(start, end)| reads.get(start..end))
                .unwrap_or_default()
        };
        // The expanded value of each definition, `None` until it is expanded.
        let mut values: Vec<Option<String>> = vec![None; referencing.len()];
        let expanded =
            |values: &[Option<String>], k: usize| values.get(k).is_none_or(Option::is_some);
        let mut budget = options.max_added_bytes;
        // Depth-first, each definition after the winners of the names it references; the
        // absence of cycles bounds the stack.
        let mut stack = Vec::new();
        for root in 0..referencing.len() {
            if expanded(&values, root) {
                continue;
            }
            stack.clear();
            stack.push(root);
            while let Some(&k) = stack.last() {
                let Some(&(_, _, definition)) = referencing.get(k) else {
                    stack.pop();
                    continue;
                };
                if expanded(&values, k) {
                    stack.pop();
                    continue;
                }
                let before = stack.len();
                stack.extend(
                    reads_of(k)
                        .iter()
                        .filter_map(|read| read.winner)
                        .filter(|&j| !expanded(&values, j)),
                );
                if stack.len() > before {
                    continue;
                }
                stack.pop();
                // The expansion reads only names that `names()` lists, and any other name is
                // looked up in the whole list.
                let lookup = |name: &str| -> Option<(&ResolvedVariable, &str)> {
                    let (found, index) = match reads_of(k).iter().find(|read| read.name == name) {
                        Some(read) => (read.found?, read.winner),
                        None => {
                            let found = self.get(name)?;
                            (found, index_of(found))
                        }
                    };
                    let expanded = index.and_then(|j| values.get(j)?.as_deref());
                    Some((found, expanded.unwrap_or(&found.value)))
                };
                let Some(value) = expand_collection_value(
                    &definition.definition.value,
                    lookup,
                    options,
                    &mut budget,
                ) else {
                    // Past the size limit GitLab expands nothing.
                    return Payload::default();
                };
                if let Some(slot) = values.get_mut(k) {
                    *slot = Some(value);
                }
            }
        }
        // Only the winning definition of each name is sent.
        let order = referencing
            .iter()
            .zip(values)
            .enumerate()
            .filter(|(k, ((_, _, r), _))| winner(&r.definition.name) == Some(*k))
            .map(|(_, ((part, position, _), value))| ((*part, *position), value))
            .collect();
        Payload { order }
    }

    /// [`Layers::expand_payload`] with GitLab's sort, for lists with a cycle or a definition
    /// that references its own name.
    fn expand_payload_sorted(&self, options: ExpandOptions) -> Payload {
        let positions = self.closure_positions(None, |_| true);
        let entries: Vec<&ResolvedVariable> = positions
            .iter()
            .filter_map(|&position| self.at(position))
            .collect();
        if entries.len() != positions.len() {
            return Payload::default();
        }
        let order = match sort_and_expand_indexed(&entries, options) {
            Some(order) => order
                .into_iter()
                .filter_map(|(index, value)| Some((*positions.get(index)?, value)))
                .collect(),
            // Nothing is expanded: every definition is sent as written.
            None => positions
                .into_iter()
                .map(|position| (position, None))
                .collect(),
        };
        Payload { order }
    }

    /// Lists the positions of the definitions [`Layers::closure`] lists, in list order.
    fn closure_positions(
        &self,
        roots: Option<&[&str]>,
        keep: impl Fn(&ResolvedVariable) -> bool,
    ) -> Vec<(usize, usize)> {
        let mut names: Vec<&str> = Vec::new();
        let mut every = true;
        let referencing: Vec<Referencing<'_>> = self
            .referencing()
            .filter(|referencing| {
                let kept = keep(referencing.definition);
                every &= kept;
                kept
            })
            .collect();
        let mut pending: Vec<&str> = roots.map(<[&str]>::to_vec).unwrap_or_default();
        let cycle = if every {
            self.has_cycle()
        } else {
            has_cycle(&referencing)
        };
        if roots.is_none() || cycle {
            pending.extend(
                referencing
                    .iter()
                    .map(|referencing| referencing.definition.name.as_str()),
            );
        }
        // Every definition of each name reached, as (part, position).
        let mut reached: Vec<(usize, usize)> = Vec::new();
        while let Some(name) = pending.pop() {
            if names.contains(&name) {
                continue;
            }
            names.push(name);
            let bit = name_bit(name);
            for (part_index, part) in self.parts.iter().enumerate() {
                part.for_each_definition(name, bit, |position, definition| {
                    if !keep(definition) {
                        return;
                    }
                    reached.push((part_index, position));
                    if let Some(referencing) = part.referencing_position(position) {
                        pending.extend(referencing.names());
                    }
                });
            }
        }
        reached.sort_unstable();
        reached
    }

    /// Expands `value` with GitLab's `ExpandVariables.expand` after expanding the variables
    /// it references: undefined references become empty.
    fn expand_value(&self, value: &str) -> String {
        let roots = reference_names(value);
        let expanded = self.expand_closure(Some(&roots), ExpandOptions::GITLAB, |_| true);
        expand(value, &expanded)
    }
}

/// Expressions read the winning value of each name, as GitLab's rules do.
impl expr::Variables for Layers {
    fn get(&self, name: &str) -> Option<&str> {
        Layers::get(self, name).map(|variable| variable.value.as_str())
    }

    fn get_expanded(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        let value = Layers::get(self, name)?.value.as_str();
        if ReferenceNames::new(value).next().is_none() {
            return Some(std::borrow::Cow::Borrowed(value));
        }
        let expanded = self.expand_closure(Some(&[name]), ExpandOptions::GITLAB, |_| true);
        let value = expanded.value(name).map(str::to_owned);
        value.map(std::borrow::Cow::Owned)
    }
}

/// Whether the definitions reference each other in a cycle of two or more definitions, the
/// cycles GitLab reports (a definition that references only its own name is not one). Each
/// definition references every definition of each name in its value.
fn has_cycle(definitions: &[Referencing<'_>]) -> bool {
    if definitions.len() <= SMALL_GRAPH {
        small_graph_has_cycle(definitions)
    } else {
        edge_list_has_cycle(definitions)
    }
}

/// Checks any number of definitions for a cycle, as [`has_cycle`] does.
fn edge_list_has_cycle(definitions: &[Referencing<'_>]) -> bool {
    // The edges of each definition, `edges[offsets[i]..offsets[i + 1]]`: every definition
    // of each name it references. The lists are short, so a pairwise comparison of names
    // is cheaper than an index.
    let mut offsets = Vec::with_capacity(definitions.len() + 1);
    let mut edges: Vec<usize> = Vec::new();
    offsets.push(0);
    for definition in definitions {
        edges.extend(
            definitions
                .iter()
                .enumerate()
                .filter(|(_, other)| {
                    let name = other.definition.name.as_str();
                    definition.names().any(|referenced| referenced == name)
                })
                .map(|(index, _)| index),
        );
        offsets.push(edges.len());
    }
    if edges.is_empty() {
        return false;
    }
    graph_has_cycle(&offsets, &edges)
}

/// The longest list that [`has_cycle`] checks with one bit set of edges per definition.
const SMALL_GRAPH: usize = 64;

/// Checks at most [`SMALL_GRAPH`] definitions for a cycle without allocating.
fn small_graph_has_cycle(definitions: &[Referencing<'_>]) -> bool {
    let mut edges = [0u64; SMALL_GRAPH];
    for (slot, definition) in edges.iter_mut().zip(definitions) {
        for (index, other) in definitions.iter().enumerate() {
            let name = other.definition.name.as_str();
            if definition.names().any(|referenced| referenced == name) {
                *slot |= 1 << index;
            }
        }
    }
    bit_graph_has_cycle(&edges, definitions.len())
}

/// Checks the first `count` nodes of `edges` for a cycle through two or more nodes. Bit `j` of
/// `edges[i]` is set when node `i` has an edge to node `j`. It removes the nodes whose edges all
/// lead to removed nodes or to themselves until none is left to remove, and whatever remains
/// lies on a cycle or leads into one.
fn bit_graph_has_cycle(edges: &[u64; SMALL_GRAPH], count: usize) -> bool {
    if edges.iter().all(|&node_edges| node_edges == 0) {
        return false;
    }
    let mut left: u64 = if count >= SMALL_GRAPH {
        u64::MAX
    } else {
        (1 << count) - 1
    };
    loop {
        let before = left;
        for (index, node_edges) in edges.iter().enumerate().take(count) {
            let bit = 1u64 << index;
            if left & bit != 0 && node_edges & left & !bit == 0 {
                left &= !bit;
            }
        }
        if left == 0 {
            return false;
        }
        if left == before {
            return true;
        }
    }
}

/// Whether the graph whose node `i` has the edges `edges[offsets[i]..offsets[i + 1]]` has a
/// cycle through two or more nodes; an edge from a node to itself is not one.
fn graph_has_cycle(offsets: &[usize], edges: &[usize]) -> bool {
    if edges.is_empty() {
        return false;
    }
    let nodes = offsets.len().saturating_sub(1);
    let children = |node: usize| -> &[usize] {
        match (offsets.get(node), offsets.get(node + 1)) {
            (Some(&start), Some(&end)) => edges.get(start..end).unwrap_or_default(),
            _ => &[],
        }
    };

    // Depth-first search: an edge to another node still on the stack closes a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnStack,
        Done,
    }
    let mut state = vec![State::New; nodes];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..nodes {
        if state.get(root) != Some(&State::New) {
            continue;
        }
        stack.clear();
        stack.push((root, 0));
        if let Some(slot) = state.get_mut(root) {
            *slot = State::OnStack;
        }
        while let Some((node, next)) = stack.last().copied() {
            let Some(&child) = children(node).get(next) else {
                stack.pop();
                if let Some(slot) = state.get_mut(node) {
                    *slot = State::Done;
                }
                continue;
            };
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            match state.get(child) {
                Some(State::OnStack) if child != node => return true,
                Some(State::New) => {
                    if let Some(slot) = state.get_mut(child) {
                        *slot = State::OnStack;
                    }
                    stack.push((child, 0));
                }
                _ => {}
            }
        }
    }
    false
}

/// Compares two variable names. Names of one length often share a prefix (`CI_COMMIT_SHA`,
/// `CI_COMMIT_REF`), so the last byte is compared before the whole names.
#[inline]
pub(super) fn same_name(left: &str, right: &str) -> bool {
    left.len() == right.len() && left.as_bytes().last() == right.as_bytes().last() && left == right
}

/// Whether GitLab's collection expansion looks at the value: it is not raw and contains `$`
/// or `%`.
fn has_references(variable: &ResolvedVariable) -> bool {
    !variable.raw && variable.value.contains(['$', '%'])
}

/// Lists the names `value` may reference with `$NAME`, `${NAME}` or `%NAME%`. It may list more
/// than GitLab reads (it ignores the `$$` and `%%` escapes), never less, which is what the
/// closure needs.
pub(super) fn reference_names(value: &str) -> Vec<&str> {
    ReferenceNames::new(value).collect()
}

/// The names of [`reference_names`], one at a time.
pub(super) struct ReferenceNames<'v> {
    value: &'v str,
    next: usize,
}

impl<'v> ReferenceNames<'v> {
    pub(super) fn new(value: &'v str) -> ReferenceNames<'v> {
        ReferenceNames { value, next: 0 }
    }
}

impl<'v> Iterator for ReferenceNames<'v> {
    type Item = &'v str;

    fn next(&mut self) -> Option<&'v str> {
        let bytes = self.value.as_bytes();
        while let Some(offset) = bytes
            .get(self.next..)?
            .iter()
            .position(|byte| matches!(byte, b'$' | b'%'))
        {
            let index = self.next + offset;
            self.next = index + 1;
            let mut start = index + 1;
            if bytes.get(index) == Some(&b'$') && bytes.get(start) == Some(&b'{') {
                start += 1;
            }
            let length = bytes
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            if let Some(name) = self.value.get(start..start + length)
                && !name.is_empty()
            {
                return Some(name);
            }
        }
        self.next = bytes.len();
        None
    }
}

/// The parts of the seed and final variable lists that the jobs with the same expanded
/// environment name (or without environment) share.
#[derive(Debug)]
struct SharedParts {
    /// Seed list: from the pipeline's predefined variables up to the YAML variables.
    seed_middle: Arc<Part>,
    /// Seed list: after the YAML variables.
    seed_after: Arc<Part>,
    /// Final list: the variables GitLab stores with a created job (`CI_PIPELINE_ID`, ...).
    final_before: Arc<Part>,
    /// Final list: from the pipeline's predefined variables up to the YAML variables.
    final_middle: Arc<Part>,
    /// Final list: after the YAML variables, without the environment tail.
    final_after: Arc<Part>,
    /// `CI_ENVIRONMENT_SLUG` of the environment, which the environment tail starts with.
    slug: Option<ResolvedVariable>,
}

impl SharedParts {
    /// Builds the shared parts from the lists of a template job with the environment
    /// `environment` (already expanded). Returns `None` when the lists do not have the
    /// expected shape, so that the jobs fall back to the engine.
    fn new(context: &PipelineContext, environment: Option<&str>) -> Option<SharedParts> {
        let template = JobSpec {
            environment: environment.map(JobEnvironment::named),
            ..JobSpec::new("", "")
        };
        let globals = GlobalVariables {
            variables: vec![YamlVariable::new(MARKER, "")],
            workflow_rules: Vec::new(),
        };
        let own = job_predefined_variables(context, &template, environment, false).len();

        // The name has no references, so GitLab's expansion leaves a name that is not blank
        // as it is.
        let expanded = environment
            .filter(|name| !is_blank(name))
            .map(str::to_owned);
        if expanded.as_deref() != environment || environment.is_some_and(|n| n.contains(['$', '%']))
        {
            return None;
        }
        let seed = seed_variables_in_environment(context, &globals, &template, expanded.clone());
        let (seed_middle, seed_after) = split(seed.variables.as_slice(), own)?;

        let outcome = JobOutcome {
            manual: Some(false),
            ..JobOutcome::default()
        };
        let full = job_variables_in_environment(context, &globals, &template, &outcome, expanded)
            .variables;
        let full = full.as_slice();
        // The variables GitLab stores with the job come before the job's own predefined
        // variables, which start with `CI_JOB_NAME`.
        let stored = full.iter().position(|v| v.name == "CI_JOB_NAME")?;
        let final_before = full.get(..stored)?.to_vec();
        let (final_middle, mut final_after) = split(full.get(stored..)?, own)?;
        let mut slug = None;
        if environment.is_some() {
            let tail = final_after
                .iter()
                .rev()
                .take_while(|v| ENVIRONMENT_TAIL.contains(&v.name.as_str()))
                .count();
            let keep = final_after.len() - tail;
            slug = final_after
                .get(keep..)
                .unwrap_or_default()
                .iter()
                .rev()
                .find(|v| v.name == "CI_ENVIRONMENT_SLUG")
                .cloned();
            final_after.truncate(keep);
            slug.as_ref()?;
        }
        let part = |entries| Arc::new(Part::new(entries));
        Some(SharedParts {
            seed_middle: part(seed_middle),
            seed_after: part(seed_after),
            final_before: part(final_before),
            final_middle: part(final_middle),
            final_after: part(final_after),
            slug,
        })
    }
}

/// The job's own predefined variables as a part.
fn own_part(
    context: &PipelineContext,
    spec: &JobSpec,
    environment: Option<&str>,
    manual: bool,
) -> Arc<Part> {
    let own = job_predefined_variables(context, spec, environment, manual);
    Arc::new(Part::new(
        own.into_iter().map(|entry| entry.variable).collect(),
    ))
}

/// Cuts a template list after the template job's `own` predefined variables and around the
/// marker.
fn split(
    entries: &[ResolvedVariable],
    own: usize,
) -> Option<(Vec<ResolvedVariable>, Vec<ResolvedVariable>)> {
    let marker = entries.iter().position(|v| v.name == MARKER)?;
    let middle = entries.get(own..marker)?.to_vec();
    let after = entries.get(marker + 1..)?.to_vec();
    Some((middle, after))
}

/// The rank of [`scope_rank`] of each deployment, group and project variable for an
/// environment name, in the context's order, and `None` where the scope does not apply.
type ScopeSignature = Vec<Option<u8>>;

/// A job's seed list, with the parts the job's final list may reuse.
#[derive(Debug, Clone)]
pub(super) struct SeedList {
    /// The list.
    pub(super) layers: Layers,
    /// The job's own predefined variables and the `manual` flag and environment they were
    /// built for.
    own: Option<(Arc<Part>, bool, Option<String>)>,
    /// The job's YAML variables without a rule's.
    yaml: Option<Vec<Arc<Part>>>,
    /// The environment name of a list the variables engine built, which has no `own` part.
    engine_environment: Option<String>,
}

impl SeedList {
    /// Returns the job's environment name after GitLab's expansion, which selects the
    /// environment-scoped settings variables.
    pub(super) fn environment(&self) -> Option<&str> {
        match &self.own {
            Some((_, _, environment)) => environment.as_deref(),
            None => self.engine_environment.as_deref(),
        }
    }
}

/// A job's final list and its expanded environment name.
#[derive(Debug, Clone)]
pub(super) struct FinalList {
    /// The list.
    pub(super) layers: Layers,
    /// The environment name after GitLab's expansion.
    pub(super) environment: Option<String>,
}

/// Builds seed and final variable lists, sharing what jobs have in common. Falls back to the
/// variables engine for anything the shared parts cannot express.
#[derive(Debug)]
pub(super) struct VariableLists<'c> {
    context: &'c PipelineContext,
    plain: Option<Arc<SharedParts>>,
    by_environment: RefCell<HashMap<String, Option<Arc<SharedParts>>>>,
    /// The shared parts by [`VariableLists::scope_signature`]: environments whose names
    /// select the same deployment and settings variables share every part but the slug.
    by_scopes: RefCell<HashMap<ScopeSignature, Option<Arc<SharedParts>>>>,
    /// The pipeline's top-level variables, when they are known up front, with the part of
    /// their root YAML variables, built at first use. Calls with these variables find the part
    /// by address, which is sound because the borrow keeps them alive and unchanged while
    /// `self` exists.
    pipeline_root: Option<(&'c GlobalVariables, OnceCell<Arc<Part>>)>,
    /// The last other top-level variables seen, with the part of their root YAML variables
    /// that every job inheriting them unchanged shares.
    root: RefCell<Option<(GlobalVariables, Arc<Part>)>>,
    /// Root parts without the names some jobs redefine, by the root part's address and
    /// those names; each entry keeps its root part alive so that the address stays its own.
    root_without: RefCell<RootWithout>,
}

/// See [`VariableLists::root_without`].
type RootWithout = HashMap<(usize, Vec<String>), (Arc<Part>, Arc<Part>)>;

impl<'c> VariableLists<'c> {
    /// Returns the pipeline context the lists are built for.
    pub(super) fn context(&self) -> &'c PipelineContext {
        self.context
    }

    pub(super) fn new(context: &'c PipelineContext) -> VariableLists<'c> {
        VariableLists {
            context,
            plain: SharedParts::new(context, None).map(Arc::new),
            by_environment: RefCell::new(HashMap::default()),
            by_scopes: RefCell::new(HashMap::default()),
            pipeline_root: None,
            root: RefCell::new(None),
            root_without: RefCell::new(HashMap::default()),
        }
    }

    /// Creates the lists of a pipeline whose top-level variables are `globals`. Every job
    /// passes them again, and they are then recognized by address instead of compared.
    pub(super) fn with_globals(
        context: &'c PipelineContext,
        globals: &'c GlobalVariables,
    ) -> VariableLists<'c> {
        VariableLists {
            pipeline_root: Some((globals, OnceCell::new())),
            ..VariableLists::new(context)
        }
    }

    /// Ranks each deployment, group and project variable's environment scope against the
    /// environment `name`. Apart from `CI_ENVIRONMENT_SLUG`, the shared parts depend on the
    /// environment name only through these ranks.
    fn scope_signature(&self, name: &str) -> ScopeSignature {
        let context = self.context;
        let groups = context.group_variables.iter().flat_map(|g| &g.variables);
        context
            .deployment_variables
            .iter()
            .chain(groups)
            .chain(&context.project_variables)
            .map(|variable| scope_rank(&variable.environment_scope, Some(name)))
            .collect()
    }

    /// Builds the shared parts of the environment `name`, from those of an environment with
    /// the same scope signature when there is one.
    fn shared_for(&self, name: &str) -> Option<Arc<SharedParts>> {
        let signature = self.scope_signature(name);
        let known = self.by_scopes.borrow().get(&signature).cloned();
        let Some(known) = known else {
            let parts = SharedParts::new(self.context, Some(name)).map(Arc::new);
            self.by_scopes.borrow_mut().insert(signature, parts.clone());
            return parts;
        };
        let known = known?;
        let slug = ResolvedVariable {
            value: environment_slug(name),
            ..known.slug.clone()?
        };
        Some(Arc::new(SharedParts {
            seed_middle: known.seed_middle.clone(),
            seed_after: known.seed_after.clone(),
            final_before: known.final_before.clone(),
            final_middle: known.final_middle.clone(),
            final_after: known.final_after.clone(),
            slug: Some(slug),
        }))
    }

    /// The shared parts of jobs whose expanded environment name is `environment`.
    fn shared(&self, environment: Option<&str>) -> Option<Arc<SharedParts>> {
        let Some(name) = environment else {
            return self.plain.clone();
        };
        // A name that still contains references, or that is blank, is left to the engine.
        if name.trim().is_empty() || name.contains(['$', '%']) {
            return None;
        }
        if let Some(parts) = self.by_environment.borrow().get(name) {
            return parts.clone();
        }
        let parts = self.shared_for(name);
        self.by_environment
            .borrow_mut()
            .insert(name.to_owned(), parts.clone());
        parts
    }

    /// Returns the part of the root YAML variables of `globals`. The part of the pipeline's
    /// variables is built once, and any other part again whenever `globals` differs from the
    /// last call's.
    fn root_part(&self, globals: &GlobalVariables) -> Arc<Part> {
        if let Some((pipeline_globals, part)) = &self.pipeline_root
            && std::ptr::eq(*pipeline_globals, globals)
        {
            return part
                .get_or_init(|| Arc::new(Part::new(root_variables(globals))))
                .clone();
        }
        if let Some((known, part)) = &*self.root.borrow()
            && known == globals
        {
            return part.clone();
        }
        let part = Arc::new(Part::new(root_variables(globals)));
        *self.root.borrow_mut() = Some((globals.clone(), part.clone()));
        part
    }

    /// Returns `root` without the definitions of `names`, built once for each set of names.
    fn root_without(&self, root: &Arc<Part>, mut names: Vec<String>) -> Arc<Part> {
        names.sort_unstable();
        names.dedup();
        let key = (Arc::as_ptr(root) as usize, names);
        if let Some((_, part)) = self.root_without.borrow().get(&key) {
            return part.clone();
        }
        let kept = root
            .entries
            .iter()
            .filter(|variable| {
                key.1
                    .binary_search_by(|name| name.as_str().cmp(&variable.name))
                    .is_err()
            })
            .cloned()
            .collect();
        let part = Arc::new(Part::new(kept));
        self.root_without
            .borrow_mut()
            .insert(key, (root.clone(), part.clone()));
        part
    }

    /// Builds the job's YAML variables ([`job_yaml_variables`]) as parts. A job that inherits
    /// every root variable gets the shared root part, without the names it redefines, and its
    /// own part: GitLab's merge keeps each name once, at the position of the definition that
    /// wins, so the redefined root names move to the job's part. Any other job gets one part.
    ///
    /// `seed_own` is the own part built for the job's seed, without rule variables. When the
    /// rule's variables redefine none of its names, the merge leaves it as it is and appends
    /// the rule's variables, so it is reused and they get a third part.
    fn yaml_parts(
        &self,
        globals: &GlobalVariables,
        spec: &JobSpec,
        rule_variables: &[YamlVariable],
        seed_own: Option<&Arc<Part>>,
    ) -> Vec<Arc<Part>> {
        if spec.inherit == InheritVariables::All {
            let root = self.root_part(globals);
            let redefined: Vec<String> = spec
                .variables
                .iter()
                .chain(&spec.matrix)
                .chain(rule_variables)
                .filter(|variable| root.last(&variable.name).is_some())
                .map(|variable| variable.name.clone())
                .collect();
            let root = if redefined.is_empty() {
                root
            } else {
                self.root_without(&root, redefined)
            };
            let reusable = seed_own.filter(|own| {
                !rule_variables.is_empty()
                    && rule_variables
                        .iter()
                        .all(|variable| own.last(&variable.name).is_none())
            });
            if let Some(own) = reusable {
                let rules = Arc::new(Part::new(merge_job_lists(&[], &[], rule_variables)));
                return vec![root, own.clone(), rules];
            }
            let own = Arc::new(Part::new(job_level_variables(spec, rule_variables)));
            return vec![root, own];
        }
        vec![Arc::new(Part::new(job_yaml_variables(
            globals,
            spec,
            rule_variables,
        )))]
    }

    /// Expands the job's environment name as GitLab does before the environment exists: with
    /// the job's list built without environment.
    fn environment_name(
        &self,
        spec: &JobSpec,
        manual: bool,
        yaml: &[Arc<Part>],
    ) -> Option<Option<String>> {
        let Some(environment) = &spec.environment else {
            return Some(None);
        };
        if environment.name.trim().is_empty() {
            return None;
        }
        let plain = self.plain.as_ref()?;
        let own = job_predefined_variables(self.context, spec, None, manual);
        let mut parts = Vec::with_capacity(yaml.len() + 3);
        parts.push(Arc::new(Part::new(
            own.into_iter().map(|entry| entry.variable).collect(),
        )));
        parts.push(plain.seed_middle.clone());
        parts.extend(yaml.iter().cloned());
        parts.push(plain.seed_after.clone());
        let layers = Layers::new(parts);
        Some(Some(layers.expand_value(&environment.name)))
    }

    /// The list `rules:if` reads for a job.
    pub(super) fn seed(&self, globals: &GlobalVariables, spec: &JobSpec) -> SeedList {
        let yaml = self.yaml_parts(globals, spec, &[], None);
        let environment = self.environment_name(spec, spec.manual, &yaml);
        let shared = environment
            .as_ref()
            .and_then(|environment| self.shared(environment.as_deref()));
        let (Some(shared), Some(environment)) = (shared, environment) else {
            let engine = seed_variables(self.context, globals, spec);
            return SeedList {
                layers: Layers::single(engine.variables),
                own: None,
                yaml: None,
                engine_environment: engine.environment,
            };
        };
        let own = own_part(self.context, spec, environment.as_deref(), spec.manual);
        let mut parts = Vec::with_capacity(yaml.len() + 3);
        parts.push(own.clone());
        parts.push(shared.seed_middle.clone());
        parts.extend(yaml.iter().cloned());
        parts.push(shared.seed_after.clone());
        SeedList {
            layers: Layers::new(parts),
            own: Some((own, spec.manual, environment)),
            yaml: Some(yaml),
            engine_environment: None,
        }
    }

    /// The list GitLab stores with a created job and sends to the runner.
    pub(super) fn final_list(
        &self,
        globals: &GlobalVariables,
        spec: &JobSpec,
        outcome: &JobOutcome,
        seed: &SeedList,
    ) -> FinalList {
        let manual = outcome.manual.unwrap_or(spec.manual);
        let (yaml, environment) = match (&seed.yaml, outcome.rule_variables.is_empty()) {
            (Some(yaml), true) => {
                // The seed's environment name was expanded from the same YAML parts, so it
                // is reused when the `manual` flag it was built with is the same too.
                let environment = match &seed.own {
                    Some((_, seed_manual, environment)) if *seed_manual == manual => {
                        Some(environment.clone())
                    }
                    _ => self.environment_name(spec, manual, yaml),
                };
                (yaml.clone(), environment)
            }
            (yaml, _) => {
                let seed_own = yaml.as_ref().and_then(|parts| parts.last());
                let yaml = self.yaml_parts(globals, spec, &outcome.rule_variables, seed_own);
                let environment = self.environment_name(spec, manual, &yaml);
                (yaml, environment)
            }
        };
        let shared = environment
            .as_ref()
            .and_then(|environment| self.shared(environment.as_deref()));
        let (Some(shared), Some(environment)) = (shared, environment) else {
            let engine = job_variables(self.context, globals, spec, outcome);
            return FinalList {
                layers: Layers::single(engine.variables),
                environment: engine.environment,
            };
        };
        let own = match &seed.own {
            Some((own, own_manual, own_environment))
                if *own_manual == manual && *own_environment == environment =>
            {
                own.clone()
            }
            _ => own_part(self.context, spec, environment.as_deref(), manual),
        };
        // The parts before and after the YAML parts, and the environment tail.
        let mut parts = Vec::with_capacity(yaml.len() + 5);
        parts.push(shared.final_before.clone());
        parts.push(own);
        parts.push(shared.final_middle.clone());
        parts.extend(yaml);
        parts.push(shared.final_after.clone());
        if let (Some(slug), false) = (&shared.slug, spec.bridge) {
            let mut tail = vec![slug.clone()];
            let url = spec.environment.as_ref().and_then(|e| e.url.as_ref());
            if let Some(url) = url {
                tail.push(ResolvedVariable {
                    name: CompactString::const_new("CI_ENVIRONMENT_URL"),
                    value: url.clone(),
                    ..slug.clone()
                });
            }
            parts.push(Arc::new(Part::new(tail)));
        }
        FinalList {
            layers: Layers::new(parts),
            environment,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::SettingsVariable;
    use crate::variables::InheritVariables;

    /// The names filter never skips a part that defines the name: every lookup agrees with a
    /// search of the whole part, for parts searched linearly and parts with an index.
    #[test]
    fn names_filter_keeps_every_defined_name() {
        let names: Vec<String> = (0..40)
            .map(|i| format!("CI_NAME_{i}"))
            .chain(["A", "B", "CI_COMMIT_SHA", "CI_COMMIT_REF", ""].map(str::to_owned))
            .collect();
        for length in [3, 16, 17, 45] {
            let entries: Vec<ResolvedVariable> = names
                .iter()
                .take(length)
                .map(|name| ResolvedVariable::new(name, "v", VariableSource::GlobalYaml))
                .collect();
            let part = Part::new(entries.clone());
            for name in names
                .iter()
                .chain(&["CI_NAME_400".to_owned(), "Z".to_owned()])
            {
                let expected = entries.iter().rev().find(|v| v.name == *name);
                assert_eq!(part.last(name), expected, "{length}: {name}");
            }
        }
    }

    fn same(layers: &Layers, engine: &VariableList, case: &str) {
        let ours: Vec<_> = layers.entries().collect();
        let theirs: Vec<_> = engine.iter().collect();
        assert_eq!(ours, theirs, "{case}");
    }

    fn contexts() -> Vec<(&'static str, PipelineContext)> {
        let mut settings = PipelineContext::push("main");
        settings.project_variables = vec![
            SettingsVariable::new("P", "project $G"),
            SettingsVariable {
                protected: true,
                ..SettingsVariable::new("PROTECTED", "yes")
            },
            SettingsVariable {
                environment_scope: "review/*".to_owned(),
                ..SettingsVariable::new("SCOPED", "review")
            },
            SettingsVariable {
                environment_scope: "production".to_owned(),
                ..SettingsVariable::new("SCOPED", "production")
            },
        ];
        settings.deployment_variables = vec![SettingsVariable {
            file: true,
            environment_scope: "review/*".to_owned(),
            ..SettingsVariable::new("KUBECONFIG", "apiVersion: v1")
        }];
        settings.pipeline_variables = vec![SettingsVariable::new("RUN", "manual")];
        let mut no_user = PipelineContext::tag("v1.0");
        no_user.user = None;
        vec![
            ("push", PipelineContext::push("main")),
            ("settings", settings),
            ("tag without user", no_user),
            (
                "merge request",
                PipelineContext::merge_request("feature", "main"),
            ),
            ("schedule", PipelineContext::schedule("main")),
        ]
    }

    fn specs() -> Vec<(&'static str, JobSpec)> {
        let review = JobEnvironment {
            url: Some("https://$CI_ENVIRONMENT_SLUG.example.com".to_owned()),
            ..JobEnvironment::named("review/$CI_COMMIT_REF_SLUG")
        };
        let production = JobEnvironment {
            action: "stop".to_owned(),
            deployment_tier: Some("staging".to_owned()),
            ..JobEnvironment::named("production")
        };
        vec![
            ("plain", JobSpec::new("build", "build")),
            (
                "manual parallel",
                JobSpec {
                    manual: true,
                    node_index: Some(2),
                    node_total: 3,
                    variables: vec![YamlVariable::new("G", "job")],
                    ..JobSpec::new("rspec 2/3", "test")
                },
            ),
            (
                "matrix without globals",
                JobSpec {
                    matrix: vec![YamlVariable::new("OS", "linux")],
                    inherit: InheritVariables::None,
                    ..JobSpec::new("build: [linux]", "build")
                },
            ),
            (
                "bridge",
                JobSpec {
                    bridge: true,
                    ..JobSpec::new("trigger", "deploy")
                },
            ),
            (
                "review environment",
                JobSpec {
                    environment: Some(review.clone()),
                    ..JobSpec::new("review", "deploy")
                },
            ),
            (
                "environment from a YAML variable",
                JobSpec {
                    environment: Some(JobEnvironment::named("$G")),
                    ..JobSpec::new("deploy", "deploy")
                },
            ),
            (
                "stop production",
                JobSpec {
                    environment: Some(production),
                    manual: true,
                    ..JobSpec::new("stop", "deploy")
                },
            ),
            (
                "bridge with environment",
                JobSpec {
                    bridge: true,
                    environment: Some(review),
                    ..JobSpec::new("downstream", "deploy")
                },
            ),
        ]
    }

    fn globals() -> GlobalVariables {
        GlobalVariables {
            variables: vec![
                YamlVariable::new("G", "global"),
                YamlVariable::raw("R", "$G"),
            ],
            workflow_rules: vec![YamlVariable::new("W", "workflow")],
        }
    }

    #[test]
    fn seed_lists_match_engine() {
        for (context_name, context) in contexts() {
            let lists = VariableLists::new(&context);
            for (spec_name, spec) in specs() {
                let engine = seed_variables(&context, &globals(), &spec).variables;
                let seed = lists.seed(&globals(), &spec);
                same(
                    &seed.layers,
                    &engine,
                    &format!("{context_name}, {spec_name}"),
                );
            }
        }
    }

    #[test]
    fn final_lists_match_engine() {
        let outcomes = [
            JobOutcome::default(),
            JobOutcome {
                manual: Some(true),
                rule_variables: vec![YamlVariable::new("G", "rule")],
                ..JobOutcome::default()
            },
        ];
        for (context_name, context) in contexts() {
            let lists = VariableLists::new(&context);
            for (spec_name, spec) in specs() {
                let seed = lists.seed(&globals(), &spec);
                for outcome in &outcomes {
                    let engine = job_variables(&context, &globals(), &spec, outcome);
                    let ours = lists.final_list(&globals(), &spec, outcome, &seed);
                    let case = format!("{context_name}, {spec_name}");
                    same(&ours.layers, &engine.variables, &case);
                    assert_eq!(ours.environment, engine.environment, "{case}");
                }
            }
        }
    }

    #[test]
    fn environments_share_parts() {
        let context = PipelineContext::push("main");
        let lists = VariableLists::new(&context);
        let spec = JobSpec {
            environment: Some(JobEnvironment::named("review/$CI_COMMIT_REF_SLUG")),
            ..JobSpec::new("review", "deploy")
        };
        let first = lists.seed(&globals(), &spec);
        let second = lists.seed(&globals(), &spec);
        assert!(first.own.is_some(), "the shared parts were not used");
        assert!(Arc::ptr_eq(&first.layers.parts[1], &second.layers.parts[1]));
        assert_eq!(lists.by_environment.borrow().len(), 1);
    }

    #[test]
    fn environments_with_same_scopes_share_parts() {
        let (_, context) = contexts()
            .into_iter()
            .find(|(name, _)| *name == "settings")
            .unwrap();
        let lists = VariableLists::new(&context);
        let names = ["review/a", "review/b", "staging", "qa", "review/a"];
        for name in names {
            let spec = JobSpec {
                environment: Some(JobEnvironment {
                    url: Some(format!("https://{name}.example.com")),
                    ..JobEnvironment::named(name)
                }),
                ..JobSpec::new("deploy", "deploy")
            };
            let seed = lists.seed(&globals(), &spec);
            assert!(seed.own.is_some(), "{name}: the shared parts were not used");
            same(
                &seed.layers,
                &seed_variables(&context, &globals(), &spec).variables,
                name,
            );
            let outcome = JobOutcome::default();
            let ours = lists.final_list(&globals(), &spec, &outcome, &seed);
            let engine = job_variables(&context, &globals(), &spec, &outcome);
            same(&ours.layers, &engine.variables, name);
        }
        // Two scope signatures: `review/*` matches or not.
        assert_eq!(lists.by_scopes.borrow().len(), 2);
        assert_eq!(lists.by_environment.borrow().len(), 4);
    }

    #[test]
    fn root_variables_shared_without_redefined_names() {
        let context = PipelineContext::push("main");
        let lists = VariableLists::new(&context);
        let globals = globals_of(&[("G", "global"), ("REF", "$G-x")]);
        let cases = [
            ("own names", vec![YamlVariable::new("J", "$REF")], 2),
            (
                "redefines a root name",
                vec![YamlVariable::new("G", "job")],
                2,
            ),
            (
                "redefines every root name",
                vec![YamlVariable::new("REF", "job"), YamlVariable::new("G", "j")],
                2,
            ),
        ];
        for (case, variables, parts) in cases {
            let spec = JobSpec {
                variables,
                matrix: vec![YamlVariable::new("M", "m")],
                ..JobSpec::new("j", "test")
            };
            assert_eq!(
                lists.yaml_parts(&globals, &spec, &[], None).len(),
                parts,
                "{case}"
            );
            let seed = lists.seed(&globals, &spec);
            let engine = seed_variables(&context, &globals, &spec);
            same(&seed.layers, &engine.variables, case);
            // Rule variables that redefine a root name, none, a job or matrix name, or one
            // name twice: the seed's own part is reused only when they redefine none of it.
            let rules = [
                vec![],
                vec![YamlVariable::new("REF", "rule")],
                vec![YamlVariable::new("R", "$J-$M-$G")],
                vec![
                    YamlVariable::new("M", "rule-m"),
                    YamlVariable::new("R", "r"),
                ],
                vec![YamlVariable::new("G", "rule-g")],
                vec![YamlVariable::new("R", "1"), YamlVariable::new("R", "$REF")],
            ];
            let mut reused = 0;
            for rule in rules {
                let seed_own = seed.yaml.as_ref().and_then(|parts| parts.last());
                let parts = lists.yaml_parts(&globals, &spec, &rule, seed_own);
                reused += usize::from(parts.len() == 3);
                let outcome = JobOutcome {
                    rule_variables: rule,
                    ..JobOutcome::default()
                };
                let ours = lists.final_list(&globals, &spec, &outcome, &seed);
                let engine = job_variables(&context, &globals, &spec, &outcome);
                same(&ours.layers, &engine.variables, case);
            }
            assert!(reused >= 2, "{case}: {reused}");
        }
        // Jobs that redefine the same root names share the root part without them.
        let redefining = |name: &str| JobSpec {
            variables: vec![YamlVariable::new("G", name)],
            ..JobSpec::new(name, "test")
        };
        let first = lists.yaml_parts(&globals, &redefining("a"), &[], None);
        let second = lists.yaml_parts(&globals, &redefining("b"), &[], None);
        assert!(Arc::ptr_eq(&first[0], &second[0]));
        assert!(!Arc::ptr_eq(&first[1], &second[1]));
        let inherit_none = JobSpec {
            inherit: InheritVariables::None,
            ..JobSpec::new("j", "test")
        };
        assert_eq!(
            lists.yaml_parts(&globals, &inherit_none, &[], None).len(),
            1
        );
    }

    #[test]
    fn pipeline_root_part_found_by_address() {
        let context = PipelineContext::push("main");
        let globals = globals_of(&[("G", "global"), ("REF", "$G-x")]);
        let lists = VariableLists::with_globals(&context, &globals);
        let first = lists.root_part(&globals);
        assert!(Arc::ptr_eq(&first, &lists.root_part(&globals)));
        // Equal variables at another address take the value comparison, and other variables
        // get a part of their own.
        let copy = globals.clone();
        let copied = lists.root_part(&copy);
        assert_eq!(copied.entries, first.entries);
        let other = globals_of(&[("G", "other")]);
        let part = lists.root_part(&other);
        assert_eq!(part.entries, root_variables(&other));
        assert!(Arc::ptr_eq(&first, &lists.root_part(&globals)));
        let spec = JobSpec::new("j", "test");
        let seed = lists.seed(&globals, &spec);
        let engine = seed_variables(&context, &globals, &spec);
        same(&seed.layers, &engine.variables, "pipeline globals");
    }

    #[test]
    fn closure_expansion_matches_full() {
        let context = PipelineContext::push("main");
        let globals = GlobalVariables {
            variables: vec![
                YamlVariable::new("ROOT", "${CI_BUILDS_DIR}"),
                YamlVariable::new("OUT", "${ROOT}/out"),
                YamlVariable::new("PKG", "$OUT/pkg-$CI_COMMIT_REF_SLUG"),
                YamlVariable::raw("RAW", "$OUT/raw"),
                YamlVariable::new("ESC", "cost $$5 %%"),
            ],
            workflow_rules: Vec::new(),
        };
        let spec = JobSpec::new("j", "test");
        let lists = VariableLists::new(&context);
        let seed = lists.seed(&globals, &spec);
        let layers = lists
            .final_list(&globals, &spec, &JobOutcome::default(), &seed)
            .layers;
        for options in [ExpandOptions::GITLAB, ExpandOptions::RUNNER_PAYLOAD] {
            let full = sort_and_expand_all(&layers.to_list(), options).variables;
            let closure = layers.expand_closure(None, options, |_| true);
            for name in ["ROOT", "OUT", "PKG", "RAW", "ESC"] {
                let ours = closure
                    .get(name)
                    .or_else(|| layers.get(name))
                    .map(|v| &v.value);
                assert_eq!(ours, full.get(name).map(|v| &v.value), "{name} {options:?}");
            }
        }
    }

    #[test]
    fn payload_matches_closure_expansion() {
        let global = |pairs: &[(&str, &str)]| GlobalVariables {
            variables: pairs
                .iter()
                .map(|(name, value)| YamlVariable::new(*name, *value))
                .collect(),
            workflow_rules: Vec::new(),
        };
        let cases = [
            global(&[("ROOT", "${CI_BUILDS_DIR}"), ("OUT", "${ROOT}/out")]),
            // A name defined twice, the second definition referencing the first name.
            global(&[
                ("A", "x"),
                ("B", "$A-b"),
                ("CI_JOB_NAME", "$B/$CI_JOB_STAGE"),
            ]),
            // A cycle: nothing is expanded.
            global(&[("C", "$D"), ("D", "$C"), ("E", "$CI_JOB_NAME")]),
            global(&[("F", "%G%"), ("G", "$$H"), ("H", "$F$F")]),
            // A definition that references its own name.
            global(&[("P", "/bin"), ("Q", "$P"), ("P2", "$P2:$Q")]),
            // Definitions the project variables override, and references to a file variable
            // and a raw one.
            global(&[
                ("OVER", "$CI_JOB_NAME-yaml"),
                ("USE", "${OVER}/$FILE/$RAW"),
                ("TWICE", "$USE$USE"),
            ]),
            // More referencing definitions than a linear search covers.
            global(
                &(0..40)
                    .map(|i| (format!("V{i}"), format!("$V{}-{i}", i + 1)))
                    .collect::<Vec<_>>()
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
            ),
        ];
        let mut context = PipelineContext::push("main");
        context.project_variables = vec![
            SettingsVariable::new("OVER", "$CI_JOB_STAGE-project"),
            SettingsVariable {
                file: true,
                ..SettingsVariable::new("FILE", "file $CI_JOB_STAGE")
            },
            SettingsVariable {
                raw: true,
                ..SettingsVariable::new("RAW", "raw $CI_JOB_STAGE")
            },
            SettingsVariable::new("V40", "$CI_PIPELINE_SOURCE"),
        ];
        let lists = VariableLists::new(&context);
        for globals in &cases {
            let spec = JobSpec {
                variables: vec![YamlVariable::new("A", "job-$B")],
                ..JobSpec::new("j", "test")
            };
            let seed = lists.seed(globals, &spec);
            let layers = lists
                .final_list(globals, &spec, &JobOutcome::default(), &seed)
                .layers;
            // The default size limit, and one that the longer cases pass.
            let small = ExpandOptions {
                max_added_bytes: 60,
                ..ExpandOptions::RUNNER_PAYLOAD
            };
            for options in [ExpandOptions::RUNNER_PAYLOAD, small] {
                let closure = layers.expand_closure(None, options, |_| true);
                let payload = layers.expand_payload(options);
                for variable in layers.entries() {
                    let name = variable.name.as_str();
                    let ours = payload
                        .get(&layers, name)
                        .map(|(d, value)| (d.source, value))
                        .or_else(|| layers.get(name).map(|d| (d.source, d.value.as_str())));
                    let expected = closure
                        .get(name)
                        .or_else(|| layers.get(name))
                        .map(|d| (d.source, d.value.as_str()));
                    assert_eq!(
                        ours, expected,
                        "{name} in {:?} {options:?}",
                        globals.variables
                    );
                }
            }
        }
    }

    #[test]
    fn effective_matches_engine() {
        for (context_name, context) in contexts() {
            let lists = VariableLists::new(&context);
            for (spec_name, spec) in specs() {
                let seed = lists.seed(&globals(), &spec);
                let outcome = JobOutcome {
                    rule_variables: vec![YamlVariable::new("CI_COMMIT_REF_NAME", "rule")],
                    ..JobOutcome::default()
                };
                let ours = lists.final_list(&globals(), &spec, &outcome, &seed).layers;
                let engine = ours.to_list();
                let case = format!("{context_name}, {spec_name}");
                assert_eq!(ours.effective(true), engine.effective(), "{case}");
                let user: Vec<_> = engine
                    .effective()
                    .into_iter()
                    .filter(|v| v.source != VariableSource::Predefined)
                    .collect();
                assert_eq!(ours.effective(false), user, "{case}");
            }
        }
    }

    #[test]
    fn too_large_bound_matches_expansion() {
        let context = PipelineContext::push("main");
        let cases: [&[(&str, &str)]; 3] = [
            &[
                ("L0", "abcd$CI_COMMIT_REF_NAME"),
                ("L1", "$L0$L0${L0}%L0%"),
                ("L2", "$L1-$L1-$L1"),
                ("L3", "$L2$L2"),
            ],
            &[("A", "$A-x"), ("B", "$A$A$A")],
            &[("U", "$UNDEFINED$UNDEFINED"), ("E", "$$U %%U% ${}")],
        ];
        // A chain of more names than the bounds search linearly.
        let chain: Vec<(String, String)> = (0..50)
            .map(|i| (format!("C{i}"), format!("c${{C{}}}", i + 1)))
            .collect();
        let chain: Vec<(&str, &str)> = chain
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let lists = VariableLists::new(&context);
        for (case, definitions) in cases.iter().chain([&chain[..]].iter()).enumerate() {
            let globals = globals_of(definitions);
            let layers = lists.seed(&globals, &JobSpec::new("j", "test")).layers;
            for limit in (0..600).step_by(7) {
                let options = ExpandOptions {
                    max_added_bytes: limit,
                    ..ExpandOptions::GITLAB
                };
                let full = sort_and_expand_definitions(&layers.closure(None, |_| true), options);
                let ours = layers.expansion_too_large(limit);
                assert_eq!(
                    ours.and_then(|expansion| expansion.too_large),
                    full.too_large,
                    "case {case}, limit {limit}"
                );
            }
        }
    }

    fn globals_of(pairs: &[(&str, &str)]) -> GlobalVariables {
        GlobalVariables {
            variables: pairs
                .iter()
                .map(|(name, value)| YamlVariable::new(*name, *value))
                .collect(),
            workflow_rules: Vec::new(),
        }
    }

    #[test]
    fn closure_with_cycle_elsewhere_expands_nothing() {
        let context = PipelineContext::push("main");
        let globals = GlobalVariables {
            variables: vec![
                YamlVariable::new("A", "$B"),
                YamlVariable::new("B", "x$A"),
                YamlVariable::new("OUT", "$CI_COMMIT_REF_NAME/out"),
            ],
            workflow_rules: Vec::new(),
        };
        let lists = VariableLists::new(&context);
        let seed = lists.seed(&globals, &JobSpec::new("j", "test"));
        let full = sort_and_expand_all(&seed.layers.to_list(), ExpandOptions::GITLAB).variables;
        let closure = seed
            .layers
            .expand_closure(Some(&["OUT"]), ExpandOptions::GITLAB, |_| true);
        assert_eq!(
            closure.get("OUT").map(|v| &v.value),
            full.get("OUT").map(|v| &v.value)
        );
    }

    #[test]
    fn cycles_found_in_layers() {
        let context = PipelineContext::push("main");
        let globals = GlobalVariables {
            variables: vec![YamlVariable::new("A", "$B"), YamlVariable::new("B", "x$A")],
            workflow_rules: Vec::new(),
        };
        let lists = VariableLists::new(&context);
        let seed = lists.seed(&globals, &JobSpec::new("j", "test"));
        assert_eq!(
            seed.layers.cycles().map(|expansion| expansion.cycles),
            Some(vec![vec!["A".to_owned(), "B".to_owned()]])
        );
        // Cycles through the parts: root and job variables, root, job and project variables,
        // and none when the references between parts do not come back.
        let mut context = PipelineContext::push("main");
        context.project_variables = vec![SettingsVariable::new("P", "$J")];
        let lists = VariableLists::new(&context);
        let cases = [
            (vec![("A", "$J")], vec![("J", "$A")], true),
            (vec![("A", "$P")], vec![("J", "$A")], true),
            (vec![("A", "$CI_JOB_NAME")], vec![("J", "$A")], false),
            (vec![("A", "x")], vec![("J", "$A"), ("K", "$J$J")], false),
            (vec![("A", "$K")], vec![("J", "$A"), ("K", "$J$J")], true),
        ];
        for (global, job, cycle) in cases {
            let globals = globals_of(&global);
            let spec = JobSpec {
                variables: job
                    .iter()
                    .map(|(name, value)| YamlVariable::new(*name, *value))
                    .collect(),
                ..JobSpec::new("j", "test")
            };
            let seed = lists.seed(&globals, &spec);
            assert_eq!(seed.layers.has_cycle(), cycle, "{global:?} {job:?}");
            assert_eq!(seed.layers.cycles().is_some(), cycle, "{global:?} {job:?}");
        }
    }

    #[test]
    fn has_cycle_cases() {
        let cases: [(&[(&str, &str)], bool); 5] = [
            (&[("A", "$B"), ("B", "$C")], false),
            (&[("A", "$B"), ("B", "x$A")], true),
            (&[("A", "x$A")], false),
            (&[("A", "$A"), ("A", "$A")], true),
            (&[("A", "$B"), ("B", "$C"), ("C", "${A}")], true),
        ];
        for (definitions, expected) in cases {
            let variables: Vec<ResolvedVariable> = definitions
                .iter()
                .map(|(name, value)| ResolvedVariable::new(*name, *value, VariableSource::JobYaml))
                .collect();
            let part = Part::new(variables);
            let references: Vec<Referencing<'_>> = (0..part.referencing.len())
                .filter_map(|k| part.referencing_at(k))
                .collect();
            assert_eq!(has_cycle(&references), expected, "{definitions:?}");
        }
    }

    /// The bit-set check of short lists agrees with the edge-list search, on lists of random
    /// references with repeated names, self-references and cycles of every length.
    #[test]
    fn small_graph_check_agrees_with_edge_lists() {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        let mut cycles = 0;
        for round in 0..400 {
            let length = 1 + next(64);
            let names = 1 + next(length + 2);
            let density = 1 + round % 4;
            let variables: Vec<ResolvedVariable> = (0..length)
                .map(|_| {
                    let name = format!("V{}", next(names));
                    let value: String = (0..next(density + 1))
                        .map(|_| format!("${{V{}}}-", next(names)))
                        .collect();
                    ResolvedVariable::new(name, format!("x{value}"), VariableSource::JobYaml)
                })
                .collect();
            let part = Part::new(variables);
            let references: Vec<Referencing<'_>> = (0..part.referencing.len())
                .filter_map(|k| part.referencing_at(k))
                .collect();
            let expected = edge_list_has_cycle(&references);
            cycles += usize::from(expected);
            assert_eq!(
                small_graph_has_cycle(&references),
                expected,
                "round {round}"
            );
        }
        // Both results occur often enough for the comparison to mean something.
        assert!((40..360).contains(&cycles), "{cycles} cycles");
    }

    #[test]
    fn reference_names_cases() {
        let cases = [
            ("plain", vec![]),
            ("$A and ${B_1} and %C%", vec!["A", "B_1", "C"]),
            ("$$D", vec!["D"]),
            ("50% done $", vec![]),
        ];
        for (value, expected) in cases {
            assert_eq!(reference_names(value), expected, "{value}");
        }
    }
}
