//! `[skip ci]` in a commit message, which makes GitLab skip the pipeline.
//!
//! GitLab's `Chain::Skip` step runs before it reads the configuration. When the commit
//! message matches `/\[(ci[ _-]skip|skip[ _-]ci)\]/i`, it saves the pipeline as skipped,
//! without jobs, and stops. The pipelines run from the UI, the API, a schedule, a trigger token
//! or an upstream pipeline pass `ignore_skip_ci: true` and are never skipped this way.

use std::str::CharIndices;

use super::{PipelineContext, PipelineSource};

impl PipelineSource {
    /// Returns whether GitLab skips a pipeline of this source whose commit message contains
    /// `[skip ci]`. In GitLab's source, the callers of `Ci::CreatePipelineService` pass
    /// `ignore_skip_ci: true` for `web`, `api`, `schedule`, `trigger`, `pipeline` and
    /// `parent_pipeline`. `external` pipelines come from commit statuses and `webide`
    /// pipelines from `Ci::CreateWebIdeTerminalService`, which do not run `Chain::Skip`.
    pub fn honors_skip_ci(self) -> bool {
        match self {
            PipelineSource::Push
            | PipelineSource::MergeRequestEvent
            | PipelineSource::ExternalPullRequestEvent
            | PipelineSource::Chat
            | PipelineSource::OndemandDastScan
            | PipelineSource::OndemandDastValidation
            | PipelineSource::SecurityOrchestrationPolicy => true,
            PipelineSource::Web
            | PipelineSource::Api
            | PipelineSource::Schedule
            | PipelineSource::Trigger
            | PipelineSource::Pipeline
            | PipelineSource::ParentPipeline
            | PipelineSource::External
            | PipelineSource::Webide => false,
        }
    }
}

impl PipelineContext {
    /// Returns the `[skip ci]` marker of the commit message, as written, when GitLab skips this
    /// pipeline because of it.
    pub fn skip_ci_marker(&self) -> Option<&str> {
        if !self.source.honors_skip_ci() {
            return None;
        }
        find_skip_ci(&self.commit.message)
    }
}

/// Finds the first match of GitLab's `/\[(ci[ _-]skip|skip[ _-]ci)\]/i` in `message`.
///
/// Ruby matches `/i` with Unicode case folding (checked with Ruby 3.1), so the long s `ſ`
/// (U+017F) counts as `s` and the Kelvin sign (U+212A) as `k`. The Turkish `ı` and `İ` do not
/// count as `i`.
pub(crate) fn find_skip_ci(message: &str) -> Option<&str> {
    for (start, _) in message.match_indices('[') {
        let rest = &message[start + 1..];
        for words in [["ci", "skip"], ["skip", "ci"]] {
            if let Some(length) = match_marker(rest, words) {
                return Some(&message[start..start + 1 + length]);
            }
        }
    }
    None
}

/// Matches `FIRST[ _-]SECOND]` at the start of `text`, ignoring case, and returns its length
/// in bytes.
fn match_marker(text: &str, [first, second]: [&str; 2]) -> Option<usize> {
    let mut chars = text.char_indices();
    if !expect_word(&mut chars, first) {
        return None;
    }
    if !chars
        .next()
        .is_some_and(|(_, c)| matches!(c, ' ' | '_' | '-'))
    {
        return None;
    }
    if !expect_word(&mut chars, second) {
        return None;
    }
    match chars.next() {
        Some((index, ']')) => Some(index + 1),
        _ => None,
    }
}

/// Consumes the characters of `word` from `chars`, ignoring case, and returns whether they
/// were all there.
fn expect_word(chars: &mut CharIndices<'_>, word: &str) -> bool {
    word.chars()
        .all(|expected| chars.next().is_some_and(|(_, c)| fold(c) == expected))
}

/// Folds the letters of `ci` and `skip` to lower case, with their two non-ASCII folds.
fn fold(c: char) -> char {
    match c {
        '\u{17F}' => 's',
        '\u{212A}' => 'k',
        c => c.to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_found() {
        for (message, marker) in [
            ("Fix typo [skip ci]", "[skip ci]"),
            ("[ci skip] docs only", "[ci skip]"),
            ("a\n\nbody [SKIP-CI]", "[SKIP-CI]"),
            ("[Ci_Skip]", "[Ci_Skip]"),
            ("x [skip_ci] y [ci skip]", "[skip_ci]"),
            ("[[skip ci]]", "[skip ci]"),
            ("[\u{17F}kip ci]", "[\u{17F}kip ci]"),
            ("[s\u{212A}ip ci]", "[s\u{212A}ip ci]"),
            ("é [skip ci]", "[skip ci]"),
        ] {
            assert_eq!(find_skip_ci(message), Some(marker), "{message:?}");
        }
    }

    #[test]
    fn non_markers_ignored() {
        for message in [
            "skip ci",
            "[skip ci",
            "[skipci]",
            "[skip  ci]",
            "[skip.ci]",
            "[ skip ci]",
            "[skip ci ]",
            "(skip ci)",
            "[ci skip please]",
            "[skip cı]",
            "[skİp ci]",
            "[",
            "",
        ] {
            assert_eq!(find_skip_ci(message), None, "{message:?}");
        }
    }

    #[test]
    fn sources_that_ignore_the_marker() {
        let mut context = PipelineContext::push("main");
        context.commit.message = "Fix [skip ci]".to_owned();
        assert_eq!(context.skip_ci_marker(), Some("[skip ci]"));
        for source in [
            PipelineSource::Web,
            PipelineSource::Api,
            PipelineSource::Schedule,
            PipelineSource::Trigger,
            PipelineSource::Pipeline,
            PipelineSource::ParentPipeline,
            PipelineSource::External,
            PipelineSource::Webide,
        ] {
            context.source = source;
            assert_eq!(context.skip_ci_marker(), None, "{source:?}");
        }
        for source in [
            PipelineSource::MergeRequestEvent,
            PipelineSource::ExternalPullRequestEvent,
            PipelineSource::Chat,
            PipelineSource::OndemandDastScan,
            PipelineSource::OndemandDastValidation,
            PipelineSource::SecurityOrchestrationPolicy,
        ] {
            context.source = source;
            assert_eq!(context.skip_ci_marker(), Some("[skip ci]"), "{source:?}");
        }
    }
}
