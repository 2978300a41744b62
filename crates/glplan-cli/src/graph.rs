//! The `plan` command's graph formats: Graphviz DOT and Mermaid flowcharts of the created jobs,
//! with one cluster or subgraph per stage.
//!
//! Nodes get generated identifiers (`job0`, `job1`, ...) and the job name only as a label, so
//! no job name, however odd, can change the graph's syntax. Control characters in labels are
//! shown as the escapes of [`crate::terminal`], as in the table.

use std::collections::HashMap;
use std::fmt::Write as _;

use glplan::pipeline::Pipeline;

use crate::terminal::escape;

/// One edge of the drawing.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// A required need.
    Need,
    /// A need written with `optional: true`.
    OptionalNeed,
    /// A stage-scheduled job waiting for a job of an earlier stage.
    Stage,
}

/// The jobs' node identifiers, the stages that get a gate node, and the edges between nodes,
/// in pipeline order.
struct Layout<'a> {
    ids: HashMap<&'a str, String>,
    /// Per stage, whether its stage-scheduled jobs wait through a gate node (`gate{index}`).
    gates: Vec<bool>,
    edges: Vec<(String, String, Line)>,
}

/// Lays out the graph. A stage-scheduled job waits for every job of [`glplan::pipeline::Stage::waits_for`] of
/// its stage. Drawn as one edge per pair, a stage of `n` such jobs after `m` jobs would take
/// `n × m` edges, more than Mermaid draws (500 by default) and quadratic in the pipeline's
/// size. So when both sides have several jobs, the earlier jobs point to a gate node of the
/// stage and the gate points to the stage-scheduled jobs: `n + m` edges.
fn layout(pipeline: &Pipeline) -> Layout<'_> {
    let ids: HashMap<&str, String> = pipeline
        .jobs
        .iter()
        .enumerate()
        .map(|(index, job)| (job.name.as_str(), format!("job{index}")))
        .collect();
    let id = |name: &str| ids.get(name).cloned();
    let mut edges = Vec::new();
    for job in &pipeline.jobs {
        let (Some(needs), Some(to)) = (&job.needs, id(&job.name)) else {
            continue;
        };
        for need in needs {
            let line = if need.optional {
                Line::OptionalNeed
            } else {
                Line::Need
            };
            if let Some(from) = id(&need.job) {
                edges.push((from, to.clone(), line));
            }
        }
    }
    let mut gates = Vec::with_capacity(pipeline.stages.len());
    for (index, stage) in pipeline.stages.iter().enumerate() {
        let waiting: Vec<String> = pipeline
            .jobs
            .iter()
            .filter(|job| job.stage == stage.name && job.needs.is_none())
            .filter_map(|job| id(&job.name))
            .collect();
        let waited: Vec<String> = stage.waits_for.iter().filter_map(|name| id(name)).collect();
        let gate = waiting.len() > 1 && waited.len() > 1;
        gates.push(gate);
        if gate {
            let gate_id = format!("gate{index}");
            for from in waited {
                edges.push((from, gate_id.clone(), Line::Stage));
            }
            for to in waiting {
                edges.push((gate_id.clone(), to, Line::Stage));
            }
            continue;
        }
        for from in &waited {
            for to in &waiting {
                edges.push((from.clone(), to.clone(), Line::Stage));
            }
        }
    }
    Layout { ids, gates, edges }
}

/// Renders a Graphviz digraph: stages as clusters, required needs as solid edges, optional
/// needs dotted, and the stage order dashed, through a point-shaped gate node where
/// `layout` puts one.
pub fn dot(pipeline: &Pipeline) -> String {
    let layout = layout(pipeline);
    let mut out = String::from("digraph pipeline {\n");
    out.push_str("  rankdir=LR;\n  node [shape=box];\n");
    for (index, stage) in pipeline.stages.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{index} {{");
        let _ = writeln!(out, "    label=\"{}\";", dot_escape(&stage.name));
        if layout.gates.get(index) == Some(&true) {
            let _ = writeln!(out, "    gate{index} [shape=point, label=\"\"];");
        }
        for job in &stage.jobs {
            if let Some(id) = layout.ids.get(job.as_str()) {
                let _ = writeln!(out, "    {id} [label=\"{}\"];", dot_escape(job));
            }
        }
        out.push_str("  }\n");
    }
    for (from, to, line) in &layout.edges {
        let style = match line {
            Line::Need => "",
            Line::OptionalNeed => " [style=dotted]",
            Line::Stage => " [style=dashed]",
        };
        let _ = writeln!(out, "  {from} -> {to}{style};");
    }
    out.push_str("}\n");
    out
}

/// Escapes text for a DOT double-quoted string. Control characters become the escapes of
/// [`crate::terminal`], then backslashes are doubled so that Graphviz's label escapes (`\n`,
/// `\l`, `\N`) never apply to a job name: a line feed shows as `\n` in the label.
fn dot_escape(text: &str) -> String {
    let text = escape(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            _ => out.push(c),
        }
    }
    out
}

/// Renders a Mermaid `flowchart LR`: one subgraph per stage, required needs as `-->`,
/// optional needs as a dotted edge labelled `optional`, and the stage order as a dotted
/// edge, through a small circle as the gate node where `layout` puts one.
pub fn mermaid(pipeline: &Pipeline) -> String {
    let layout = layout(pipeline);
    let mut out = String::from("flowchart LR\n");
    for (index, stage) in pipeline.stages.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph stage{index} [\"{}\"]",
            mermaid_escape(&stage.name)
        );
        if layout.gates.get(index) == Some(&true) {
            let _ = writeln!(out, "    gate{index}((\" \"))");
        }
        for job in &stage.jobs {
            if let Some(id) = layout.ids.get(job.as_str()) {
                let _ = writeln!(out, "    {id}[\"{}\"]", mermaid_escape(job));
            }
        }
        out.push_str("  end\n");
    }
    for (from, to, line) in &layout.edges {
        let arrow = match line {
            Line::Need => "-->",
            Line::OptionalNeed => "-. optional .->",
            Line::Stage => "-.->",
        };
        let _ = writeln!(out, "  {from} {arrow} {to}");
    }
    out
}

/// Escapes text for a quoted Mermaid label. Control characters, line breaks among them,
/// become the escapes of [`crate::terminal`], so a label stays on its line. Characters that
/// Mermaid reads in a label become its `#code;` entities, which it decodes when it draws the
/// label: `"` would end the label, `#` could start an entity, `<`, `>` and `&` are HTML, and
/// a label that starts with `` ` `` is read as Markdown.
fn mermaid_escape(text: &str) -> String {
    let text = escape(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline(yaml: &str) -> Pipeline {
        let files = glplan::MemoryFiles::new().with_file(".gitlab-ci.yml", yaml);
        let context = glplan::context::PipelineContext::push("main");
        let (_, pipeline) = glplan::pipeline::plan(
            ".gitlab-ci.yml",
            &files,
            &context,
            &glplan::pipeline::PlanOptions::default(),
        );
        pipeline.unwrap()
    }

    const YAML: &str = "stages: [build, test, deploy]\n\
        build: {stage: build, script: x}\n\
        lint: {stage: build, script: x}\n\
        test: {stage: test, script: x, needs: [build, {job: lint, optional: true}]}\n\
        deploy: {stage: deploy, script: x}\n";

    #[test]
    fn dot_clusters_and_edges() {
        let text = dot(&pipeline(YAML));
        assert!(text.starts_with("digraph pipeline {\n"), "{text}");
        assert!(
            text.contains(
                "  subgraph cluster_0 {\n    label=\"build\";\n    job0 [label=\"build\"];\n"
            ),
            "{text}"
        );
        assert!(text.contains("  job0 -> job2;\n"), "{text}");
        assert!(text.contains("  job1 -> job2 [style=dotted];\n"), "{text}");
        assert!(text.contains("  job2 -> job3 [style=dashed];\n"), "{text}");
        assert!(text.ends_with("}\n"), "{text}");
    }

    #[test]
    fn mermaid_subgraphs_and_edges() {
        let text = mermaid(&pipeline(YAML));
        assert!(text.starts_with("flowchart LR\n"), "{text}");
        assert!(
            text.contains("  subgraph stage1 [\"test\"]\n    job2[\"test\"]\n  end\n"),
            "{text}"
        );
        assert!(text.contains("  job0 --> job2\n"), "{text}");
        assert!(text.contains("  job1 -. optional .-> job2\n"), "{text}");
        assert!(text.contains("  job2 -.-> job3\n"), "{text}");
    }

    /// Builds two stages of `count` jobs each, the second stage-scheduled.
    fn two_full_stages(count: usize) -> String {
        let mut yaml = String::from("stages: [build, test]\n");
        for index in 0..count {
            yaml.push_str(&format!("b{index}: {{stage: build, script: x}}\n"));
            yaml.push_str(&format!("t{index}: {{stage: test, script: x}}\n"));
        }
        yaml
    }

    #[test]
    fn stage_order_through_gate() {
        let text = mermaid(&pipeline(&two_full_stages(25)));
        let edges = text.lines().filter(|line| line.contains("-.->")).count();
        assert_eq!(edges, 50, "{text}");
        assert!(text.contains("    gate1((\" \"))\n"), "{text}");
        assert!(text.contains("  job0 -.-> gate1\n"), "{text}");
        assert!(text.contains("  gate1 -.-> job25\n"), "{text}");
        let text = dot(&pipeline(&two_full_stages(25)));
        let edges = text
            .lines()
            .filter(|line| line.contains("[style=dashed]"))
            .count();
        assert_eq!(edges, 50, "{text}");
        assert!(
            text.contains("    gate1 [shape=point, label=\"\"];\n"),
            "{text}"
        );
    }

    #[test]
    fn single_waiting_job_no_gate() {
        let text = mermaid(&pipeline(
            "stages: [build, test]\na: {stage: build, script: x}\nb: {stage: build, script: x}\n\
             t: {stage: test, script: x}\n",
        ));
        assert!(!text.contains("gate"), "{text}");
        assert!(text.contains("  job0 -.-> job2\n"), "{text}");
        assert!(text.contains("  job1 -.-> job2\n"), "{text}");
    }

    #[test]
    fn dot_escape_cases() {
        let cases = [
            ("plain", "plain"),
            ("say \"hi\"", "say \\\"hi\\\""),
            ("a\\nb", "a\\\\nb"),
            ("two\nlines", "two\\\\nlines"),
            ("back\rover", "back\\\\rover"),
            ("evil\u{1b}[2J", "evil\\\\u{1b}[2J"),
            ("ends in \\", "ends in \\\\"),
        ];
        for (name, expected) in cases {
            assert_eq!(dot_escape(name), expected, "{name:?}");
        }
    }

    #[test]
    fn mermaid_escape_cases() {
        let cases = [
            ("test 1/2", "test 1/2"),
            ("say \"hi\"", "say #quot;hi#quot;"),
            ("a#quot;", "a#35;quot;"),
            ("<b>", "#lt;b#gt;"),
            ("build: [amd64]", "build: [amd64]"),
            ("two\nlines\r", "two\\nlines\\r"),
            ("bell\u{7}", "bell\\u{7}"),
            ("`md`", "#96;md#96;"),
            ("a&amp;", "a#amp;amp;"),
        ];
        for (name, expected) in cases {
            assert_eq!(mermaid_escape(name), expected, "{name:?}");
        }
    }

    #[test]
    fn names_never_reach_syntax() {
        let text = dot(&pipeline("\"a\\\"]; x -> y; [\": {script: x}\n"));
        assert!(
            text.contains("job0 [label=\"a\\\"]; x -> y; [\"];"),
            "{text}"
        );
    }
}
