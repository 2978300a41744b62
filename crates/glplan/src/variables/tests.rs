//! The worked examples of GitLab's variable rules, and the predefined variables of each kind
//! of pipeline.

use super::*;
use crate::context::{
    MergeRequest, MergeRequestEventType, PipelineContext, PipelineSource, SettingsVariable,
};
use crate::expr;

fn globals(pairs: &[(&str, &str)]) -> GlobalVariables {
    GlobalVariables {
        variables: pairs
            .iter()
            .map(|(name, value)| YamlVariable::new(*name, *value))
            .collect(),
        workflow_rules: Vec::new(),
    }
}

fn yaml(pairs: &[(&str, &str)]) -> Vec<YamlVariable> {
    pairs
        .iter()
        .map(|(name, value)| YamlVariable::new(*name, *value))
        .collect()
}

fn rule_matches(condition: &str, variables: &VariableList) -> bool {
    expr::parse(condition).unwrap().truthy(variables)
}

/// T7.1: rule variables beat job variables, project variables beat YAML, pipeline variables
/// beat everything.
#[test]
fn precedence_worked_example() {
    let mut context = PipelineContext::web("main");
    context.project_variables = vec![SettingsVariable::new("B", "project")];
    context.pipeline_variables = vec![SettingsVariable::new("C", "pipeline")];
    let globals = globals(&[("A", "global"), ("B", "global"), ("C", "global")]);
    let job = JobSpec {
        variables: yaml(&[("A", "job"), ("B", "job")]),
        ..JobSpec::new("job", "test")
    };

    let seed = seed_variables(&context, &globals, &job);
    assert!(rule_matches("$CI_COMMIT_BRANCH", &seed.variables));

    let outcome = JobOutcome {
        rule_variables: yaml(&[("A", "rule")]),
        ..JobOutcome::default()
    };
    let list = job_variables(&context, &globals, &job, &outcome).variables;
    assert_eq!(list.value("A"), Some("rule"));
    assert_eq!(list.value("B"), Some("project"));
    assert_eq!(list.value("C"), Some("pipeline"));
    assert_eq!(list.get("A").map(|v| v.source), Some(VariableSource::Rules));
}

/// T7.2: GitLab expands nested references and keeps the runner's own variables, raw values and
/// `$$` for the runner, which resolves them.
#[test]
fn nested_expansion_worked_example() {
    let globals = GlobalVariables {
        variables: vec![
            YamlVariable::new("ROOT", "${CI_BUILDS_DIR}"),
            YamlVariable::new("OUT", "${ROOT}/out"),
            YamlVariable::new("PKG", "$OUT/pkg"),
            YamlVariable::raw("RAW", "$OUT/raw"),
            YamlVariable::new("ESC", "cost $$5"),
        ],
        workflow_rules: Vec::new(),
    };
    let job = job_variables(
        &PipelineContext::default(),
        &globals,
        &JobSpec::new("job", "test"),
        &JobOutcome::default(),
    );
    let payload = job.runner_payload();
    assert_eq!(payload.value("PKG"), Some("${CI_BUILDS_DIR}/out/pkg"));
    assert_eq!(payload.value("RAW"), Some("$OUT/raw"));
    assert_eq!(payload.value("ESC"), Some("cost $$5"));

    // The runner puts its own variables before GitLab's and expands everything once.
    let mut runner = VariableList::new();
    runner.push_value("CI_BUILDS_DIR", "/builds", VariableSource::Predefined);
    runner.extend(payload.iter().cloned());
    let expanded = runner_expand_all(&runner);
    assert_eq!(expanded.value("PKG"), Some("/builds/out/pkg"));
    assert_eq!(expanded.value("RAW"), Some("$OUT/raw"));
    assert_eq!(expanded.value("ESC"), Some("cost $5"));
}

/// T7.3 (include part): YAML variables are invisible to `include`, so `$TPL` expands to the
/// empty string; a project CI/CD variable of the same name works.
#[test]
fn include_cannot_see_yaml_variables() {
    let context = PipelineContext::default();
    let yaml_only = include_variables(&context);
    assert_eq!(expand("$TPL", &yaml_only), "");

    let mut context = PipelineContext::push("main");
    context.project_variables = vec![SettingsVariable::new("TPL", "a.yml")];
    assert_eq!(expand("$TPL", &include_variables(&context)), "a.yml");
}

/// T7.4: `inherit:variables` limits the top-level variables, and a matrix value beats the
/// job's own variable.
#[test]
fn inherit_and_matrix_worked_example() {
    let globals = globals(&[("G1", "g"), ("G2", "g")]);
    let job = JobSpec {
        inherit: InheritVariables::Only(vec!["G1".to_owned()]),
        variables: yaml(&[("OS", "none")]),
        matrix: yaml(&[("OS", "linux")]),
        node_index: Some(1),
        node_total: 1,
        ..JobSpec::new("job: [linux]", "test")
    };
    let seed = seed_variables(&PipelineContext::default(), &globals, &job);
    assert_eq!(seed.variables.value("G1"), Some("g"));
    assert!(!seed.variables.contains("G2"));
    assert_eq!(seed.variables.value("OS"), Some("linux"));
    assert_eq!(seed.variables.value("CI_JOB_GROUP_NAME"), Some("job"));
}

/// T5.8: `workflow:rules` see the top-level variables; the matched rule's variables override
/// them for every job, and job variables override those.
#[test]
fn workflow_rule_variables_worked_example() {
    let global = yaml(&[("DEPLOY", "default")]);
    let rules = [
        ("$CI_COMMIT_TITLE =~ /-draft$/", false),
        ("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", true),
        ("$CI_PIPELINE_SOURCE == \"merge_request_event\"", false),
    ];
    let matched = |context: &PipelineContext| {
        let variables = workflow_variables(context, &global);
        rules
            .iter()
            .find(|(condition, _)| rule_matches(condition, &variables))
            .map(|(condition, keeps)| (*condition, *keeps))
    };

    let main = PipelineContext::push("main");
    assert_eq!(
        matched(&main),
        Some(("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", true))
    );
    let globals = GlobalVariables {
        variables: global.clone(),
        workflow_rules: yaml(&[("DEPLOY", "prod")]),
    };
    let j1 = JobSpec {
        variables: yaml(&[("DEPLOY", "job")]),
        ..JobSpec::new("j1", "test")
    };
    let j2 = JobSpec::new("j2", "test");
    let seed_j1 = seed_variables(&main, &globals, &j1);
    let seed_j2 = seed_variables(&main, &globals, &j2);
    assert_eq!(seed_j1.variables.value("DEPLOY"), Some("job"));
    assert_eq!(seed_j2.variables.value("DEPLOY"), Some("prod"));
    assert_eq!(
        pipeline_name(&main, &globals, "Pipeline for $CI_COMMIT_REF_NAME").as_deref(),
        Some("Pipeline for main")
    );

    assert_eq!(matched(&PipelineContext::push("feat")), None);

    let mut draft = PipelineContext::push("main");
    draft.commit.message = "wip-draft".to_owned();
    assert_eq!(matched(&draft).map(|(_, keeps)| keeps), Some(false));
}

/// The variables that identify each kind of pipeline (GitLab's documentation table).
#[test]
fn pipeline_type_variables() {
    let mut scheduled_tag = PipelineContext::tag("v1.0");
    scheduled_tag.source = PipelineSource::Schedule;
    let cases = [
        (
            "branch push",
            PipelineContext::push("feat"),
            Some("feat"),
            None,
            "push",
            None,
        ),
        (
            "tag push",
            PipelineContext::tag("v1.0"),
            None,
            Some("v1.0"),
            "push",
            None,
        ),
        (
            "merge request",
            PipelineContext::merge_request("feat", "main"),
            None,
            None,
            "merge_request_event",
            Some("1"),
        ),
        (
            "branch schedule",
            PipelineContext::schedule("main"),
            Some("main"),
            None,
            "schedule",
            None,
        ),
        (
            "tag schedule",
            scheduled_tag,
            None,
            Some("v1.0"),
            "schedule",
            None,
        ),
    ];
    for (kind, context, branch, tag, source, iid) in cases {
        let list = include_variables(&context);
        assert_eq!(
            list.value("CI_COMMIT_BRANCH"),
            branch,
            "{kind}: CI_COMMIT_BRANCH"
        );
        assert_eq!(list.value("CI_COMMIT_TAG"), tag, "{kind}: CI_COMMIT_TAG");
        assert_eq!(
            list.value("CI_PIPELINE_SOURCE"),
            Some(source),
            "{kind}: source"
        );
        assert_eq!(
            list.value("CI_MERGE_REQUEST_IID"),
            iid,
            "{kind}: CI_MERGE_REQUEST_IID"
        );
    }
}

#[test]
fn commit_ref_variables() {
    let cases = [
        (
            PipelineContext::push("Feature/ABC_1"),
            "Feature/ABC_1",
            "feature-abc-1",
        ),
        (PipelineContext::tag("v1.2.3"), "v1.2.3", "v1-2-3"),
        (
            PipelineContext::merge_request("fix/Bug", "main"),
            "fix/Bug",
            "fix-bug",
        ),
    ];
    for (context, name, slug) in cases {
        let list = include_variables(&context);
        assert_eq!(list.value("CI_COMMIT_REF_NAME"), Some(name), "{name}");
        assert_eq!(list.value("CI_COMMIT_REF_SLUG"), Some(slug), "{name}");
    }
}

#[test]
fn tag_message_only_for_tags() {
    let tag = include_variables(&PipelineContext::tag("v1"));
    assert_eq!(tag.value("CI_COMMIT_TAG_MESSAGE"), Some(""));
    let branch = include_variables(&PipelineContext::push("main"));
    assert!(!branch.contains("CI_COMMIT_TAG_MESSAGE"));

    let mut missing = PipelineContext::tag("v1");
    missing.commit.tag_message = None;
    let list = include_variables(&missing);
    assert!(!list.contains("CI_COMMIT_TAG"));
    assert!(!list.contains("CI_COMMIT_TAG_MESSAGE"));
}

#[test]
fn short_sha_eight_characters() {
    let list = include_variables(&PipelineContext::default());
    let sha = list.value("CI_COMMIT_SHA").unwrap();
    assert_eq!(list.value("CI_COMMIT_SHORT_SHA"), sha.get(..8));
}

#[test]
fn empty_sha_defines_no_commit_variables() {
    let mut context = PipelineContext::push("main");
    context.commit.sha = String::new();
    let list = include_variables(&context);
    assert!(!list.contains("CI_COMMIT_SHA"));
    assert!(!list.contains("CI_COMMIT_REF_NAME"));
    assert!(!list.contains("CI_COMMIT_BRANCH"));
}

#[test]
fn commit_title_and_description() {
    let long_title = "t".repeat(100);
    let cases = [
        ("Fix bug", "Fix bug", ""),
        ("Fix bug\n\nDetails here\n", "Fix bug", "\nDetails here"),
        ("Title\r\nBody", "Title", "Body"),
    ];
    for (message, title, description) in cases {
        let mut context = PipelineContext::push("main");
        context.commit.message = message.to_owned();
        let list = include_variables(&context);
        assert_eq!(list.value("CI_COMMIT_TITLE"), Some(title), "{message:?}");
        assert_eq!(
            list.value("CI_COMMIT_DESCRIPTION"),
            Some(description),
            "{message:?}"
        );
    }

    let mut context = PipelineContext::push("main");
    context.commit.message = format!("{long_title}\nbody");
    let list = include_variables(&context);
    assert_eq!(
        list.value("CI_COMMIT_DESCRIPTION"),
        Some(context.commit.message.as_str())
    );
}

#[test]
fn commit_message_truncated() {
    let mut context = PipelineContext::push("main");
    context.commit.message = "é".repeat(MAX_COMMIT_MESSAGE_BYTES);
    let list = include_variables(&context);
    assert_eq!(list.value("CI_COMMIT_MESSAGE_IS_TRUNCATED"), Some("true"));
    assert_eq!(
        list.value("CI_COMMIT_MESSAGE").map(str::len),
        Some(MAX_COMMIT_MESSAGE_BYTES)
    );
    let short = include_variables(&PipelineContext::default());
    assert_eq!(short.value("CI_COMMIT_MESSAGE_IS_TRUNCATED"), Some("false"));
}

#[test]
fn ref_protected_variable() {
    let cases = [
        (PipelineContext::push("main"), "true"),
        (PipelineContext::push("feature"), "false"),
        (PipelineContext::merge_request("main", "release"), "false"),
    ];
    for (context, expected) in cases {
        let list = include_variables(&context);
        assert_eq!(
            list.value("CI_COMMIT_REF_PROTECTED"),
            Some(expected),
            "{}",
            context.ref_name
        );
    }
}

/// In a detached merge request pipeline the source and target SHAs are defined but empty, so
/// `== null` is false and `== ""` is true.
#[test]
fn detached_merge_request_empty_shas() {
    let list = include_variables(&PipelineContext::merge_request("feat", "main"));
    assert_eq!(list.value("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"), Some(""));
    assert_eq!(list.value("CI_MERGE_REQUEST_TARGET_BRANCH_SHA"), Some(""));
    assert!(!rule_matches(
        "$CI_MERGE_REQUEST_SOURCE_BRANCH_SHA == null",
        &list
    ));
    assert!(rule_matches(
        "$CI_MERGE_REQUEST_SOURCE_BRANCH_SHA == \"\"",
        &list
    ));
}

#[test]
fn merged_results_shas() {
    let mut context = PipelineContext::merge_request("feat", "main");
    if let Some(merge_request) = context.merge_request.as_mut() {
        merge_request.event_type = MergeRequestEventType::MergedResult;
        merge_request.source_branch_sha = Some("aaa".to_owned());
        merge_request.target_branch_sha = Some("bbb".to_owned());
    }
    let list = include_variables(&context);
    assert_eq!(
        list.value("CI_MERGE_REQUEST_EVENT_TYPE"),
        Some("merged_result")
    );
    assert_eq!(
        list.value("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"),
        Some("aaa")
    );
    assert_eq!(
        list.value("CI_MERGE_REQUEST_TARGET_BRANCH_SHA"),
        Some("bbb")
    );
}

#[test]
fn merge_request_variables() {
    let mut context = PipelineContext::merge_request("feat", "main");
    context.merge_request = Some(MergeRequest {
        iid: 7,
        source_branch: "feat".to_owned(),
        labels: vec!["bug".to_owned(), "ui".to_owned()],
        draft: true,
        approved: true,
        description: "d".repeat(3000),
        source_project_path: Some("fork/project".to_owned()),
        source_project_id: Some(9),
        ..MergeRequest::default()
    });
    let list = include_variables(&context);
    let expected = [
        ("CI_MERGE_REQUEST_IID", "7"),
        ("CI_MERGE_REQUEST_REF_PATH", "refs/merge-requests/7/head"),
        ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feat"),
        ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
        ("CI_MERGE_REQUEST_LABELS", "bug,ui"),
        ("CI_MERGE_REQUEST_EVENT_TYPE", "detached"),
        ("CI_MERGE_REQUEST_DRAFT", "true"),
        ("CI_MERGE_REQUEST_APPROVED", "true"),
        ("CI_MERGE_REQUEST_DESCRIPTION_IS_TRUNCATED", "true"),
        ("CI_MERGE_REQUEST_PROJECT_PATH", "group/project"),
        ("CI_MERGE_REQUEST_SOURCE_PROJECT_PATH", "fork/project"),
        ("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", "9"),
        (
            "CI_MERGE_REQUEST_SOURCE_PROJECT_URL",
            "https://gitlab.example.com/fork/project",
        ),
        ("CI_OPEN_MERGE_REQUESTS", "group/project!7"),
    ];
    for (name, value) in expected {
        assert_eq!(list.value(name), Some(value), "{name}");
    }
    let description = list.value("CI_MERGE_REQUEST_DESCRIPTION").unwrap();
    assert_eq!(
        description.chars().count(),
        MAX_MERGE_REQUEST_DESCRIPTION_CHARS
    );
    assert!(description.ends_with("..."));
}

#[test]
fn unapproved_merge_request_has_no_approved_variable() {
    let list = include_variables(&PipelineContext::merge_request("feat", "main"));
    assert!(!list.contains("CI_MERGE_REQUEST_APPROVED"));
    assert!(!list.contains("CI_MERGE_REQUEST_LABELS"));
    assert_eq!(list.value("CI_MERGE_REQUEST_DRAFT"), Some("false"));
}

#[test]
fn open_merge_requests_capped() {
    let mut context = PipelineContext::push("feat");
    context.pipeline.open_merge_requests =
        (1..=6).map(|iid| format!("group/project!{iid}")).collect();
    let list = include_variables(&context);
    assert_eq!(
        list.value("CI_OPEN_MERGE_REQUESTS"),
        Some("group/project!1,group/project!2,group/project!3,group/project!4")
    );
    assert!(!include_variables(&PipelineContext::push("main")).contains("CI_OPEN_MERGE_REQUESTS"));
}

#[test]
fn project_and_server_variables() {
    let mut context = PipelineContext::push("main");
    context.project.path = "Top/Sub/My-App".to_owned();
    context.server.url = "http://gitlab.local:8080".to_owned();
    context.server.version = "17.11.2-ee".to_owned();
    let list = include_variables(&context);
    let expected = [
        ("CI", "true"),
        ("GITLAB_CI", "true"),
        ("CI_SERVER_URL", "http://gitlab.local:8080"),
        ("CI_SERVER_HOST", "gitlab.local"),
        ("CI_SERVER_PORT", "8080"),
        ("CI_SERVER_PROTOCOL", "http"),
        ("CI_SERVER_FQDN", "gitlab.local:8080"),
        ("CI_SERVER_VERSION_MAJOR", "17"),
        ("CI_SERVER_VERSION_MINOR", "11"),
        ("CI_SERVER_VERSION_PATCH", "2"),
        ("CI_PROJECT_PATH", "Top/Sub/My-App"),
        ("CI_PROJECT_PATH_SLUG", "top-sub-my-app"),
        ("CI_PROJECT_NAMESPACE", "Top/Sub"),
        ("CI_PROJECT_NAME", "My-App"),
        ("CI_PROJECT_ROOT_NAMESPACE", "Top"),
        ("CI_PROJECT_URL", "http://gitlab.local:8080/Top/Sub/My-App"),
        ("CI_PROJECT_VISIBILITY", "private"),
        ("CI_DEFAULT_BRANCH", "main"),
        ("CI_CONFIG_PATH", ".gitlab-ci.yml"),
        ("CI_API_V4_URL", "http://gitlab.local:8080/api/v4"),
        (
            "CI_REGISTRY_IMAGE",
            "registry.gitlab.example.com/top/sub/my-app",
        ),
        (
            "CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX",
            "gitlab.local:8080/top/dependency_proxy/containers",
        ),
        ("CI_TEMPLATE_REGISTRY_HOST", "registry.gitlab.com"),
    ];
    for (name, value) in expected {
        assert_eq!(list.value(name), Some(value), "{name}");
    }
}

#[test]
fn server_urls_without_default_port() {
    let mut context = PipelineContext::push("main");
    context.project.path = "group/app".to_owned();
    context.server.url = "https://gitlab.com:443/".to_owned();
    let list = include_variables(&context);
    let expected = [
        ("CI_SERVER_URL", "https://gitlab.com"),
        ("CI_SERVER_HOST", "gitlab.com"),
        ("CI_SERVER_PORT", "443"),
        ("CI_SERVER_FQDN", "gitlab.com"),
        ("CI_PROJECT_URL", "https://gitlab.com/group/app"),
        ("CI_API_V4_URL", "https://gitlab.com/api/v4"),
        ("CI_API_GRAPHQL_URL", "https://gitlab.com/api/graphql"),
        ("CI_DEPENDENCY_PROXY_SERVER", "gitlab.com:443"),
    ];
    for (name, value) in expected {
        assert_eq!(list.value(name), Some(value), "{name}");
    }
}

#[test]
fn trigger_pipeline_variables() {
    let mut context = PipelineContext::push("main");
    context.source = PipelineSource::Trigger;
    context.pipeline.trigger_short_token = Some("1234".to_owned());
    let seed = seed_variables(
        &context,
        &GlobalVariables::default(),
        &JobSpec::new("j", "test"),
    );
    assert_eq!(seed.variables.value("CI_PIPELINE_TRIGGERED"), Some("true"));
    assert_eq!(seed.variables.value("CI_TRIGGER_SHORT_TOKEN"), Some("1234"));
    let workflow = workflow_variables(&context, &[]);
    assert_eq!(workflow.value("CI_PIPELINE_TRIGGERED"), Some("true"));
    let push = seed_variables(
        &PipelineContext::default(),
        &GlobalVariables::default(),
        &JobSpec::new("j", "test"),
    );
    assert!(!push.variables.contains("CI_PIPELINE_TRIGGERED"));
}

#[test]
fn release_description_raw_for_tags() {
    let mut context = PipelineContext::tag("v1");
    context.pipeline.release_description = Some("Notes $NOT_EXPANDED".to_owned());
    let seed = seed_variables(
        &context,
        &GlobalVariables::default(),
        &JobSpec::new("j", "test"),
    );
    let release = seed.variables.get("CI_RELEASE_DESCRIPTION").unwrap();
    assert!(release.raw);
    assert_eq!(release.value, "Notes $NOT_EXPANDED");
    let mut branch = PipelineContext::push("main");
    branch.pipeline.release_description = Some("ignored".to_owned());
    let seed = seed_variables(
        &branch,
        &GlobalVariables::default(),
        &JobSpec::new("j", "test"),
    );
    assert!(!seed.variables.contains("CI_RELEASE_DESCRIPTION"));
}

#[test]
fn slug_rule() {
    // Expected values computed with GitLab's `Gitlab::Utils.slugify` in Ruby 3.1.
    let cases = [
        ("main", "main"),
        ("feature/ABC_123", "feature-abc-123"),
        ("--x--", "x"),
        ("Über-Feature", "ber-feature"),
        ("release/v1.0", "release-v1-0"),
        ("İx", "i-x"),
        ("", ""),
    ];
    for (text, slug) in cases {
        assert_eq!(slugify(text), slug, "{text:?}");
    }
    assert_eq!(slugify(&"a".repeat(70)), "a".repeat(63));
    assert_eq!(slugify(&format!("---{}", "b".repeat(70))), "b".repeat(60));
}

#[test]
fn environment_slug_rule() {
    // Expected values computed with GitLab's `Gitlab::Slug::Environment` in Ruby 3.1.
    let cases = [
        ("production", "production"),
        ("PRODUCTION", "production-vl4voz"),
        ("review/feature-1", "review-feature-1-1q251u"),
        ("staging-1234567890123456", "staging-1234567890123456"),
        ("", "env-qhkd3p"),
        ("1-foo", "env-1-foo-1k46wz"),
        ("foo-", "foo"),
    ];
    for (name, slug) in cases {
        assert_eq!(environment_slug(name), slug, "{name:?}");
    }
}

#[test]
fn job_group_name_rule() {
    // Expected values computed with GitLab's `Gitlab::Utils::Job.group_name` in Ruby 3.1.
    let cases = [
        ("rspec 1/3", "rspec"),
        ("test: [linux, x]", "test"),
        ("build 1 2", "build"),
        ("a 1:2 3/4", "a"),
        ("job", "job"),
        ("deploy [a] [b]", "deploy"),
        ("x  [y]  ", "x"),
        ("name 1/2 3/4 5/6 7/8", "name 1/2"),
        ("t1/2", "t1/2"),
        ("job\t[x]", "job"),
    ];
    for (name, group) in cases {
        assert_eq!(job_group_name(name), group, "{name:?}");
    }
}

#[test]
fn job_group_suffix_matches_regex() {
    // GitLab's pattern, run by the `regex` crate, is the reference.
    let alphabet = [
        " ", ":", "[", "]", "1", "/", "\n", "a", "\u{8}", "é", "\\", "\t",
    ];
    let pattern = regex::Regex::new(
        r"([\x08\t\n\x0B\x0C\r :]+((\[[^\n]*\])|([0-9]+[\t\n\x0B\x0C\r :/\\]+[0-9]+))){1,3}[\t\n\x0B\x0C\r ]*\z",
    )
    .unwrap();
    let mut names: Vec<String> = vec![String::new()];
    // Every name of up to four symbols, then pseudo-random longer ones.
    let mut frontier = names.clone();
    for _ in 0..4 {
        let mut next = Vec::new();
        for name in &frontier {
            for symbol in alphabet {
                next.push(format!("{name}{symbol}"));
            }
        }
        names.extend(next.iter().cloned());
        frontier = next;
    }
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..20_000 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let length = 5 + (state >> 59) as usize;
        let mut name = String::from("job");
        for step in 0..length {
            let index = (state >> (step * 4 % 56)) as usize % alphabet.len();
            name.push_str(alphabet[index]);
        }
        names.push(name);
    }
    for name in &names {
        let expected = pattern.find(name).map(|found| found.start());
        assert_eq!(predefined::group_suffix_start(name), expected, "{name:?}");
    }
}

#[test]
fn environment_tier_guess() {
    let cases = [
        ("production", "production"),
        ("live", "production"),
        ("staging", "staging"),
        ("pre-prod", "staging"),
        ("review/app", "development"),
        ("QA", "testing"),
        ("sandbox", "other"),
    ];
    for (name, tier) in cases {
        assert_eq!(guess_environment_tier(name), tier, "{name}");
    }
}

#[test]
fn availability_classes() {
    let cases = [
        ("CI_COMMIT_BRANCH", Some(Availability::PrePipeline)),
        ("CI_MERGE_REQUEST_IID", Some(Availability::PrePipeline)),
        ("CI_PROJECT_PATH", Some(Availability::PrePipeline)),
        ("CI_JOB_NAME", Some(Availability::Pipeline)),
        ("CI_PIPELINE_IID", Some(Availability::Pipeline)),
        ("GITLAB_USER_LOGIN", Some(Availability::Pipeline)),
        ("CI_JOB_ID", Some(Availability::JobOnly)),
        ("CI_PROJECT_DIR", Some(Availability::JobOnly)),
        ("CI_ENVIRONMENT_SLUG", Some(Availability::JobOnly)),
        ("MY_VARIABLE", None),
    ];
    for (name, class) in cases {
        assert_eq!(predefined_availability(name), class, "{name}");
    }
}

/// Every predefined variable the builders produce is classified the way the documentation
/// table does.
#[test]
fn builders_agree_with_availability_table() {
    let mut context = PipelineContext::merge_request("feat", "main");
    context.pipeline.created_at = Some("2024-01-01T00:00:00Z".to_owned());
    context.pipeline.name = Some("name".to_owned());
    for entry in predefined_variables(&context) {
        assert_eq!(
            predefined_availability(&entry.variable.name),
            Some(entry.availability),
            "{}",
            entry.variable.name
        );
    }
}

#[test]
fn job_masked_variables_hidden() {
    let outcome = JobOutcome {
        runtime: Some(JobRuntime::default()),
        ..JobOutcome::default()
    };
    let list = job_variables(
        &PipelineContext::default(),
        &GlobalVariables::default(),
        &JobSpec::new("j", "test"),
        &outcome,
    )
    .variables;
    let json = serde_json::to_string(&list).unwrap();
    assert!(!json.contains("glcbt-planned-job-token"), "{json}");
    assert_eq!(
        list.get("CI_JOB_TOKEN")
            .map(ResolvedVariable::display_value),
        Some(MASKED)
    );
}

#[test]
fn seed_cycle_reported_for_job() {
    let globals = globals(&[("A", "$B"), ("B", "$A")]);
    let seed = seed_variables(
        &PipelineContext::default(),
        &globals,
        &JobSpec::new("build", "test"),
    );
    let diagnostic = seed
        .expand(ExpandOptions::GITLAB)
        .cycle_diagnostic("build")
        .unwrap();
    assert_eq!(
        diagnostic.message,
        r#"build: circular variable reference detected: ["A", "B"]"#
    );
}

#[cfg(not(target_arch = "wasm32"))]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    fn value() -> impl Strategy<Value = String> {
        let pieces = prop_oneof![
            Just("$".to_owned()),
            Just("%".to_owned()),
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("$$".to_owned()),
            Just("%%".to_owned()),
            Just("${".to_owned()),
            prop::sample::select(vec!["A", "B", "C", "_x", "9"]).prop_map(str::to_owned),
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(pieces, 0..12).prop_map(|pieces| pieces.concat())
    }

    fn list() -> impl Strategy<Value = VariableList> {
        let entry = (
            prop::sample::select(vec!["A", "B", "C", "D"]),
            value(),
            any::<bool>(),
            any::<bool>(),
        );
        prop::collection::vec(entry, 0..8).prop_map(|entries| {
            entries
                .into_iter()
                .map(|(name, value, raw, file)| ResolvedVariable {
                    raw,
                    file,
                    ..ResolvedVariable::new(name, value, VariableSource::GlobalYaml)
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn collection_expansion_deterministic(variables in list(), keep in any::<bool>()) {
            let options = ExpandOptions { keep_undefined: keep, ..ExpandOptions::GITLAB };
            let first = sort_and_expand_all(&variables, options);
            let second = sort_and_expand_all(&variables, options);
            prop_assert_eq!(first, second);
        }

        #[test]
        fn single_pass_expansion_deterministic(text in value(), variables in list()) {
            prop_assert_eq!(expand(&text, &variables), expand(&text, &variables));
            prop_assert_eq!(expand_existing(&text, &variables), expand_existing(&text, &variables));
            prop_assert_eq!(runner_expand(&text, &variables), runner_expand(&text, &variables));
        }

        #[test]
        fn text_without_sigils_unchanged(text in "[^$%]*", variables in list()) {
            prop_assert_eq!(&expand(&text, &variables), &text);
            prop_assert_eq!(&runner_expand(&text, &variables), &text);
        }

        #[test]
        fn any_string_never_panics(text in any::<String>(), variables in list()) {
            let _ = runner_expand(&text, &variables);
            let _ = expand(&text, &variables);
            let mut with_text = variables.clone();
            with_text.push_value("T", text, VariableSource::JobYaml);
            let _ = sort_and_expand_all(&with_text, ExpandOptions::RUNNER_PAYLOAD);
        }

        #[test]
        fn slugs_are_valid(text in any::<String>()) {
            let slug = slugify(&text);
            prop_assert!(slug.len() <= 63);
            prop_assert!(slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            prop_assert!(!slug.starts_with('-') && !slug.ends_with('-'));
            let environment = environment_slug(&text);
            prop_assert!(environment.len() <= 24);
            prop_assert!(environment.starts_with(|c: char| c.is_ascii_lowercase()));
        }

        /// The slug is GitLab's definition applied step by step: lowercase the whole text,
        /// replace the other characters, cut to 63 characters, trim `-`.
        #[test]
        fn slug_is_the_stepwise_definition(text in "(?s).{0,80}|[A-Za-z0-9ΣσςİK\\x{212A}\\- ]{0,80}") {
            let replaced: String = text
                .to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '-' })
                .collect();
            let cut: String = replaced.chars().take(63).collect();
            prop_assert_eq!(slug_characters(&text), replaced);
            prop_assert_eq!(slugify(&text), cut.trim_matches('-'));
        }
    }
}
