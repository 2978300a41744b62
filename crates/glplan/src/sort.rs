//! Stable sorts compiled once for every element type.
//!
//! The standard library compiles its sorts anew for each element type and each comparison
//! closure, and in the WebAssembly module each copy took about 3 to 10 KB before wasm-opt.
//! These functions sort the elements' positions instead, with the comparison behind `dyn`, so
//! only one sort is compiled: [`sort_positions`]. They then move the elements into their new
//! order. That costs an allocation of one `usize` per element and an indirect call per
//! comparison, so they suit short lists and cold code. Hot sorts of integers and strings keep
//! the standard library's methods, whose copy for one element type all callers share.

use std::cmp::Ordering;

/// Sorts `items` by the key that `key` returns, keeping the order of equal keys, like
/// [`slice::sort_by_key`].
pub(crate) fn sort_by_key<T, K: Ord>(items: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` by `compare`, keeping the order of equal elements, like [`slice::sort_by`].
pub(crate) fn sort_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    sort_positions(&mut order, &mut |a, b| match (items.get(a), items.get(b)) {
        (Some(a), Some(b)) => compare(a, b),
        // Every position in `order` is below `items.len()`.
        _ => Ordering::Equal,
    });
    permute(items, &mut order);
}

/// Sorts positions by `compare`. This is the one copy of the standard library's stable sort
/// that the functions above share.
#[inline(never)]
fn sort_positions(order: &mut [usize], compare: &mut dyn FnMut(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| compare(a, b));
}

/// Moves the element at `order[i]` to position `i` for every `i`, following each cycle of the
/// permutation with swaps. `order` is left as the identity.
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        let mut current = start;
        while let Some(slot) = order.get_mut(current) {
            let source = std::mem::replace(slot, current);
            if source == start {
                break;
            }
            // Position `current` receives the element at `source`, and the element that
            // belongs at `start` moves on to `source`, which the next step fills.
            items.swap(current, source);
            current = source;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_by_key_is_stable() {
        let mut items = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e'), (3, 'f')];
        sort_by_key(&mut items, |&(key, _)| key);
        assert_eq!(
            items,
            [(1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c'), (3, 'f')]
        );
    }

    #[test]
    fn sort_by_matches_standard_sort() {
        // Every permutation of 0..6 with keys that collide, against `slice::sort_by_key`.
        let mut permutation: Vec<usize> = (0..6).collect();
        loop {
            let mut expected: Vec<(usize, usize)> =
                permutation.iter().map(|&n| (n % 3, n)).collect();
            let mut actual = expected.clone();
            expected.sort_by_key(|&(key, _)| key);
            sort_by(&mut actual, |a, b| a.0.cmp(&b.0));
            assert_eq!(actual, expected, "input {permutation:?}");
            if !next_permutation(&mut permutation) {
                break;
            }
        }
    }

    #[test]
    fn sort_by_handles_empty_and_single() {
        let mut empty: Vec<String> = Vec::new();
        sort_by(&mut empty, |a, b| a.cmp(b));
        assert!(empty.is_empty());
        let mut single = vec![String::from("only")];
        sort_by(&mut single, |a, b| a.cmp(b));
        assert_eq!(single, ["only"]);
    }

    #[test]
    fn sort_by_long_cycle() {
        // A rotation is one cycle through every position.
        let mut items: Vec<u32> = (1..1000).chain([0]).collect();
        sort_by(&mut items, u32::cmp);
        assert!(items.iter().copied().eq(0..1000));
    }

    /// Rearranges `values` into the next permutation in lexicographic order, or returns false
    /// after the last one.
    fn next_permutation(values: &mut [usize]) -> bool {
        let Some(pivot) = (1..values.len()).rev().find(|&i| values[i - 1] < values[i]) else {
            return false;
        };
        let successor = (pivot..values.len())
            .rev()
            .find(|&i| values[i] > values[pivot - 1])
            .unwrap_or(pivot);
        values.swap(pivot - 1, successor);
        values[pivot..].reverse();
        true
    }
}
