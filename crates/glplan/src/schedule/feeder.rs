//! gitlab-runner's feeder: the loop that hands one host's runners to its worker pool.
//!
//! gitlab-runner (`feedRunners` in `commands/multi.go`) sends the `[[runners]]` entries, in
//! file order and round after round, into an unbuffered channel read by `concurrent` workers.
//! After each entry it sleeps `check_interval / n`, where n is the number of entries. The send
//! blocks while every worker is busy, and the next sleep starts only when it returns, so a
//! stall shifts every later feed.
//!
//! Feeds are numbered from an anchor: the pipeline's creation, or the second the last stall
//! ended. Feed `k` comes `k * check_interval / n` seconds after the anchor, rounded down to
//! whole seconds because job ends fall on whole seconds and a job that ends at the same second
//! as a feed counts as ending first.

/// The feeder of one host.
#[derive(Debug, Clone)]
pub(super) struct Feeder {
    /// Indexes in the pool of the host's runners, in file order.
    runners: Vec<usize>,
    /// `check_interval` in seconds.
    interval: u64,
    /// Second of feed 0.
    base: u64,
    /// Position in [`Feeder::runners`] of the runner handed out at feed 0.
    origin: usize,
    /// The first feed not yet handed out.
    cursor: u64,
    /// The feed whose send waits for a free worker, set while every worker is busy.
    blocked: Option<u64>,
    /// The feed that has an event in the queue, as (second, feed).
    next: Option<(u64, u64)>,
}

impl Feeder {
    /// Returns a feeder that hands out the first of `runners` at second 0.
    pub(super) fn new(runners: Vec<usize>, interval: u64) -> Feeder {
        Feeder {
            runners,
            interval,
            base: 0,
            origin: 0,
            cursor: 0,
            blocked: None,
            next: None,
        }
    }

    /// Returns the pool index of the runner handed out at `feed`.
    pub(super) fn runner(&self, feed: u64) -> Option<usize> {
        let count = self.runners.len();
        if count == 0 {
            return None;
        }
        let step = usize::try_from(feed % count as u64).unwrap_or(0);
        self.runners.get((self.origin + step) % count).copied()
    }

    /// Returns the second of `feed`, or `now` when that second has passed, which happens
    /// only with a `check_interval` of 0.
    pub(super) fn second(&self, feed: u64, now: u64) -> u64 {
        self.offset(feed).max(now)
    }

    /// Returns the second of `feed` from the anchor: `feed * check_interval / n` seconds
    /// after it, rounded down.
    fn offset(&self, feed: u64) -> u64 {
        let count = self.runners.len().max(1) as u128;
        let seconds = u128::from(feed) * u128::from(self.interval) / count;
        self.base
            .saturating_add(u64::try_from(seconds).unwrap_or(u64::MAX))
    }

    /// Returns the first feed not handed out yet that comes at or after `now`.
    fn first_from(&self, now: u64) -> u64 {
        let elapsed = now.saturating_sub(self.base);
        if self.interval == 0 || elapsed == 0 {
            return self.cursor;
        }
        // The smallest k with k * interval / n >= elapsed, rounded down, is
        // ceil(elapsed * n / interval), because elapsed is a whole number of seconds.
        let count = self.runners.len().max(1) as u128;
        let feed = (u128::from(elapsed) * count).div_ceil(u128::from(self.interval));
        u64::try_from(feed).unwrap_or(u64::MAX).max(self.cursor)
    }

    /// Returns the feeds to check for the next event from `now`, earliest first. The range
    /// covers at most one round and stops at the feed already queued.
    pub(super) fn candidates(&self, now: u64) -> std::ops::Range<u64> {
        let first = self.first_from(now);
        let round = first.saturating_add(self.runners.len() as u64);
        let last = match self.next {
            Some((_, queued)) => queued.min(round),
            None => round,
        };
        first..last.max(first)
    }

    /// Records the event queued for `feed` at `second`.
    pub(super) fn queue(&mut self, second: u64, feed: u64) {
        self.next = Some((second, feed));
    }

    /// Takes the queued feed if its event is due at `now`, and moves past it.
    pub(super) fn take_due(&mut self, now: u64) -> Option<u64> {
        let (second, feed) = self.next?;
        if second != now {
            return None;
        }
        self.next = None;
        self.cursor = feed.saturating_add(1);
        Some(feed)
    }

    /// Records that every worker became busy, so the next feed's send waits for a free one.
    pub(super) fn block(&mut self) {
        self.blocked = Some(self.cursor);
        self.next = None;
    }

    /// Records that a worker became free at `now`. If the second of the waiting feed has
    /// passed, its send completes now, so that feed moves to `now` and the later feeds
    /// follow it.
    pub(super) fn release(&mut self, now: u64) {
        let Some(feed) = self.blocked.take() else {
            return;
        };
        if self.offset(feed) >= now {
            return;
        }
        let count = self.runners.len().max(1);
        let step = usize::try_from(feed % count as u64).unwrap_or(0);
        self.origin = (self.origin + step) % count;
        self.base = now;
        self.cursor = 0;
        self.next = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_spread_over_interval() {
        let feeder = Feeder::new(vec![4, 5, 6], 10);
        let seconds: Vec<u64> = (0..7).map(|feed| feeder.second(feed, 0)).collect();
        assert_eq!(seconds, [0, 3, 6, 10, 13, 16, 20]);
        let runners: Vec<Option<usize>> = (0..4).map(|feed| feeder.runner(feed)).collect();
        assert_eq!(runners, [Some(4), Some(5), Some(6), Some(4)]);
    }

    #[test]
    fn first_feed_at_or_after_now() {
        let feeder = Feeder::new(vec![0, 1, 2], 10);
        assert_eq!(feeder.candidates(0), 0..3);
        assert_eq!(feeder.candidates(3), 1..4);
        assert_eq!(feeder.candidates(4), 2..5);
        assert_eq!(feeder.candidates(10), 3..6);
    }

    #[test]
    fn queued_feed_bounds_candidates() {
        let mut feeder = Feeder::new(vec![0, 1, 2], 10);
        feeder.queue(6, 2);
        assert_eq!(feeder.candidates(0), 0..2);
        assert_eq!(feeder.take_due(5), None);
        assert_eq!(feeder.take_due(6), Some(2));
        assert_eq!(feeder.candidates(6), 3..6);
    }

    #[test]
    fn stall_moves_later_feeds() {
        let mut feeder = Feeder::new(vec![0, 1], 600);
        feeder.queue(0, 0);
        assert_eq!(feeder.take_due(0), Some(0));
        feeder.block();
        feeder.release(1000);
        assert_eq!(feeder.runner(0), Some(1), "the waiting runner goes first");
        assert_eq!(feeder.second(0, 1000), 1000);
        assert_eq!(feeder.second(1, 1000), 1300);
        assert_eq!(feeder.runner(1), Some(0));
    }

    #[test]
    fn worker_free_before_feed_no_stall() {
        let mut feeder = Feeder::new(vec![0, 1], 600);
        feeder.queue(0, 0);
        assert_eq!(feeder.take_due(0), Some(0));
        feeder.block();
        feeder.release(300);
        assert_eq!(
            feeder.second(1, 300),
            300,
            "the feed at 300 finds the free worker"
        );
        assert_eq!(feeder.runner(1), Some(1));
    }

    #[test]
    fn zero_interval_feeds_now() {
        let feeder = Feeder::new(vec![0, 1], 0);
        assert_eq!(feeder.candidates(50), 0..2);
        assert_eq!(feeder.second(1, 50), 50);
    }

    #[test]
    fn no_runners_no_feed() {
        let feeder = Feeder::new(Vec::new(), 3);
        assert_eq!(feeder.runner(0), None);
        assert!(feeder.candidates(0).is_empty());
    }
}
