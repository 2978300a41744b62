//! The graph of which job waits for which: `needs` edges for DAG jobs, and for stage-scheduled
//! jobs a barrier per stage that waits for every job of the earlier stages, as GitLab's
//! processing loop does. The graph is checked for cycles and sorted topologically.
//!
//! A stage-scheduled job waits for all jobs of all earlier stages, not only those of the
//! previous stage: a DAG job of stage 1 that nothing else waits for still holds back stage 3.
//! Listing every such pair would take quadratic space, so each stage gets one barrier node
//! that waits for the earlier jobs no other earlier job waits for (which covers the others
//! through their successors), and every stage-scheduled job of the stage waits for the
//! barrier.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};

use petgraph::Direction;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

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
    pub(super) order: Vec<String>,
    /// A cycle error, naming the jobs that wait for each other, with the first of those jobs.
    pub(super) cycle: Option<(Diagnostic, String)>,
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
    grouped.sort_by_key(|(stage, _)| *stage);

    let mut graph: DiGraph<Node, ()> = DiGraph::with_capacity(jobs.len() + grouped.len(), 0);
    let job_nodes: Vec<NodeIndex> = (0..jobs.len())
        .map(|i| graph.add_node(Node::Job(i)))
        .collect();
    let node = |index: usize| job_nodes.get(index).copied();

    // The needs edges. `covered[j]` is set once a job of a processed stage needs job `j`.
    let predecessors: Vec<Vec<usize>> = jobs
        .iter()
        .map(|job| {
            job.need_names()
                .into_iter()
                .filter_map(|name| position.get(name).copied())
                .collect()
        })
        .collect();
    for (successor, needed) in predecessors.iter().enumerate() {
        for &predecessor in needed {
            if let (Some(from), Some(to)) = (node(predecessor), node(successor)) {
                graph.add_edge(from, to, ());
            }
        }
    }

    // The stage barriers, stage by stage.
    let mut stages = Vec::with_capacity(grouped.len());
    let mut frontier: BTreeSet<usize> = BTreeSet::new();
    let mut covered = vec![false; jobs.len()];
    for (stage_position, (stage, members)) in grouped.iter().enumerate() {
        let waits_for: Vec<usize> = frontier.iter().copied().collect();
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
                frontier.remove(&needed);
            }
        }
        frontier.extend(
            members
                .iter()
                .copied()
                .filter(|&index| !covered.get(index).copied().unwrap_or(true)),
        );

        let name = |index: &usize| jobs.get(*index).map(|job| job.name.clone());
        stages.push(Stage {
            name: stage_names
                .get(*stage)
                .cloned()
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

    let cycle = find_cycle(&graph, jobs);
    let order = if cycle.is_some() {
        Vec::new()
    } else {
        topological_order(&graph, jobs)
    };
    Graph {
        stages,
        order,
        cycle,
    }
}

/// Reports the first strongly connected component with more than one node, or a job that
/// needs itself.
fn find_cycle(graph: &DiGraph<Node, ()>, jobs: &[PlannedJob]) -> Option<(Diagnostic, String)> {
    let mut components = tarjan_scc(graph);
    // `tarjan_scc` lists components in reverse topological order; report the earliest job.
    components.reverse();
    let cyclic = components
        .into_iter()
        .find(|component| match component.as_slice() {
            [single] => graph.contains_edge(*single, *single),
            _ => true,
        })?;
    let mut members: Vec<usize> = cyclic
        .iter()
        .filter_map(|&index| match graph.node_weight(index) {
            Some(Node::Job(job)) => Some(*job),
            _ => None,
        })
        .collect();
    members.sort_unstable();
    let names: Vec<String> = members
        .iter()
        .filter_map(|&index| jobs.get(index))
        .map(|job| format!("{:?}", job.name))
        .collect();
    let through_stage = cyclic
        .iter()
        .any(|&index| matches!(graph.node_weight(index), Some(Node::Barrier(_))));
    let diagnostic = Diagnostic::error(
        "circular-dependencies",
        format!(
            "The pipeline has circular dependencies: topological sort failed: [{}]",
            names.join(", ")
        ),
    )
    .with_help(if through_stage {
        "a job waits, through `needs`, for a job of a later stage that waits for the earlier \
         stages; GitLab does not create the pipeline"
    } else {
        "remove one of the `needs` that close the cycle; GitLab does not create the pipeline"
    });
    let first = members
        .first()
        .and_then(|&index| jobs.get(index))
        .map(|job| job.name.clone())
        .unwrap_or_default();
    Some((diagnostic, first))
}

/// Kahn's algorithm, always taking the ready job that comes first in the job list, so the
/// order follows stages and configuration order wherever the dependencies allow.
fn topological_order(graph: &DiGraph<Node, ()>, jobs: &[PlannedJob]) -> Vec<String> {
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
    while let Some(Reverse((_, index))) = ready.pop() {
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
    order
}
