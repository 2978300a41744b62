//! The graph of which job waits for which: `needs` edges for DAG jobs, and for stage-scheduled
//! jobs a barrier per stage that waits for every job of the earlier stages, as GitLab's
//! processing loop does. The graph is sorted topologically, and a cycle is traced to the
//! stage where GitLab's processing fails on it.
//!
//! A stage-scheduled job waits for all jobs of all earlier stages, not only those of the
//! previous stage: a DAG job of stage 1 that nothing else waits for still holds back stage 3.
//! Listing every such pair would take quadratic space, so each stage gets one barrier node
//! that waits for the earlier jobs no other earlier job waits for (which covers the others
//! through their successors), and every stage-scheduled job of the stage waits for the
//! barrier. A job waits for another through `needs` or through its own stage's barrier.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use compact_str::CompactString;

use crate::hash::HashMap;

use petgraph::Direction;
use petgraph::graph::{DiGraph, Neighbors, NodeIndex};

use crate::config::SchedulingType;
use crate::diagnostic::Diagnostic;

use super::output::{PlannedJob, Stage};

/// A node of the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    /// A job, by position in the planned job list.
    Job(usize),
    /// The barrier of a stage, by position in the stage list.
    Barrier(usize),
}

/// The graph's results.
#[derive(Debug, Default)]
pub(super) struct Graph {
    /// The stages with jobs, with what their stage-scheduled jobs wait for.
    pub(super) stages: Vec<Stage>,
    /// Job names in topological order; empty when there is a cycle.
    pub(super) order: Vec<CompactString>,
    /// Whether the jobs wait for each other in a cycle.
    pub(super) cyclic: bool,
}

/// Builds the graph of the planned jobs. `jobs` are in stage order; `stage_names` lists every
/// stage of the configuration in order.
pub(super) fn build(jobs: &[PlannedJob], stage_names: &[String]) -> Graph {
    let position: HashMap<&str, usize> = jobs
        .iter()
        .enumerate()
        .map(|(index, job)| (job.name.as_str(), index))
        .collect();
    let stage_of = |job: &PlannedJob| {
        stage_names
            .iter()
            .position(|name| *name == job.stage)
            .unwrap_or(stage_names.len())
    };

    // Group the jobs by stage, in pipeline order.
    let mut grouped: Vec<(usize, Vec<usize>)> = Vec::new();
    for (index, job) in jobs.iter().enumerate() {
        let stage = stage_of(job);
        match grouped.iter_mut().find(|(s, _)| *s == stage) {
            Some((_, members)) => members.push(index),
            None => grouped.push((stage, vec![index])),
        }
    }
    crate::sort::sort_by_key(&mut grouped, |(stage, _)| *stage);

    // The needs edges. `covered[j]` is set once a job of a processed stage needs job `j`.
    let predecessors: Vec<Vec<usize>> = jobs
        .iter()
        .map(|job| {
            job.needs
                .iter()
                .flatten()
                .filter_map(|need| position.get(need.job.as_str()).copied())
                .collect()
        })
        .collect();
    let need_edges: usize = predecessors.iter().map(Vec::len).sum();
    // Each stage-scheduled job has one edge from its stage's barrier, and each barrier about
    // as many edges as the jobs it waits for.
    let mut graph: DiGraph<Node, ()> =
        DiGraph::with_capacity(jobs.len() + grouped.len(), need_edges + 2 * jobs.len());
    let job_nodes: Vec<NodeIndex> = (0..jobs.len())
        .map(|i| graph.add_node(Node::Job(i)))
        .collect();
    let node = |index: usize| job_nodes.get(index).copied();
    for (successor, needed) in predecessors.iter().enumerate() {
        for &predecessor in needed {
            if let (Some(from), Some(to)) = (node(predecessor), node(successor)) {
                graph.add_edge(from, to, ());
            }
        }
    }

    // The stage barriers, stage by stage.
    let mut stages = Vec::with_capacity(grouped.len());
    // The earlier jobs no earlier job waits for, in job order. A job leaves the frontier once
    // it is covered.
    let mut frontier: Vec<usize> = Vec::new();
    let mut covered = vec![false; jobs.len()];
    for (stage_position, (stage, members)) in grouped.iter().enumerate() {
        frontier.retain(|&index| !covered.get(index).copied().unwrap_or(true));
        let waits_for = frontier.clone();
        let stage_jobs: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&index| {
                jobs.get(index)
                    .is_some_and(|job| job.scheduling_type == SchedulingType::Stage)
            })
            .collect();
        if !stage_jobs.is_empty() && !waits_for.is_empty() {
            let barrier = graph.add_node(Node::Barrier(stage_position));
            for &index in &waits_for {
                if let Some(from) = node(index) {
                    graph.add_edge(from, barrier, ());
                }
                // The stage's jobs wait for it through the barrier, so later stages need not.
                if let Some(flag) = covered.get_mut(index) {
                    *flag = true;
                }
            }
            for &index in &stage_jobs {
                if let Some(to) = node(index) {
                    graph.add_edge(barrier, to, ());
                }
            }
        }

        for &index in members {
            for &needed in predecessors.get(index).into_iter().flatten() {
                if let Some(flag) = covered.get_mut(needed) {
                    *flag = true;
                }
            }
        }
        frontier.extend(
            members
                .iter()
                .copied()
                .filter(|&index| !covered.get(index).copied().unwrap_or(true)),
        );
        // Already sorted when the jobs come in stage order, which the sort checks in one pass.
        frontier.sort_unstable();

        let name = |index: &usize| jobs.get(*index).map(|job| job.name.clone());
        stages.push(Stage {
            name: stage_names
                .get(*stage)
                .map(CompactString::from)
                .or_else(|| {
                    members
                        .first()
                        .and_then(|&i| jobs.get(i))
                        .map(|j| j.stage.clone())
                })
                .unwrap_or_default(),
            jobs: members.iter().filter_map(name).collect(),
            waits_for: if stage_jobs.is_empty() {
                Vec::new()
            } else {
                waits_for.iter().filter_map(name).collect()
            },
        });
    }

    // Kahn's algorithm reaches every node exactly when the graph has no cycle; only then is
    // the slower search for the cycle's members needed.
    let (order, complete) = topological_order(&graph, jobs);
    Graph {
        stages,
        order: if complete { order } else { Vec::new() },
        cyclic: !complete,
    }
}

/// A cycle among the `needs` of the jobs of one stage.
///
/// GitLab checks only job-level `needs` for cycles when it validates the configuration, so a
/// cycle that `rules:needs` closes passes, and GitLab creates the pipeline. Its processing
/// (`Ci::PipelineProcessing::AtomicProcessingService`) then goes through the stages in order
/// and sorts the `created` jobs of each stage by their `needs` with Ruby's `TSort`, which
/// raises on the cycle. Every processing run stops there: the earlier stages run, but no job
/// of the stage or of a later stage leaves `created`, and the pipeline's status, which is
/// updated after the stages, stays `created`.
///
/// NOTE: this follows from reading GitLab's processing code. It was not observed on a
/// running GitLab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProcessingCycle {
    /// Position of the stage in the pipeline's stages.
    pub(crate) stage: usize,
    /// Positions in the pipeline's jobs of the jobs that need each other, in job order: one
    /// job when it needs itself.
    pub(crate) members: Vec<usize>,
}

/// Finds the first stage whose jobs need each other in a cycle, as GitLab's processing meets
/// it. `stages` are the pipeline's stages with jobs, in order. A job that GitLab creates as
/// failed is never `created`, so its `needs` close no cycle.
pub(crate) fn processing_cycle(jobs: &[PlannedJob], stages: &[Stage]) -> Option<ProcessingCycle> {
    let position: HashMap<&str, usize> = jobs
        .iter()
        .enumerate()
        .map(|(index, job)| (job.name.as_str(), index))
        .collect();
    for (stage, members) in stages.iter().enumerate() {
        let created: Vec<usize> = members
            .jobs
            .iter()
            .filter_map(|name| position.get(name.as_str()).copied())
            .filter(|&index| {
                jobs.get(index)
                    .is_some_and(|job| job.creation_failure().is_none())
            })
            .collect();
        let mut graph: DiGraph<Node, ()> = DiGraph::with_capacity(created.len(), created.len());
        let nodes: HashMap<usize, NodeIndex> = created
            .iter()
            .map(|&index| (index, graph.add_node(Node::Job(index))))
            .collect();
        for &index in &created {
            let needed = jobs.get(index).and_then(|job| job.needs.as_ref());
            for need in needed.into_iter().flatten() {
                let from = position
                    .get(need.job.as_str())
                    .and_then(|predecessor| nodes.get(predecessor));
                if let (Some(&from), Some(&to)) = (from, nodes.get(&index)) {
                    graph.add_edge(from, to, ());
                }
            }
        }
        let cyclic = strongly_connected_components(&graph)
            .into_iter()
            .filter(|component| match component.as_slice() {
                [single] => graph.contains_edge(*single, *single),
                _ => true,
            })
            .map(|component| {
                let mut members: Vec<usize> = component
                    .iter()
                    .filter_map(|&node| match graph.node_weight(node) {
                        Some(Node::Job(job)) => Some(*job),
                        _ => None,
                    })
                    .collect();
                members.sort_unstable();
                members
            })
            .min();
        if let Some(members) = cyclic {
            return Some(ProcessingCycle { stage, members });
        }
    }
    None
}

/// Builds the warning for a cycle that GitLab's processing fails on, and returns it with the
/// name of the cycle's first job.
pub(super) fn processing_cycle_warning(
    cycle: &ProcessingCycle,
    jobs: &[PlannedJob],
    stages: &[Stage],
) -> (Diagnostic, CompactString) {
    let names: Vec<&str> = cycle
        .members
        .iter()
        .filter_map(|&index| jobs.get(index))
        .map(|job| job.name.as_str())
        .collect();
    let stage = stages
        .get(cycle.stage)
        .map_or("", |stage| stage.name.as_str());
    let subject = match names.as_slice() {
        [single] => format!("job `{single}` of stage `{stage}` needs itself"),
        _ => {
            let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
            format!(
                "jobs {} of stage `{stage}` need each other in a cycle",
                quoted.join(", ")
            )
        }
    };
    let message = format!(
        "{subject}: GitLab creates the pipeline, because it checks only job-level `needs` for \
         cycles, but processing it fails at this stage with `TSort::Cyclic`, so the jobs of \
         this stage and of the later stages never leave `created`, and neither does the \
         pipeline"
    );
    let diagnostic = Diagnostic::warning("rules-needs-cycle", message).with_help(
        "change the `rules:needs` that close the cycle, so that no job needs itself or a job \
         that needs it",
    );
    let first = names.first().copied().unwrap_or_default();
    (diagnostic, CompactString::from(first))
}

/// Tarjan's algorithm: the strongly connected components, each listed when the depth-first
/// search leaves its root, which is reverse topological order. A chain of `needs` makes the
/// search path as long as the chain, so the path is kept in a `Vec` rather than on the call
/// stack: thousands of nested calls overflow the 1 MiB stack of a wasm module. Roots
/// and neighbours are taken in petgraph's iteration order, so the components come in the
/// same order as from `petgraph::algo::tarjan_scc`.
fn strongly_connected_components(graph: &DiGraph<Node, ()>) -> Vec<Vec<NodeIndex>> {
    let mut search = Tarjan {
        discovery: vec![None; graph.node_count()],
        lowlink: vec![0; graph.node_count()],
        on_stack: vec![false; graph.node_count()],
        stack: Vec::new(),
        next_discovery: 0,
        components: Vec::new(),
    };
    // The depth-first path: each node with the neighbours it has yet to visit.
    let mut path: Vec<(NodeIndex, Neighbors<'_, ()>)> = Vec::new();
    for root in graph.node_indices() {
        if search.discovered(root).is_some() {
            continue;
        }
        search.discover(root);
        path.push((root, graph.neighbors(root)));
        while let Some((node, neighbors)) = path.last_mut() {
            let node = *node;
            if let Some(next) = neighbors.next() {
                match search.discovered(next) {
                    None => {
                        search.discover(next);
                        path.push((next, graph.neighbors(next)));
                    }
                    Some(discovery) if search.is_on_stack(next) => {
                        search.lower(node, discovery);
                    }
                    Some(_) => {}
                }
                continue;
            }
            path.pop();
            let lowlink = search.lowlink_of(node);
            if let Some((parent, _)) = path.last() {
                search.lower(*parent, lowlink);
            }
            if search.discovered(node) == Some(lowlink) {
                search.close_component(node);
            }
        }
    }
    search.components
}

/// The state of [`strongly_connected_components`], by node index.
struct Tarjan {
    /// Discovery order of each node, `None` until the search reaches it.
    discovery: Vec<Option<usize>>,
    /// The lowest discovery order reachable from each node through the search tree and one
    /// back edge.
    lowlink: Vec<usize>,
    on_stack: Vec<bool>,
    /// Discovered nodes whose component is not closed yet.
    stack: Vec<NodeIndex>,
    next_discovery: usize,
    components: Vec<Vec<NodeIndex>>,
}

impl Tarjan {
    fn discovered(&self, node: NodeIndex) -> Option<usize> {
        self.discovery.get(node.index()).copied().flatten()
    }

    fn is_on_stack(&self, node: NodeIndex) -> bool {
        self.on_stack.get(node.index()).copied().unwrap_or(false)
    }

    fn lowlink_of(&self, node: NodeIndex) -> usize {
        self.lowlink.get(node.index()).copied().unwrap_or(0)
    }

    fn discover(&mut self, node: NodeIndex) {
        let order = self.next_discovery;
        self.next_discovery += 1;
        if let Some(discovery) = self.discovery.get_mut(node.index()) {
            *discovery = Some(order);
        }
        if let Some(lowlink) = self.lowlink.get_mut(node.index()) {
            *lowlink = order;
        }
        if let Some(on_stack) = self.on_stack.get_mut(node.index()) {
            *on_stack = true;
        }
        self.stack.push(node);
    }

    fn lower(&mut self, node: NodeIndex, value: usize) {
        if let Some(lowlink) = self.lowlink.get_mut(node.index()) {
            *lowlink = (*lowlink).min(value);
        }
    }

    /// Pops the component whose root is `root` off the stack.
    fn close_component(&mut self, root: NodeIndex) {
        let mut component = Vec::new();
        while let Some(member) = self.stack.pop() {
            if let Some(on_stack) = self.on_stack.get_mut(member.index()) {
                *on_stack = false;
            }
            component.push(member);
            if member == root {
                break;
            }
        }
        self.components.push(component);
    }
}

/// Kahn's algorithm, always taking the ready job that comes first in the job list, so the
/// order follows stages and configuration order wherever the dependencies allow. Also returns
/// whether every node was reached, which is false when the graph has a cycle.
fn topological_order(graph: &DiGraph<Node, ()>, jobs: &[PlannedJob]) -> (Vec<CompactString>, bool) {
    let mut indegree: Vec<usize> = graph
        .node_indices()
        .map(|index| graph.neighbors_directed(index, Direction::Incoming).count())
        .collect();
    // Barriers sort after every job of the same readiness, which never changes the job order.
    let key = |index: NodeIndex| match graph.node_weight(index) {
        Some(Node::Job(job)) => (*job, 0),
        Some(Node::Barrier(stage)) => (usize::MAX, *stage),
        None => (usize::MAX, usize::MAX),
    };
    let mut ready: BinaryHeap<Reverse<((usize, usize), NodeIndex)>> = graph
        .node_indices()
        .filter(|index| indegree.get(index.index()) == Some(&0))
        .map(|index| Reverse((key(index), index)))
        .collect();
    let mut order = Vec::with_capacity(jobs.len());
    let mut reached = 0;
    while let Some(Reverse((_, index))) = ready.pop() {
        reached += 1;
        if let Some(Node::Job(job)) = graph.node_weight(index)
            && let Some(job) = jobs.get(*job)
        {
            order.push(job.name.clone());
        }
        for next in graph.neighbors_directed(index, Direction::Outgoing) {
            if let Some(degree) = indegree.get_mut(next.index()) {
                *degree = degree.saturating_sub(1);
                if *degree == 0 {
                    ready.push(Reverse((key(next), next)));
                }
            }
        }
    }
    (order, reached == graph.node_count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_of(node_count: usize, edges: &[(usize, usize)]) -> DiGraph<Node, ()> {
        let mut graph = DiGraph::new();
        let nodes: Vec<NodeIndex> = (0..node_count)
            .map(|index| graph.add_node(Node::Job(index)))
            .collect();
        for &(from, to) in edges {
            graph.add_edge(nodes[from], nodes[to], ());
        }
        graph
    }

    fn sorted(components: Vec<Vec<NodeIndex>>) -> Vec<Vec<usize>> {
        components
            .into_iter()
            .map(|component| {
                let mut members: Vec<usize> = component.iter().map(|node| node.index()).collect();
                members.sort_unstable();
                members
            })
            .collect()
    }

    #[test]
    fn components_match_petgraph_order() {
        let cases: [(usize, &[(usize, usize)]); 5] = [
            (4, &[(0, 1), (1, 2), (2, 3)]),
            (3, &[(0, 1), (1, 0), (2, 2)]),
            (6, &[(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 3), (5, 4)]),
            (5, &[(4, 3), (3, 2), (2, 4), (1, 0), (0, 1), (0, 2)]),
            (4, &[]),
        ];
        for (node_count, edges) in cases {
            let graph = graph_of(node_count, edges);
            let expected = sorted(petgraph::algo::tarjan_scc(&graph));
            let actual = sorted(strongly_connected_components(&graph));
            assert_eq!(actual, expected, "edges {edges:?}");
        }
    }

    #[test]
    fn long_chain_has_no_cycle() {
        let edges: Vec<(usize, usize)> = (1..50_000).map(|index| (index - 1, index)).collect();
        let graph = graph_of(50_000, &edges);
        let components = strongly_connected_components(&graph);
        assert_eq!(components.len(), 50_000);
        assert!(components.iter().all(|component| component.len() == 1));
    }
}
