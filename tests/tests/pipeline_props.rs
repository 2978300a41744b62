//! Properties of pipeline creation over random small configurations written as YAML text:
//! planning never panics, the same input gives the same output, a created pipeline's job
//! graph is acyclic with every `needs` target in the pipeline, a configuration whose required
//! needs form a cycle creates no pipeline, and every plan matches the JSON Schema in
//! `docs/plan.schema.json`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::type_complexity,
    reason = "test helpers fail the test on a broken fixture or oracle"
)]

use std::collections::{BTreeMap, BTreeSet};

use glplan::MemoryFiles;
use glplan::context::{PipelineContext, SettingsVariable};
use glplan::pipeline::{Pipeline, PlanOptions, plan};
use glplan_tests::json_schema::Validator;
use proptest::prelude::*;

const ENTRY: &str = ".gitlab-ci.yml";
const STAGES: [&str; 5] = [".pre", "build", "test", "deploy", ".post"];

/// One generated job.
#[derive(Debug, Clone)]
struct JobSpec {
    stage: usize,
    /// Indexes of needed jobs, each with its `optional` flag; `None` for no `needs` key.
    needs: Option<Vec<(usize, bool)>>,
    /// Rules: each an `if` on `$A`/`$B` (or none), a `when`, and optional `needs`.
    rules: Option<
        Vec<(
            Option<&'static str>,
            Option<&'static str>,
            Option<Vec<usize>>,
        )>,
    >,
    when: Option<&'static str>,
    parallel: Option<u8>,
    variables: Vec<(&'static str, &'static str)>,
    trigger: bool,
}

fn job_spec(jobs: usize) -> impl Strategy<Value = JobSpec> {
    let need = (0..jobs, any::<bool>());
    let conditions = prop::option::of(prop::sample::select(vec![
        "$A == \"1\"",
        "$B",
        "$A && $B",
        "$CI_COMMIT_TAG",
        "$CI_PIPELINE_SOURCE == \"push\"",
        "$A =~ /^1/",
    ]));
    let rule_when = prop::option::of(prop::sample::select(vec![
        "on_success",
        "manual",
        "never",
        "always",
        "on_failure",
    ]));
    let rule = (
        conditions,
        rule_when,
        prop::option::of(prop::collection::vec(0..jobs, 0..3)),
    );
    (
        0..STAGES.len(),
        prop::option::of(prop::collection::vec(need, 0..4)),
        prop::option::of(prop::collection::vec(rule, 0..4)),
        prop::option::of(prop::sample::select(vec![
            "on_success",
            "manual",
            "always",
            "on_failure",
        ])),
        prop::option::of(1u8..4),
        prop::collection::vec(
            (
                prop::sample::select(vec!["X", "Y", "Z"]),
                prop::sample::select(vec!["plain", "$X", "$Y-y", "${Z}", "$$X", "$A"]),
            ),
            0..3,
        ),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(stage, needs, rules, when, parallel, variables, trigger)| JobSpec {
                stage,
                needs,
                rules,
                when,
                parallel,
                variables,
                trigger,
            },
        )
}

/// Writes the jobs as YAML. Stages are handed out in job order and needs point only at earlier
/// jobs, once each, so that most configurations are valid; the other tests cover invalid ones.
fn config_text(jobs: &[JobSpec], workflow: bool) -> String {
    let mut stages: Vec<usize> = jobs.iter().map(|job| job.stage).collect();
    stages.sort_unstable();
    let earlier = |index: usize, targets: Vec<usize>| -> Vec<usize> {
        let mut kept: Vec<usize> = targets.into_iter().filter(|&t| t < index).collect();
        kept.sort_unstable();
        kept.dedup();
        kept
    };
    let mut out = String::from("stages: [build, test, deploy]\n");
    if workflow {
        out.push_str("workflow: {rules: [{if: $CI_COMMIT_TAG, when: never}, {when: always}]}\n");
    }
    for (index, job) in jobs.iter().enumerate() {
        let stage = stages.get(index).copied().unwrap_or(job.stage);
        out.push_str(&format!("j{index}:\n  stage: {}\n", STAGES[stage]));
        if job.trigger {
            out.push_str("  trigger: {include: child.yml}\n");
        } else {
            out.push_str("  script: x\n");
        }
        if let Some(when) = job.when {
            out.push_str(&format!("  when: {when}\n"));
        }
        if let Some(parallel) = job.parallel {
            if job.trigger {
                out.push_str(&format!(
                    "  parallel: {{matrix: [{{P: [{}]}}]}}\n",
                    (0..parallel)
                        .map(|p| format!("p{p}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            } else {
                out.push_str(&format!("  parallel: {parallel}\n"));
            }
        }
        if !job.variables.is_empty() {
            out.push_str("  variables:\n");
            for (name, value) in &job.variables {
                out.push_str(&format!("    {name}: '{value}'\n"));
            }
        }
        if let Some(needs) = &job.needs {
            let targets = earlier(index, needs.iter().map(|(target, _)| *target).collect());
            let items: Vec<String> = targets
                .iter()
                .map(|target| {
                    let optional = needs.iter().any(|(t, optional)| t == target && *optional);
                    format!("{{job: j{target}, optional: {optional}}}")
                })
                .collect();
            out.push_str(&format!("  needs: [{}]\n", items.join(", ")));
        }
        if let Some(rules) = &job.rules {
            out.push_str("  rules:\n");
            if rules.is_empty() {
                out.push_str("    - when: on_success\n");
            }
            for (condition, when, needs) in rules {
                out.push_str("    - ");
                let mut keys = Vec::new();
                if let Some(condition) = condition {
                    keys.push(format!("if: '{condition}'"));
                }
                if let Some(when) = when {
                    keys.push(format!("when: {when}"));
                }
                if let Some(needs) = needs {
                    let targets = earlier(index, needs.clone());
                    let names: Vec<String> = targets.iter().map(|n| format!("j{n}")).collect();
                    keys.push(format!("needs: [{}]", names.join(", ")));
                }
                if keys.is_empty() {
                    keys.push("when: on_success".to_owned());
                }
                out.push_str(&format!("{{{}}}\n", keys.join(", ")));
            }
        }
    }
    out
}

fn contexts() -> impl Strategy<Value = PipelineContext> {
    (0..4usize, any::<bool>(), any::<bool>()).prop_map(|(kind, a, b)| {
        let mut context = match kind {
            0 => PipelineContext::push("main"),
            1 => PipelineContext::tag("v1.0"),
            2 => PipelineContext::merge_request("feature", "main"),
            _ => PipelineContext::schedule("main"),
        };
        if a {
            context
                .pipeline_variables
                .push(SettingsVariable::new("A", "1"));
        }
        if b {
            context
                .project_variables
                .push(SettingsVariable::new("B", "yes"));
        }
        context
    })
}

fn configs() -> impl Strategy<Value = String> {
    (1usize..7)
        .prop_flat_map(|jobs| (prop::collection::vec(job_spec(jobs), jobs), any::<bool>()))
        .prop_map(|(jobs, workflow)| config_text(&jobs, workflow))
}

fn files(text: &str) -> MemoryFiles {
    MemoryFiles::new()
        .with_file(ENTRY, text)
        .with_file("child.yml", "c: {script: x}\n")
}

fn run(text: &str, context: &PipelineContext) -> Option<Pipeline> {
    plan(ENTRY, &files(text), context, &PlanOptions::default()).1
}

/// Checks that the created pipeline's graph is acyclic, that every edge ends at jobs of the
/// pipeline, and that `order` lists each job once, after everything it waits for.
fn check_graph(pipeline: &Pipeline) -> Result<(), TestCaseError> {
    let jobs: BTreeSet<&str> = pipeline.jobs.iter().map(|j| j.name.as_str()).collect();
    for job in &pipeline.jobs {
        for need in job.need_names() {
            prop_assert!(
                jobs.contains(need),
                "`{}` needs `{need}`, not planned",
                job.name
            );
        }
    }
    let edges = pipeline.edges();
    for (from, to, _) in &edges {
        prop_assert!(
            jobs.contains(from) && jobs.contains(to),
            "edge {from} -> {to}"
        );
    }

    // Kahn's algorithm over the edges: every job must be reached.
    let mut indegree: BTreeMap<&str, usize> = jobs.iter().map(|j| (*j, 0)).collect();
    for (_, to, _) in &edges {
        *indegree.entry(to).or_default() += 1;
    }
    let mut ready: Vec<&str> = indegree
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(j, _)| *j)
        .collect();
    let mut seen = 0;
    while let Some(job) = ready.pop() {
        seen += 1;
        for (from, to, _) in &edges {
            if *from == job {
                let degree = indegree.entry(to).or_default();
                *degree -= 1;
                if *degree == 0 {
                    ready.push(to);
                }
            }
        }
    }
    prop_assert_eq!(seen, jobs.len(), "the job graph has a cycle");

    let position: BTreeMap<&str, usize> = pipeline
        .order
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_str(), i))
        .collect();
    prop_assert_eq!(position.len(), jobs.len());
    prop_assert_eq!(pipeline.order.len(), jobs.len());
    for (from, to, _) in &edges {
        prop_assert!(
            position[from] < position[to],
            "order puts {to} before {from}"
        );
    }
    Ok(())
}

/// One job of a configuration whose needs may point anywhere, itself included.
#[derive(Debug, Clone)]
struct NeedsJob {
    /// Indexes of needed jobs, each with its `optional` flag.
    needs: Vec<(usize, bool)>,
    /// Whether a rule leaves the job out of the pipeline.
    dropped: bool,
}

/// Jobs in one stage, where needs on any job are allowed, so they can form cycles.
fn needs_jobs() -> impl Strategy<Value = Vec<NeedsJob>> {
    (1usize..6).prop_flat_map(|jobs| {
        let job = (
            prop::collection::vec((0..jobs, prop::bool::weighted(0.3)), 0..4),
            prop::bool::weighted(0.2),
        )
            .prop_map(|(needs, dropped)| NeedsJob { needs, dropped });
        prop::collection::vec(job, jobs)
    })
}

fn needs_config(jobs: &[NeedsJob]) -> String {
    let mut out = String::new();
    for (index, job) in jobs.iter().enumerate() {
        out.push_str(&format!("j{index}:\n  script: x\n"));
        let mut targets: Vec<(usize, bool)> = job.needs.clone();
        targets.sort_unstable();
        targets.dedup_by_key(|(target, _)| *target);
        let items: Vec<String> = targets
            .iter()
            .map(|(target, optional)| format!("{{job: j{target}, optional: {optional}}}"))
            .collect();
        out.push_str(&format!("  needs: [{}]\n", items.join(", ")));
        if job.dropped {
            out.push_str("  rules: [{if: $NOPE}]\n");
        }
    }
    out
}

/// Returns whether the required needs of the configuration, among all its jobs, form a
/// cycle. GitLab checks the needs graph when it validates the configuration, before rules
/// drop any job, so such a configuration never creates a pipeline.
fn required_needs_cycle(jobs: &[NeedsJob]) -> bool {
    fn visit(job: usize, jobs: &[NeedsJob], state: &mut [u8]) -> bool {
        match state[job] {
            1 => return true,
            2 => return false,
            _ => {}
        }
        state[job] = 1;
        for (target, optional) in &jobs[job].needs {
            if !optional && visit(*target, jobs, state) {
                return true;
            }
        }
        state[job] = 2;
        false
    }
    let mut state = vec![0u8; jobs.len()];
    (0..jobs.len()).any(|job| visit(job, jobs, &mut state))
}

fn plan_schema() -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/plan.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn created_graph_is_acyclic(text in configs(), context in contexts()) {
        if let Some(pipeline) = run(&text, &context) {
            if pipeline.created {
                check_graph(&pipeline)?;
            }
            for job in &pipeline.jobs {
                let child = job.trigger.as_ref().and_then(|t| t.downstream.as_ref());
                if let Some(child) = child.filter(|c| c.created) {
                    check_graph(child)?;
                }
            }
        }
    }

    #[test]
    fn planning_is_deterministic(text in configs(), context in contexts()) {
        let first = run(&text, &context);
        let second = run(&text, &context);
        prop_assert_eq!(&first, &second);
        let first_json = serde_json::to_string(&first).ok();
        let second_json = serde_json::to_string(&second).ok();
        prop_assert_eq!(first_json, second_json);
    }

    #[test]
    fn mutated_yaml_never_panics(
        text in configs(),
        cut in 0usize..400,
        junk in prop::sample::select(vec![
            "", "\n  needs: [nope]", ": [", "\n  rules: 3", "\n  when: never", "{", "\n- x",
            "\n  trigger: {include: missing.yml}", "\n  environment: {name: $X}",
            "\n  variables: {A: $A, B: $B}", "\n  parallel: {matrix: [{P: []}]}",
        ]),
        context in contexts(),
    ) {
        let cut = text.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(text.len());
        let mutated = format!("{}{}{}", &text[..cut], junk, &text[cut..]);
        let _ = run(&mutated, &context);
    }

    #[test]
    fn any_needs_graph_is_safe(jobs in needs_jobs(), context in contexts()) {
        let text = needs_config(&jobs);
        let Some(pipeline) = run(&text, &context) else {
            return Err(TestCaseError::fail(format!("no configuration from\n{text}")));
        };
        if pipeline.created {
            check_graph(&pipeline)?;
        }
        prop_assert!(
            !(required_needs_cycle(&jobs) && pipeline.created),
            "required needs form a cycle, yet the pipeline is created:\n{text}"
        );
    }

    #[test]
    fn plans_match_schema(text in configs(), context in contexts()) {
        if let Some(pipeline) = run(&text, &context) {
            let schema = plan_schema();
            let output = serde_json::to_value(&pipeline).unwrap();
            let errors = Validator::new(&schema).strict().absent_not_null().validate(&output);
            prop_assert!(errors.is_empty(), "{errors:?}\n{text}");
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}", context in contexts()) {
        let _ = run(&text, &context);
    }
}
