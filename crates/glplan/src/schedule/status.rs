//! GitLab's composite status: the status of a set of jobs, which decides whether a job may
//! start after its predecessors and gives the pipeline's status.

use serde::Serialize;

/// A job's status in the terms of the composite status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Token {
    Created,
    WaitingForResource,
    Scheduled,
    Manual,
    Pending,
    Running,
    Success,
    Failed,
    Canceled,
    Skipped,
    /// A failed or canceled job with `allow_failure`.
    SuccessWithWarnings,
    /// A manual job with `allow_failure: true` that was not played.
    Ignored,
}

impl Token {
    /// Returns whether the token no longer changes in the simulation: the job completed, or is
    /// an optional manual job that is not played.
    pub(super) fn is_settled(self) -> bool {
        matches!(
            self,
            Token::Success
                | Token::Failed
                | Token::Canceled
                | Token::Skipped
                | Token::SuccessWithWarnings
                | Token::Ignored
        )
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// Returns the token's position in [`TokenCounts`].
    fn index(self) -> usize {
        self as usize
    }
}

/// The number of jobs with each token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct TokenCounts([u32; TOKEN_KINDS]);

/// The number of [`Token`] variants.
const TOKEN_KINDS: usize = 12;

impl TokenCounts {
    /// Moves one job from token `from` to token `to`.
    pub(super) fn shift(&mut self, from: Token, to: Token) {
        if let Some(count) = self.0.get_mut(from.index()) {
            *count = count.saturating_sub(1);
        }
        self.add(to);
    }

    /// Counts one more job with `token`.
    pub(super) fn add(&mut self, token: Token) {
        if let Some(count) = self.0.get_mut(token.index()) {
            *count += 1;
        }
    }

    /// Returns the number of jobs with `token`.
    pub(super) fn get(&self, token: Token) -> u32 {
        self.0.get(token.index()).copied().unwrap_or(0)
    }

    /// Returns the set of tokens that at least one job has.
    pub(super) fn set(&self) -> TokenSet {
        let mut set = TokenSet::default();
        for token in ALL_TOKENS {
            if self.get(token) > 0 {
                set.insert(token);
            }
        }
        set
    }
}

/// Every [`Token`], in declaration order.
const ALL_TOKENS: [Token; TOKEN_KINDS] = [
    Token::Created,
    Token::WaitingForResource,
    Token::Scheduled,
    Token::Manual,
    Token::Pending,
    Token::Running,
    Token::Success,
    Token::Failed,
    Token::Canceled,
    Token::Skipped,
    Token::SuccessWithWarnings,
    Token::Ignored,
];

/// A set of tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct TokenSet(u16);

impl TokenSet {
    pub(super) fn insert(&mut self, token: Token) {
        self.0 |= token.bit();
    }

    pub(super) fn union(self, other: TokenSet) -> TokenSet {
        TokenSet(self.0 | other.0)
    }

    fn contains(self, token: Token) -> bool {
        self.0 & token.bit() != 0
    }

    fn within(self, allowed: &[Token]) -> bool {
        let mask = allowed.iter().fold(0, |mask, token| mask | token.bit());
        self.0 & !mask == 0
    }
}

/// A pipeline's status, with GitLab's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(any(test, feature = "schema"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PipelineStatus {
    /// No job has started.
    Created,
    /// Jobs wait for a runner.
    Pending,
    /// Jobs run or wait for a runner, or later jobs are not decided yet.
    Running,
    /// A job waits for its resource group.
    WaitingForResource,
    /// A blocking manual job waits for a user; GitLab shows the pipeline as blocked.
    Manual,
    /// A delayed job waits for its timer.
    Scheduled,
    /// Every job succeeded, was skipped, or failed with `allow_failure`.
    Success,
    /// A job failed without `allow_failure`.
    Failed,
    /// A job was canceled.
    Canceled,
    /// Every job was skipped.
    Skipped,
}

/// The composite status of `set`, GitLab's rules in GitLab's order. `dag` is the mode for the
/// needs of a job with `needs`. An empty set counts as success, as the processing loop
/// treats it.
pub(super) fn composite(set: TokenSet, dag: bool) -> PipelineStatus {
    use Token as T;
    if set.0 == 0 {
        return PipelineStatus::Success;
    }
    if dag && (set.contains(T::Skipped) || set.contains(T::Ignored)) {
        return PipelineStatus::Skipped;
    }
    if set.within(&[T::Skipped, T::Ignored]) {
        return PipelineStatus::Skipped;
    }
    if set.within(&[T::Success, T::Skipped, T::SuccessWithWarnings, T::Ignored]) {
        return PipelineStatus::Success;
    }
    if set.within(&[T::Created, T::SuccessWithWarnings, T::Ignored]) {
        return PipelineStatus::Created;
    }
    if set.within(&[
        T::Canceled,
        T::Success,
        T::Skipped,
        T::SuccessWithWarnings,
        T::Ignored,
    ]) {
        return PipelineStatus::Canceled;
    }
    if set.within(&[
        T::Pending,
        T::Created,
        T::Skipped,
        T::SuccessWithWarnings,
        T::Ignored,
    ]) {
        return PipelineStatus::Pending;
    }
    if set.contains(T::Running) || set.contains(T::Pending) {
        return PipelineStatus::Running;
    }
    if set.contains(T::WaitingForResource) {
        return PipelineStatus::WaitingForResource;
    }
    if set.contains(T::Manual) {
        return PipelineStatus::Manual;
    }
    if set.contains(T::Scheduled) {
        return PipelineStatus::Scheduled;
    }
    if set.contains(T::Created) {
        return PipelineStatus::Running;
    }
    PipelineStatus::Failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use Token as T;

    fn set(tokens: &[Token]) -> TokenSet {
        let mut set = TokenSet::default();
        for token in tokens {
            set.insert(*token);
        }
        set
    }

    #[test]
    fn composite_cases() {
        use PipelineStatus as P;
        let cases: [(&[Token], bool, PipelineStatus); 16] = [
            (&[], false, P::Success),
            (&[], true, P::Success),
            (&[T::Success, T::Skipped], true, P::Skipped),
            (&[T::Success, T::Ignored], true, P::Skipped),
            (&[T::Success, T::Ignored], false, P::Success),
            (&[T::Skipped, T::Ignored], false, P::Skipped),
            (&[T::Success, T::SuccessWithWarnings], false, P::Success),
            (&[T::SuccessWithWarnings], true, P::Success),
            (&[T::Success, T::Failed], false, P::Failed),
            (&[T::Success, T::Canceled], false, P::Canceled),
            (&[T::Failed, T::Canceled], false, P::Failed),
            (&[T::Success, T::Manual], false, P::Manual),
            (&[T::Ignored, T::Manual], false, P::Manual),
            (&[T::Success, T::Pending], false, P::Running),
            (&[T::Created, T::Scheduled], false, P::Scheduled),
            (&[T::Success, T::Created], false, P::Running),
        ];
        for (tokens, dag, expected) in cases {
            assert_eq!(
                composite(set(tokens), dag),
                expected,
                "{tokens:?} dag={dag}"
            );
        }
    }

    #[test]
    fn token_counts_index_every_token() {
        for (position, token) in ALL_TOKENS.into_iter().enumerate() {
            assert_eq!(token.index(), position, "{token:?}");
        }
        let mut counts = TokenCounts::default();
        counts.add(T::Created);
        counts.add(T::Created);
        counts.shift(T::Created, T::Ignored);
        assert_eq!(counts.get(T::Created), 1);
        assert_eq!(counts.get(T::Ignored), 1);
        assert_eq!(counts.set(), set(&[T::Created, T::Ignored]));
    }

    #[test]
    fn settled_tokens() {
        assert!(T::Ignored.is_settled());
        assert!(T::SuccessWithWarnings.is_settled());
        assert!(!T::Manual.is_settled());
        assert!(!T::Scheduled.is_settled());
    }
}
