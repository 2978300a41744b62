//! GitLab's configuration limits, with GitLab.com's defaults.

/// Every limit the planner enforces, in one place. [`Limits::default`] gives GitLab.com's values
/// (GitLab 17.3 and later); a self-managed instance may change the ones GitLab exposes as
/// application settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum size of one parsed YAML document, in bytes (`max_yaml_size_bytes`, 2 MiB since
    /// GitLab 17.3). Past it: `The parsed YAML is too big`. glplan measures the source text
    /// plus what alias expansion adds, since it has no Ruby object graph to measure.
    /// NOTE: GitLab's `Gitlab::Utils::DeepSize` counts Ruby's object memory, several times the
    /// text, so GitLab rejects files that pass here (see the README's known limits).
    pub max_yaml_size_bytes: usize,
    /// Maximum nesting depth of one YAML document (`max_yaml_depth`, 100). Past it:
    /// `The parsed YAML is too big`.
    pub max_yaml_depth: usize,
    /// Maximum number of nodes that alias expansion may create in one file, against alias bombs
    /// ("billion laughs"). Psych has no such counter; GitLab relies on the size limit, which
    /// glplan checks after expansion, so this only stops runaway expansion early.
    pub max_alias_expansion_nodes: usize,
    /// Total size of all configuration files, in bytes (`ci_max_total_yaml_size_bytes`,
    /// 314,572,800 since GitLab 17.3). Past it: `Total size of combined CI/CD configuration is
    /// too big`.
    pub max_total_yaml_size_bytes: usize,
    /// Maximum number of included files, nested and repeated ones counted (`ci_max_includes`,
    /// 150 since GitLab 15.10). Past it: `Maximum of 150 nested includes are allowed!`.
    pub max_includes: usize,
    /// Maximum ancestors of an `extends` chain: a key with more than this many ancestors may not
    /// extend further (10, so chains of 11 levels work). Past it: `nesting too deep in extends`.
    pub max_extends_depth: usize,
    /// Maximum nodes that `!reference` resolution may copy in total, against configurations
    /// whose references multiply (each level referencing the previous one twice doubles the
    /// tree). GitLab has no such limit: its resolved values are shared Ruby objects, not copies.
    /// Past it: `` resolving `!reference [...]` copies more than N nodes in total ``.
    pub max_reference_expansion_nodes: usize,
    /// Maximum nesting of arrays in `script`, `rules` and `stages` after `!reference`
    /// resolution (10 levels).
    pub max_nested_array_depth: usize,
    /// Maximum `needs` entries per job (`ci_needs_size_limit`, 50).
    pub max_needs: usize,
    /// Maximum `needs:project` entries, and separately `needs:pipeline:job` entries, per job (5).
    /// Past it: `<path> config must be less than or equal to 5`.
    pub max_cross_pipeline_needs: usize,
    /// Number of `tags` a job may not reach (50: GitLab accepts at most 49). Past it: `must be
    /// less than the limit of 50 tags`.
    pub max_tags: usize,
    /// Largest `parallel: N` (200 since GitLab 15.9).
    pub max_parallel: usize,
    /// Maximum jobs one `parallel:matrix` generates (200).
    pub max_matrix_jobs: usize,
    /// Maximum job name length in characters (255).
    pub max_job_name_length: usize,
    /// Maximum length of a job name that is the target of `needs` (128).
    pub max_needed_job_name_length: usize,
    /// Maximum stage name length in characters (255).
    pub max_stage_name_length: usize,
    /// Maximum `$[[ ]]` interpolation blocks in one file (10,000).
    pub max_interpolation_blocks: usize,
    /// Maximum nodes in one file that interpolation walks (500,000). Past it: `config too large`.
    pub max_interpolation_nodes: usize,
    /// Maximum length of one string node that contains interpolation, in bytes (1 MiB).
    pub max_interpolation_string_bytes: usize,
    /// Maximum length of an interpolation access expression, in bytes (1 KiB).
    pub max_interpolation_access_bytes: usize,
    /// Maximum functions in one interpolation block (3).
    pub max_interpolation_functions: usize,
    /// Maximum `options` of one input, and of one rule in an input's `rules` (50). Past it the
    /// header is invalid: `... config cannot define more than 50 options`.
    pub max_input_options: usize,
    /// Maximum tokens in one CI/CD variable expression (`rules:if` and the like), 99. GitLab's
    /// lexer has `MAX_TOKENS = 100` but fails once it has read 100 tokens, so an expression of
    /// 100 or more tokens is invalid: `Too many tokens!`. GitLab does not expose it as a setting.
    pub max_expression_tokens: usize,
    /// Maximum glob comparisons of one `changes` or `exists` rule clause (job rules, workflow
    /// rules and include rules), counted up front as paths × globs: the changed files times the
    /// distinct globs for `changes`, the repository paths times the wildcard globs for `exists`
    /// (exact paths and `**/*.ext` globs are not counted). Past it GitLab treats the clause as
    /// true without comparing anything (50,000 in `Clause::Changes` and, since GitLab 17.7,
    /// `Clause::Exists`; not a setting).
    pub max_rule_glob_comparisons: usize,
    /// Maximum depth of child pipelines below the pipeline a push or run created
    /// (GitLab's `MAX_DESCENDANTS_DEPTH`, 2: a child pipeline may have children of its
    /// own, and those may not). Past it GitLab fails the trigger job with
    /// `reached_max_descendant_pipelines_depth` (`You reached the maximum depth of child
    /// pipelines`).
    pub max_descendant_pipeline_depth: usize,
    /// Maximum pipelines in one hierarchy of parent, child and multi-project pipelines (plan
    /// limit `pipeline_hierarchy_size`, 1,000). GitLab fails a trigger job that starts when the
    /// hierarchy has this many pipelines with `reached_max_pipeline_hierarchy_size`. The plan
    /// plans at most this many minus one child pipelines, counted in plan order. The schedule
    /// simulation counts the downstream pipelines created before each trigger job starts. 0 is
    /// no limit, as GitLab reads a plan limit of 0.
    pub max_pipeline_hierarchy_size: usize,
    /// Maximum bytes that nested expansion may add to one job's variables (1 MiB). GitLab has no
    /// such limit, but each variable that references the previous one several times multiplies
    /// the length, so a few lines could need gigabytes. Past it glplan stops expanding and
    /// reports `` <job>: expanding variable `NAME` adds more than N bytes to the job's
    /// variables `` rather than truncate a value.
    pub max_variable_expansion_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_yaml_size_bytes: 2 * 1024 * 1024,
            max_yaml_depth: 100,
            max_alias_expansion_nodes: 1_000_000,
            max_total_yaml_size_bytes: 314_572_800,
            max_includes: 150,
            max_extends_depth: 10,
            max_reference_expansion_nodes: 1_000_000,
            max_nested_array_depth: 10,
            max_needs: 50,
            max_cross_pipeline_needs: 5,
            max_tags: 50,
            max_parallel: 200,
            max_matrix_jobs: 200,
            max_job_name_length: 255,
            max_needed_job_name_length: 128,
            max_stage_name_length: 255,
            max_interpolation_blocks: 10_000,
            max_interpolation_nodes: 500_000,
            max_interpolation_string_bytes: 1024 * 1024,
            max_interpolation_access_bytes: 1024,
            max_interpolation_functions: 3,
            max_input_options: 50,
            max_expression_tokens: 99,
            max_rule_glob_comparisons: 50_000,
            max_descendant_pipeline_depth: 2,
            max_pipeline_hierarchy_size: 1000,
            max_variable_expansion_bytes: crate::variables::DEFAULT_MAX_VARIABLE_EXPANSION_BYTES,
        }
    }
}
