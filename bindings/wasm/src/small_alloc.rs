//! Free lists for small allocations, in front of the module's general allocator.
//!
//! Planning a pipeline makes many short-lived small allocations: names, values, trace texts
//! and small vectors. Planning the 294-job benchmark pipeline makes about 71,000, and 52,000 of
//! them are 64 bytes or less. A general allocator searches its bins and merges neighbouring
//! free blocks on every call. Here a block of at most [`SMALL_LIMIT`] bytes, aligned to at
//! most [`GRANULE`], comes from one free list per size class instead: taking and returning a
//! block is a load and a store. An empty list takes the next block from a chunk of [`CHUNK`]
//! bytes, which the general allocator hands out once and never gets back.
//!
//! A listed block serves only its own class, so chunk memory is kept for the blocks of one
//! size even when a later call needs another. [`MAX_CHUNKS`] bounds that memory: past it, an
//! empty list takes a block of its class's size from the general allocator, and such a block
//! goes back to it when it is freed.
//!
//! The allocator keeps its state in an `UnsafeCell` without a lock, so it is only sound where
//! one thread runs: wasm32 without the `atomics` feature, which is the only place the module
//! installs it.

#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;

/// The step between size classes, and the alignment every small block has.
pub const GRANULE: usize = 8;
/// The number of size classes: blocks of 8, 16, ..., 256 bytes.
const CLASSES: usize = 32;
/// The largest block served from the free lists.
pub const SMALL_LIMIT: usize = GRANULE * CLASSES;
/// The size of the chunks that small blocks are carved from.
pub const CHUNK: usize = 64 * 1024;
/// The maximum number of chunks taken, 4 MiB in all.
pub const MAX_CHUNKS: usize = 64;

/// A global allocator that serves small blocks from free lists and the rest from `A`.
pub struct SmallBlocks<A> {
    inner: A,
    state: UnsafeCell<State>,
}

/// The free lists and the chunks.
struct State {
    /// The first free block of each class; each free block contains the address of the next.
    free: [*mut u8; CLASSES],
    /// The start of the current chunk's unused part.
    next: *mut u8,
    /// The end of the current chunk.
    end: *mut u8,
    /// The start addresses of the chunks taken, in ascending order, then zeros.
    chunks: [usize; MAX_CHUNKS],
    /// The number of chunks taken.
    chunk_count: usize,
    /// The number of blocks of the general allocator handed out and not yet freed.
    outside: usize,
}

impl<A> core::fmt::Debug for SmallBlocks<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SmallBlocks").finish_non_exhaustive()
    }
}

// SAFETY: the module runs on one thread (see the module's documentation), so the state is
// never reached from two threads.
unsafe impl<A: Sync> Sync for SmallBlocks<A> {}

impl<A> SmallBlocks<A> {
    /// Creates an allocator with empty free lists in front of `inner`.
    pub const fn new(inner: A) -> Self {
        Self {
            inner,
            state: UnsafeCell::new(State {
                free: [ptr::null_mut(); CLASSES],
                next: ptr::null_mut(),
                end: ptr::null_mut(),
                chunks: [0; MAX_CHUNKS],
                chunk_count: 0,
                outside: 0,
            }),
        }
    }
}

/// Returns the size class of a layout, or `None` when the general allocator serves it.
#[inline(always)]
fn class(size: usize, align: usize) -> Option<usize> {
    if size <= SMALL_LIMIT && align <= GRANULE {
        Some(size.saturating_sub(1) / GRANULE)
    } else {
        None
    }
}

impl<A: GlobalAlloc> SmallBlocks<A> {
    /// Takes a block of class `class` from its free list, from the current chunk, from a new
    /// chunk, or, past [`MAX_CHUNKS`], from the general allocator.
    ///
    /// # Safety
    ///
    /// `class` is below [`CLASSES`], and no other reference to the state is alive.
    #[inline(always)]
    unsafe fn take(&self, class: usize) -> *mut u8 {
        // SAFETY: the caller guarantees that nothing else borrows the state.
        let state = unsafe { &mut *self.state.get() };
        let Some(head) = state.free.get_mut(class) else {
            return ptr::null_mut();
        };
        if !head.is_null() {
            let block = *head;
            // SAFETY: a free block is at least 8 bytes, 8-aligned, and contains the next one's
            // address, written by `give`.
            *head = unsafe { block.cast::<*mut u8>().read() };
            return block;
        }
        let size = (class + 1) * GRANULE;
        if (state.end as usize) - (state.next as usize) < size && !self.new_chunk(state) {
            state.outside += 1;
            // SAFETY: the size is not zero, and the alignment is a power of two.
            return unsafe { self.inner.alloc(class_layout(class)) };
        }
        let block = state.next;
        // SAFETY: at least `size` bytes of the chunk are unused.
        state.next = unsafe { block.add(size) };
        block
    }

    /// Takes a new chunk from the general allocator and makes it the current one. Returns
    /// `false` when [`MAX_CHUNKS`] are taken or the general allocator has no memory.
    #[cold]
    fn new_chunk(&self, state: &mut State) -> bool {
        if state.chunk_count >= MAX_CHUNKS {
            return false;
        }
        // SAFETY: the layout's size is not zero.
        let chunk = unsafe {
            self.inner
                .alloc(Layout::from_size_align_unchecked(CHUNK, GRANULE))
        };
        if chunk.is_null() {
            return false;
        }
        let start = chunk as usize;
        let taken = state.chunks.get(..state.chunk_count).unwrap_or_default();
        let at = taken.partition_point(|&other| other < start);
        if let Some(slots) = state.chunks.get_mut(at..=state.chunk_count) {
            slots.rotate_right(1);
            if let Some(slot) = slots.first_mut() {
                *slot = start;
            }
        }
        state.chunk_count += 1;
        state.next = chunk;
        // SAFETY: the chunk is `CHUNK` bytes long.
        state.end = unsafe { chunk.add(CHUNK) };
        true
    }

    /// Puts a block of class `class` at the head of its free list, or returns it to the
    /// general allocator when it came from there.
    ///
    /// # Safety
    ///
    /// `block` came from `take` with the same class and is no longer used, and no other
    /// reference to the state is alive.
    #[inline(always)]
    unsafe fn give(&self, block: *mut u8, class: usize) {
        // SAFETY: the caller guarantees that nothing else borrows the state.
        let state = unsafe { &mut *self.state.get() };
        if state.outside > 0 && !in_chunk(state, block) {
            state.outside -= 1;
            // SAFETY: a block outside the chunks came from the general allocator with its
            // class's layout, and it is no longer used.
            unsafe { self.inner.dealloc(block, class_layout(class)) };
            return;
        }
        if let Some(head) = state.free.get_mut(class) {
            // SAFETY: the block is at least 8 bytes and 8-aligned, and no longer used.
            unsafe { block.cast::<*mut u8>().write(*head) };
            *head = block;
        }
    }
}

/// Returns whether `block` lies in one of the chunks taken.
#[cold]
fn in_chunk(state: &State, block: *mut u8) -> bool {
    let chunks = state.chunks.get(..state.chunk_count).unwrap_or_default();
    let address = block as usize;
    let after = chunks.partition_point(|&start| start <= address);
    after
        .checked_sub(1)
        .and_then(|index| chunks.get(index))
        .is_some_and(|&start| address < start + CHUNK)
}

/// Returns the layout of the blocks of class `class`, which the general allocator gives out.
fn class_layout(class: usize) -> Layout {
    // SAFETY: the size is at most `SMALL_LIMIT` and not zero, and `GRANULE` is a power of two.
    unsafe { Layout::from_size_align_unchecked((class + 1) * GRANULE, GRANULE) }
}

// SAFETY: a block handed out is the general allocator's block, either for the requested layout
// or for its class's layout. The class's size is at least the requested size and `GRANULE` at
// least the requested alignment. A listed block is handed out once and is not used until it
// is freed again.
unsafe impl<A: GlobalAlloc> GlobalAlloc for SmallBlocks<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class(layout.size(), layout.align()) {
            // SAFETY: `class` is below `CLASSES`, and the state is not borrowed here.
            Some(class) => unsafe { self.take(class) },
            // SAFETY: the caller upholds `alloc`'s contract.
            None => unsafe { self.inner.alloc(layout) },
        }
    }

    #[inline]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match class(layout.size(), layout.align()) {
            // SAFETY: a block with this layout was taken from this class.
            Some(class) => unsafe { self.give(block, class) },
            // SAFETY: a block with this layout came from the general allocator.
            None => unsafe { self.inner.dealloc(block, layout) },
        }
    }

    #[inline]
    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = class(layout.size(), layout.align());
        let new = class(new_size, layout.align());
        match (old, new) {
            // SAFETY: the caller upholds `realloc`'s contract, and the block came from the
            // general allocator.
            (None, None) => unsafe { self.inner.realloc(block, layout, new_size) },
            (Some(old), Some(new)) if old == new => block,
            _ => {
                // SAFETY: the caller guarantees that the new size, rounded up to the
                // alignment, does not overflow `isize`.
                let new_layout =
                    unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
                // SAFETY: the new size is not zero.
                let moved = unsafe { self.alloc(new_layout) };
                if !moved.is_null() {
                    // SAFETY: both blocks hold at least the smaller size, and they are
                    // distinct blocks.
                    unsafe {
                        ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                }
                moved
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::alloc::System;

    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    /// Fills a block with a pattern that depends on `seed`.
    unsafe fn fill(block: *mut u8, size: usize, seed: u8) {
        for i in 0..size {
            unsafe { block.add(i).write(seed.wrapping_add(i as u8)) };
        }
    }

    unsafe fn contains_pattern(block: *const u8, size: usize, seed: u8) -> bool {
        (0..size).all(|i| unsafe { block.add(i).read() } == seed.wrapping_add(i as u8))
    }

    #[test]
    fn small_blocks_aligned_and_distinct() {
        let alloc = SmallBlocks::new(System);
        let mut blocks = Vec::new();
        for size in 1..=SMALL_LIMIT {
            for align in [1, 2, 4, 8] {
                let block = unsafe { alloc.alloc(layout(size, align)) };
                assert!(!block.is_null());
                assert_eq!(block as usize % align, 0, "size {size}, align {align}");
                unsafe { fill(block, size, size as u8) };
                blocks.push((block, size, align));
            }
        }
        for &(block, size, align) in &blocks {
            assert!(
                unsafe { contains_pattern(block, size, size as u8) },
                "size {size}, align {align}"
            );
        }
        for (block, size, align) in blocks {
            unsafe { alloc.dealloc(block, layout(size, align)) };
        }
    }

    #[test]
    fn freed_block_reused_within_class() {
        let alloc = SmallBlocks::new(System);
        let first = unsafe { alloc.alloc(layout(20, 4)) };
        unsafe { alloc.dealloc(first, layout(20, 4)) };
        // 17 to 24 bytes share a class; 32 bytes is the next one.
        let other_class = unsafe { alloc.alloc(layout(32, 8)) };
        assert_ne!(other_class, first);
        let same_class = unsafe { alloc.alloc(layout(24, 8)) };
        assert_eq!(same_class, first);
    }

    fn listed_blocks(alloc: &SmallBlocks<System>) -> usize {
        let state = unsafe { &*alloc.state.get() };
        let mut count = 0;
        for &head in &state.free {
            let mut block = head;
            while !block.is_null() {
                count += 1;
                block = unsafe { block.cast::<*mut u8>().read() };
            }
        }
        count
    }

    #[test]
    fn blocks_past_max_chunks_returned() {
        let alloc = SmallBlocks::new(System);
        let in_chunks = MAX_CHUNKS * (CHUNK / SMALL_LIMIT);
        let blocks: Vec<*mut u8> = (0..in_chunks + 100)
            .map(|i| {
                let block = unsafe { alloc.alloc(layout(SMALL_LIMIT, 8)) };
                assert!(!block.is_null());
                unsafe { fill(block, SMALL_LIMIT, i as u8) };
                block
            })
            .collect();
        let mut addresses: Vec<usize> = blocks.iter().map(|&block| block as usize).collect();
        addresses.sort_unstable();
        assert!(
            addresses
                .windows(2)
                .all(|pair| pair[1] - pair[0] >= SMALL_LIMIT)
        );
        for (i, &block) in blocks.iter().enumerate() {
            assert!(unsafe { contains_pattern(block, SMALL_LIMIT, i as u8) });
        }
        for &block in &blocks {
            unsafe { alloc.dealloc(block, layout(SMALL_LIMIT, 8)) };
        }
        // The 100 blocks past the chunks went back to the general allocator.
        assert_eq!(listed_blocks(&alloc), in_chunks);
        assert_eq!(unsafe { (*alloc.state.get()).outside }, 0);
    }

    #[test]
    fn large_blocks_bypass_free_lists() {
        let alloc = SmallBlocks::new(System);
        for (size, align) in [(SMALL_LIMIT + 1, 8), (16, 16), (64, 64), (100_000, 8)] {
            let block = unsafe { alloc.alloc(layout(size, align)) };
            assert!(!block.is_null());
            assert_eq!(block as usize % align, 0);
            unsafe {
                fill(block, size, 3);
                assert!(contains_pattern(block, size, 3));
                alloc.dealloc(block, layout(size, align));
            }
        }
        assert_eq!(listed_blocks(&alloc), 0);
    }

    #[test]
    fn realloc_keeps_contents() {
        let alloc = SmallBlocks::new(System);
        let mut block = unsafe { alloc.alloc(layout(1, 1)) };
        unsafe { fill(block, 1, 9) };
        let mut size = 1;
        // Grows through every class into the general allocator's sizes, then shrinks back.
        let sizes = (2..=SMALL_LIMIT + 40).chain([4096, 70_000, 300, SMALL_LIMIT, 5]);
        for new_size in sizes {
            let moved = unsafe { alloc.realloc(block, layout(size, 1), new_size) };
            assert!(!moved.is_null());
            let kept = size.min(new_size);
            assert!(
                unsafe { contains_pattern(moved, kept, 9) },
                "{size} -> {new_size}"
            );
            if class(size, 1).is_some() && class(size, 1) == class(new_size, 1) {
                assert_eq!(moved, block, "{size} -> {new_size} stays in its class");
            }
            unsafe { fill(moved, new_size, 9) };
            block = moved;
            size = new_size;
        }
        unsafe { alloc.dealloc(block, layout(size, 1)) };
    }
}
