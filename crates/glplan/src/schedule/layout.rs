//! The pipelines of a simulation: the top pipeline and every child pipeline planned under it,
//! with one list of all their jobs.
//!
//! A child pipeline is simulated when `plan` planned it and GitLab creates it. Its trigger job
//! has `trigger:include`, and the child configuration's files were available. GitLab creates
//! the child pipeline when no `workflow:rules` filter it out, it has no configuration error,
//! and it stays within the depth and hierarchy size limits. The jobs of such a pipeline are
//! named after the trigger jobs that lead to it. So `deploy/rspec` is job `rspec` of the child
//! pipeline of trigger job `deploy`, and `deploy/inner/rspec` a job of the grandchild that
//! `inner` creates in that child pipeline.

use std::borrow::Cow;
use std::ops::Range;

use crate::config::JobKind;
use crate::pipeline::{Pipeline, PlannedJob, TriggerKind};

use super::durations::{DurationEntry, JobNames};
use super::selector::{JobSelector, PathLevel, path_selects};
use super::{ChildEligible, Eligible, RunnerPool};

/// Separator between the trigger jobs and the job in the name of a child pipeline's job.
pub(super) const SEPARATOR: char = '/';

/// A trigger job's `trigger:strategy`, which decides when the job ends and with which status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Strategy {
    /// No strategy: the trigger job succeeds as soon as the child pipeline is created.
    None,
    /// `depend`: the trigger job runs until the child pipeline completes and takes its status,
    /// with `skipped` as `failed`.
    Depend,
    /// `mirror`: as `depend`, but a skipped child pipeline skips the trigger job and a blocked
    /// one makes it manual.
    Mirror,
}

impl Strategy {
    pub(super) fn of(job: &PlannedJob) -> Strategy {
        match job.trigger.as_ref().and_then(|t| t.strategy.as_deref()) {
            Some("depend") => Strategy::Depend,
            Some("mirror") => Strategy::Mirror,
            _ => Strategy::None,
        }
    }

    /// Returns the keyword as written, `None` without a strategy.
    pub(super) fn keyword(self) -> Option<&'static str> {
        match self {
            Strategy::None => None,
            Strategy::Depend => Some("depend"),
            Strategy::Mirror => Some("mirror"),
        }
    }
}

/// One pipeline of the simulation.
pub(super) struct PipelineLayout<'p> {
    pub(super) pipeline: &'p Pipeline,
    /// Index in [`Layout::jobs`] of the trigger job that creates it; `None` for the top
    /// pipeline.
    pub(super) trigger: Option<usize>,
    /// The name of the trigger job, as [`LayoutJob::name`] gives it; `None` for the top
    /// pipeline.
    pub(super) prefix: Option<String>,
    /// The name built from the parallel base names of the trigger jobs above it, as
    /// [`LayoutJob::family`] uses it; `None` for the top pipeline.
    pub(super) family_prefix: Option<String>,
    /// Its jobs' indexes in [`Layout::jobs`], in the pipeline's job order.
    pub(super) jobs: Range<usize>,
    pub(super) strategy: Strategy,
}

/// One job of the simulation.
pub(super) struct LayoutJob<'p> {
    pub(super) planned: &'p PlannedJob,
    /// The job's name with the trigger jobs of its pipeline in front, such as `deploy/rspec`.
    pub(super) name: Cow<'p, str>,
    /// The parallel base name in the same form, for a parallel job.
    pub(super) base: Option<Cow<'p, str>>,
    /// The name built from the parallel base names of the job and of the trigger jobs above
    /// it, such as `deploy/rspec` for job `rspec` of the child pipeline of `deploy: [eu]`.
    /// It selects the job under every instance of a parallel trigger job. `None` when it
    /// equals `name` or `base`.
    pub(super) family: Option<String>,
    /// The runners that can take it, when the pool lists them.
    pub(super) eligible: Option<&'p Eligible>,
    /// Index in [`Layout::pipelines`] of the child pipeline this trigger job creates.
    pub(super) child: Option<usize>,
    /// The trigger jobs from the top pipeline down to the job's pipeline, then the job, each
    /// by its own name and parallel base name.
    pub(super) levels: Vec<PathLevel<'p>>,
}

impl LayoutJob<'_> {
    /// Returns whether `name` is the job's name, its parallel base name or its family name.
    pub(super) fn is_named(&self, name: &str) -> bool {
        self.name == name
            || self.base.as_deref() == Some(name)
            || self.family.as_deref() == Some(name)
    }

    /// Returns whether `selector` selects the job.
    pub(super) fn is_selected_by(&self, selector: &JobSelector) -> bool {
        match selector {
            JobSelector::Name(name) => self.is_named(name),
            JobSelector::Path(names) => path_selects(names, &self.levels),
        }
    }

    /// Returns the names by which durations entries select the job, with `bases` from
    /// [`LayoutJob::bases`].
    pub(super) fn durations_names<'a>(&'a self, bases: &'a [&'a str]) -> JobNames<'a> {
        JobNames {
            name: &self.name,
            bases,
            levels: &self.levels,
        }
    }

    /// Returns the job's parallel base name and family name, where it has them.
    pub(super) fn bases(&self) -> Vec<&str> {
        [self.base.as_deref(), self.family.as_deref()]
            .into_iter()
            .flatten()
            .collect()
    }
}

/// The pipelines and jobs of a simulation. The top pipeline's jobs come first, in its job
/// order, then each child pipeline's jobs, depth first in the order of the trigger jobs.
pub(super) struct Layout<'p> {
    pub(super) pipelines: Vec<PipelineLayout<'p>>,
    pub(super) jobs: Vec<LayoutJob<'p>>,
}

impl<'p> Layout<'p> {
    /// Lays out `pipeline` and its simulated child pipelines, with each job's runners from
    /// `pool` when it is given.
    pub(super) fn new(pipeline: &'p Pipeline, pool: Option<&'p RunnerPool>) -> Layout<'p> {
        let mut layout = Layout {
            pipelines: Vec::new(),
            jobs: Vec::new(),
        };
        let eligible = pool.map(|pool| (pool.eligible.as_slice(), pool.children.as_slice()));
        let above = Above {
            trigger: None,
            prefix: None,
            family_prefix: None,
            levels: Vec::new(),
        };
        layout.add(pipeline, above, Strategy::None, eligible);
        layout
    }

    fn add(
        &mut self,
        pipeline: &'p Pipeline,
        above: Above<'p>,
        strategy: Strategy,
        eligible: Option<(&'p [Eligible], &'p [ChildEligible])>,
    ) {
        let Above {
            trigger,
            prefix,
            family_prefix,
            levels: trigger_levels,
        } = above;
        let start = self.jobs.len();
        let mut chains = Vec::with_capacity(pipeline.jobs.len());
        for (position, job) in pipeline.jobs.iter().enumerate() {
            let qualify = |name: &'p str| -> Cow<'p, str> {
                match &prefix {
                    Some(prefix) => Cow::Owned(format!("{prefix}{SEPARATOR}{name}")),
                    None => Cow::Borrowed(name),
                }
            };
            let name = qualify(job.name.as_str());
            let base = job
                .parallel
                .as_ref()
                .map(|parallel| qualify(parallel.base_name.as_str()));
            let own = job
                .parallel
                .as_ref()
                .map_or(job.name.as_str(), |parallel| parallel.base_name.as_str());
            let chain = match &family_prefix {
                Some(family_prefix) => format!("{family_prefix}{SEPARATOR}{own}"),
                None => own.to_owned(),
            };
            let family =
                (chain != name && base.as_deref() != Some(chain.as_str())).then(|| chain.clone());
            chains.push(chain);
            let mut levels = trigger_levels.clone();
            levels.push(PathLevel {
                name: job.name.as_str(),
                base: job.parallel.as_ref().map(|p| p.base_name.as_str()),
            });
            self.jobs.push(LayoutJob {
                planned: job,
                name,
                base,
                family,
                eligible: eligible.and_then(|(jobs, _)| jobs.get(position)),
                child: None,
                levels,
            });
        }
        let end = self.jobs.len();
        self.pipelines.push(PipelineLayout {
            pipeline,
            trigger,
            prefix,
            family_prefix: family_prefix.clone(),
            jobs: start..end,
            strategy,
        });

        for (job, chain) in (start..end).zip(chains) {
            let Some(entry) = self.jobs.get(job) else {
                continue;
            };
            let planned = entry.planned;
            let Some(child) = simulated_child(planned) else {
                continue;
            };
            let name = entry.name.to_string();
            let levels = entry.levels.clone();
            let child_eligible = eligible.map(|(_, children)| {
                children
                    .iter()
                    .find(|c| c.trigger == planned.name)
                    .map_or((&[][..], &[][..]), |c| {
                        (c.eligible.as_slice(), c.children.as_slice())
                    })
            });
            if let Some(entry) = self.jobs.get_mut(job) {
                entry.child = Some(self.pipelines.len());
            }
            let above = Above {
                trigger: Some(job),
                prefix: Some(name),
                family_prefix: Some(chain),
                levels,
            };
            self.add(child, above, Strategy::of(planned), child_eligible);
        }
    }

    /// Describes job `index` by its own name and the trigger jobs above it, such as ``job `b`
    /// of the child pipeline of job `a` of the top pipeline``. Unlike [`LayoutJob::name`], the
    /// description is unique even when job names contain [`SEPARATOR`].
    pub(super) fn describe(&self, index: usize) -> Option<String> {
        let job = self.jobs.get(index)?;
        let own = job.planned.name.as_str();
        let pipeline = self
            .pipelines
            .iter()
            .find(|pipeline| pipeline.jobs.contains(&index))?;
        Some(match pipeline.trigger {
            Some(trigger) => {
                let above = self.describe(trigger)?;
                format!("job `{own}` of the child pipeline of {above}")
            }
            None => format!("job `{own}` of the top pipeline"),
        })
    }

    /// Returns the jobs that the key of `entry` names: by their name, their parallel base name
    /// or their path, but not as a glob.
    pub(super) fn named_by<'l>(
        &'l self,
        entry: &'l DurationEntry,
    ) -> impl Iterator<Item = &'l LayoutJob<'p>> {
        self.jobs.iter().filter(move |job| match &entry.path {
            Some(path) => path_selects(path, &job.levels),
            None => job.is_named(&entry.pattern),
        })
    }

    /// Returns the jobs that `selector` selects.
    pub(super) fn selected_by<'l>(
        &'l self,
        selector: &'l JobSelector,
    ) -> impl Iterator<Item = &'l LayoutJob<'p>> {
        self.jobs
            .iter()
            .filter(move |job| job.is_selected_by(selector))
    }
}

/// The position of a pipeline in the layout: the trigger job that creates it, and the names
/// its jobs take from the trigger jobs above it.
struct Above<'p> {
    /// Index in [`Layout::jobs`] of the trigger job; `None` for the top pipeline.
    trigger: Option<usize>,
    /// The trigger job's name, as [`LayoutJob::name`] gives it.
    prefix: Option<String>,
    /// The name built from the parallel base names of the trigger jobs above.
    family_prefix: Option<String>,
    /// The trigger job's [`LayoutJob::levels`]; empty for the top pipeline.
    levels: Vec<PathLevel<'p>>,
}

/// Returns the child pipeline of a trigger job that the simulation runs: planned, and created
/// by GitLab.
pub(crate) fn simulated_child(job: &PlannedJob) -> Option<&Pipeline> {
    if job.kind != JobKind::Bridge {
        return None;
    }
    let trigger = job.trigger.as_ref()?;
    if trigger.kind != TriggerKind::Child || trigger.failure_reason.is_some() {
        return None;
    }
    trigger
        .downstream
        .as_deref()
        .filter(|pipeline| pipeline.created)
}
