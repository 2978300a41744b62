//! A pipeline whose jobs form one long chain of `needs` must plan, explain and schedule on a
//! small stack, so no step may recurse once per job of the chain.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use glplan::MemoryFiles;
use glplan::context::PipelineContext;
use glplan::pipeline::{PlanOptions, plan};
use glplan::schedule::{Durations, RunnerPool, ScheduleOptions, simulate};

/// Jobs in the chain, about three times the length at which a recursion per job overflows
/// the 1 MiB stack of the wasm package.
const CHAIN_LENGTH: usize = 20_000;

/// Stack of the thread that plans the chain. Deep enough for the fixed-depth recursion of
/// YAML loading and serialisation in a debug build, far too small for one frame per job.
const STACK_SIZE: usize = 512 * 1024;

fn chain_yaml(length: usize) -> String {
    let mut yaml = String::from("job0:\n  script: x\n  needs: []\n");
    for index in 1..length {
        yaml.push_str(&format!(
            "job{index}:\n  script: x\n  needs: [job{}]\n",
            index - 1
        ));
    }
    yaml
}

fn plan_and_schedule_chain() {
    let files = MemoryFiles::new().with_file(".gitlab-ci.yml", chain_yaml(CHAIN_LENGTH));
    let context = PipelineContext::push("main");
    let (resolution, pipeline) = plan(".gitlab-ci.yml", &files, &context, &PlanOptions::default());
    let pipeline = pipeline.expect("the chain is a valid configuration");
    assert!(pipeline.created, "{:?}", pipeline.errors);
    assert_eq!(pipeline.jobs.len(), CHAIN_LENGTH);

    let json = glplan::report::pipeline(&pipeline, &resolution).unwrap();
    assert!(json.get("jobs").is_some());

    let last = format!("job{}", CHAIN_LENGTH - 1);
    let subject = glplan::report::find(&pipeline, &last).unwrap();
    let explanation = glplan::report::explanation(&pipeline, &subject).unwrap();
    assert!(explanation.get("job").is_some());

    let pool = RunnerPool::unlimited(&pipeline);
    let schedule = simulate(
        &pipeline,
        &pool,
        &Durations::default(),
        &ScheduleOptions::default(),
    );
    let json = serde_json::to_value(&schedule).unwrap();
    let critical_path = json.get("critical_path").and_then(|path| path.as_array());
    assert_eq!(critical_path.map(Vec::len), Some(CHAIN_LENGTH));
}

#[test]
fn chain_plans_on_small_stack() {
    let worker = std::thread::Builder::new()
        .stack_size(STACK_SIZE)
        .spawn(plan_and_schedule_chain)
        .unwrap();
    worker.join().unwrap();
}
