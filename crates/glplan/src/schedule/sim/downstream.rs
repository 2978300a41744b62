//! Child pipelines in the event loop: their creation when a trigger job starts, the status a
//! `depend` or `mirror` trigger job takes from its child, and cancellation down the hierarchy.

use std::cmp::Reverse;

use super::super::layout::Strategy;
use super::super::output::{ChildPipeline, JobStatus};
use super::super::status::{PipelineStatus, Token, composite};
use super::{AttemptRef, Phase, Sim, status_name};

impl Sim<'_> {
    /// Creates pipeline `run` at `time`: its jobs get the next job ids in job order, its jobs
    /// with `needs: []` and its first stage are decided at once, and its jobs that GitLab
    /// creates as failed are settled. `cause` is the attempt whose end let the trigger job
    /// start, which lets the new jobs go ahead too.
    pub(super) fn create_pipeline(&mut self, run: usize, time: u64, cause: Option<AttemptRef>) {
        let Some(jobs) = self.runs.get_mut(run).map(|r| {
            r.created_at = Some(time);
            r.jobs.clone()
        }) else {
            return;
        };
        for job in jobs.clone() {
            let queue_id = self.next_queue_id;
            self.next_queue_id = self.next_queue_id.saturating_add(1);
            if let Some(state) = self.states.get_mut(job) {
                state.queue_id = queue_id;
                state.cause = cause;
            }
        }
        for job in jobs.clone() {
            if self
                .facts
                .get(job)
                .is_some_and(|f| f.dag && f.needs.is_empty())
            {
                self.decide.insert(job);
            }
        }
        self.open_stages(run, cause);
        // GitLab saves a job whose environment name is not valid after expansion with the
        // status `failed` when it creates the pipeline. The status is set, not reached by a
        // transition, so the job is not retried and does not cancel the pipeline. The jobs
        // that wait for it see a failed job, or one allowed to fail.
        for job in jobs {
            if self
                .facts
                .get(job)
                .is_some_and(|f| f.creation_failure.is_some())
            {
                let token = if self.failure_allowed(job, None) {
                    Token::SuccessWithWarnings
                } else {
                    Token::Failed
                };
                let reason = self.creation_failure_reason(job);
                self.settle(job, token, Some(reason));
            }
        }
    }

    /// Returns the composite status of the jobs of pipeline `run`, or `created` while GitLab's
    /// processing stops at a cycle before it updates the pipeline's status.
    pub(super) fn run_status(&self, run: usize) -> PipelineStatus {
        if self.halted_stage(run).is_some() {
            return PipelineStatus::Created;
        }
        self.runs.get(run).map_or(PipelineStatus::Success, |r| {
            composite(r.tokens.set(), false)
        })
    }

    /// Lets each waiting trigger job whose child pipeline completed take the child's status,
    /// lowest child first. With `mirror`, a child blocked by a manual job, with no delayed job
    /// left to start, makes its trigger job manual. Returns whether any trigger job changed.
    pub(super) fn resolve_children(&mut self, time: u64) -> bool {
        let waited: Vec<usize> = self.waited.iter().copied().collect();
        let mut changed = false;
        for child in waited {
            let Some(run) = self.runs.get(child) else {
                continue;
            };
            let Some(trigger) = run.trigger else {
                continue;
            };
            let status = self.run_status(child);
            let completed = matches!(
                status,
                PipelineStatus::Success
                    | PipelineStatus::Failed
                    | PipelineStatus::Canceled
                    | PipelineStatus::Skipped
            );
            let blocked = run.strategy == Strategy::Mirror
                && status == PipelineStatus::Manual
                && run.tokens.get(Token::Scheduled) == 0;
            if !completed && !blocked {
                continue;
            }
            self.waited.remove(&child);
            if blocked {
                self.block_trigger(trigger);
            } else {
                self.complete_trigger(trigger, child, status, time);
            }
            changed = true;
        }
        changed
    }

    /// Makes a `mirror` trigger job manual because its child pipeline is blocked: a blocking
    /// manual job of its own pipeline, or an ignored one with `allow_failure: true`. The
    /// child never unblocks in the simulation, so the attempt stays open.
    fn block_trigger(&mut self, trigger: usize) {
        let optional = self
            .facts
            .get(trigger)
            .is_some_and(|f| f.planned.allow_failure.is_static_allow());
        let reason = Some("its child pipeline is blocked by a manual job".to_owned());
        if optional {
            self.settle(trigger, Token::Ignored, reason);
            self.set_phase(trigger, Phase::Manual, Token::Ignored);
        } else {
            self.set_phase(trigger, Phase::Manual, Token::Manual);
            if let Some(state) = self.states.get_mut(trigger) {
                state.reason = reason;
            }
        }
    }

    /// Ends the attempt of a waiting trigger job at `time` with the status of its completed
    /// child pipeline, as GitLab's `Ci::Bridge#inherit_status_from_downstream!` does:
    /// `success`, `canceled`, and `failed` for a failed or skipped child. With `mirror`, a
    /// skipped child skips the trigger job.
    fn complete_trigger(
        &mut self,
        trigger: usize,
        child: usize,
        status: PipelineStatus,
        time: u64,
    ) {
        let strategy = self
            .runs
            .get(child)
            .map_or(Strategy::Depend, |r| r.strategy);
        let last = self.last_attempt(child);
        let inherited = match status {
            PipelineStatus::Success => JobStatus::Success,
            PipelineStatus::Canceled => JobStatus::Canceled,
            PipelineStatus::Skipped if strategy == Strategy::Mirror => JobStatus::Skipped,
            _ => JobStatus::Failed,
        };

        if let Some(current) = self
            .states
            .get_mut(trigger)
            .and_then(|s| s.current.as_mut())
        {
            current.inherited = Some(inherited);
            if last.is_some() {
                current.after = last;
            }
        }
        if self.end_attempt(trigger, time).is_none() {
            return;
        }

        let allowed = self.failure_allowed(trigger, None);
        let token = match inherited {
            JobStatus::Success => Token::Success,
            JobStatus::Skipped => Token::Skipped,
            JobStatus::Canceled if allowed => Token::SuccessWithWarnings,
            JobStatus::Canceled => Token::Canceled,
            _ if allowed => Token::SuccessWithWarnings,
            _ => Token::Failed,
        };
        if inherited == JobStatus::Canceled
            && let Some(state) = self.states.get_mut(trigger)
        {
            state.canceled = true;
        }
        let reason = format!("its child pipeline ended `{}`", status_name(status));
        self.settle(trigger, token, Some(reason));

        let cancels = self
            .facts
            .get(trigger)
            .and_then(|f| self.runs.get(f.pipeline))
            .is_some_and(|r| r.cancel_on_failure);
        if token == Token::Failed && cancels {
            let pipeline = self.facts.get(trigger).map_or(0, |f| f.pipeline);
            let cause = self.last_attempt_of(trigger);
            self.cancel_pipeline(pipeline, time, cause);
        }
    }

    /// Returns the attempt of pipeline `run`, its descendants' jobs included, that ended
    /// last (the lowest job index among ties), which completed the pipeline.
    fn last_attempt(&self, run: usize) -> Option<AttemptRef> {
        let mut pipelines = vec![run];
        self.descendants(run, &mut pipelines);
        pipelines
            .iter()
            .filter_map(|&p| self.runs.get(p))
            .flat_map(|r| r.jobs.clone())
            .filter_map(|job| {
                let attempts = &self.states.get(job)?.attempts;
                let k = attempts.len().checked_sub(1)?;
                Some((attempts.get(k)?.end, Reverse(job), k))
            })
            .max()
            .map(|(_, Reverse(job), k)| (job, Some(k)))
    }

    /// Appends the created child pipelines under pipeline `run`, at every depth.
    pub(super) fn descendants(&self, run: usize, found: &mut Vec<usize>) {
        let children = self
            .runs
            .get(run)
            .map(|r| r.children.clone())
            .unwrap_or_default();
        for child in children {
            if self.runs.get(child).is_some_and(|r| r.created_at.is_some()) {
                found.push(child);
                self.descendants(child, found);
            }
        }
    }

    /// `auto_cancel:on_job_failure: all`: every job of pipeline `run` that has not completed
    /// is canceled, and so is every job of the child pipelines created under it, because
    /// GitLab's pipeline cancellation cascades to child pipelines. `cause` is the failed
    /// attempt that cancels them.
    pub(super) fn cancel_pipeline(&mut self, run: usize, time: u64, cause: AttemptRef) {
        let mut pipelines = vec![run];
        self.descendants(run, &mut pipelines);
        let mut jobs: Vec<usize> = pipelines
            .iter()
            .filter_map(|&p| self.runs.get(p))
            .flat_map(|r| r.jobs.clone())
            .collect();
        jobs.sort_unstable();
        // Every job waiting for a resource group is canceled too, so none may be handed a
        // group freed by the cancellation and start.
        for group in &mut self.groups {
            group
                .waiting
                .retain(|(_, job)| jobs.binary_search(job).is_err());
        }
        // The trigger jobs under `run` are canceled, so their child pipelines no longer pass
        // on a status. The trigger job of `run` itself still waits for it.
        for child in pipelines.iter().skip(1) {
            self.waited.remove(child);
        }
        for job in jobs {
            self.cancel_job(job, time, cause);
        }
    }

    /// Returns the child pipelines that were created, in job order.
    pub(super) fn child_pipelines(&self) -> Vec<ChildPipeline> {
        self.runs
            .iter()
            .enumerate()
            .skip(1)
            .filter_map(|(index, run)| {
                let created_at = run.created_at?;
                let finished = run
                    .jobs
                    .clone()
                    .all(|job| self.states.get(job).is_some_and(|s| s.token.is_settled()));
                let finished_at = finished.then(|| {
                    run.jobs
                        .clone()
                        .filter_map(|job| self.states.get(job))
                        .flat_map(|s| s.attempts.iter().map(|a| a.end))
                        .chain(run.canceled_at)
                        .max()
                        .unwrap_or(created_at)
                });
                Some(ChildPipeline {
                    trigger: run.prefix.clone().unwrap_or_default(),
                    trigger_index: run.trigger.map_or(0, |job| self.output_job_index(job)),
                    strategy: run.strategy.keyword().map(str::to_owned),
                    status: self.run_status(index),
                    finished,
                    created_at,
                    finished_at,
                })
            })
            .collect()
    }

    /// Returns the index in the output's `pipelines` of pipeline `run`, which lists the
    /// created child pipelines only; `None` for the top pipeline.
    pub(super) fn output_pipeline_index(&self, run: usize) -> Option<usize> {
        let earlier = self.runs.get(1..run)?;
        Some(earlier.iter().filter(|r| r.created_at.is_some()).count())
    }

    /// Returns the index in the output's `jobs` of `job`, which lists the jobs of created
    /// pipelines only.
    pub(super) fn output_job_index(&self, job: usize) -> usize {
        self.facts
            .iter()
            .take(job)
            .filter(|fact| {
                self.runs
                    .get(fact.pipeline)
                    .is_some_and(|r| r.created_at.is_some())
            })
            .count()
    }

    /// Says why a trigger job still waits for its child pipeline at the end.
    pub(super) fn waiting_reason(&self, trigger: usize) -> Option<String> {
        let child = self.facts.get(trigger)?.child?;
        let state = match self.run_status(child) {
            PipelineStatus::Manual => "which is blocked by a manual job",
            _ => "which does not finish",
        };
        Some(format!("waits for its child pipeline, {state}"))
    }
}
