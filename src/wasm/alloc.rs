//! The wasm runtime's memory: the global allocator and `memcmp`. Compiled for wasm32 only
//! (`mod.rs` gates this module), so native builds and tests keep the system's own.

// The standard library's wasm allocator (dlmalloc) asks the host for linear memory in steps of
// what one allocation needs, 64 KiB pages at a time. Every `memory.grow` makes the JS engine
// replace the memory's ArrayBuffer, which costs far more than the allocation: with 100,000
// invoices (435 MB of heap, ~7,000 grows) a profile of `summary()` showed 1.5 s in the grow
// path alone, the reason the core grew worse than linearly from 10,000 to 100,000 invoices. The
// same dlmalloc with a system allocator that grows by at least an eighth of the memory so far
// (and at least 1 MiB) needs ~60 grows for the same heap and at most 12.5% more memory.
// Single-threaded: wasm32-unknown-unknown without the atomics feature has one thread.

#[cfg(not(target_feature = "atomics"))]
mod heap {
    use core::alloc::{GlobalAlloc, Layout};
    use core::arch::wasm32;
    use core::cell::UnsafeCell;
    use core::ptr;

    const PAGE: usize = 64 * 1024;
    const MIN_STEP: usize = 1 << 20;

    pub struct GrowInSteps;

    // SAFETY: regions come from `memory.grow`, are never returned, and are handed out once.
    unsafe impl dlmalloc::Allocator for GrowInSteps {
        fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
            let needed = size.div_ceil(PAGE);
            let current = wasm32::memory_size(0) * PAGE;
            let step = size.max(current / 8).max(MIN_STEP).div_ceil(PAGE);
            // Near the 4 GiB limit a large step may not fit where the exact size still does.
            let (prev, pages) = match wasm32::memory_grow(0, step) {
                usize::MAX if step > needed => (wasm32::memory_grow(0, needed), needed),
                prev => (prev, step),
            };
            if prev == usize::MAX {
                return (ptr::null_mut(), 0, 0);
            }
            let base = prev * PAGE;
            let len = pages * PAGE;
            // A region may not end exactly at the top of the address space (as dlmalloc's own).
            if base.wrapping_add(len) == 0 {
                return (base as *mut u8, len - 16, 0);
            }
            (base as *mut u8, len, 0)
        }
        fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
            ptr::null_mut()
        }
        fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
            false
        }
        fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
            false
        }
        fn can_release_part(&self, _flags: u32) -> bool {
            false
        }
        fn allocates_zeros(&self) -> bool {
            true
        }
        fn page_size(&self) -> usize {
            PAGE
        }
    }

    pub struct Heap(UnsafeCell<dlmalloc::Dlmalloc<GrowInSteps>>);

    // SAFETY: one thread (see above), and no allocation re-enters the allocator.
    unsafe impl Sync for Heap {}

    unsafe impl GlobalAlloc for Heap {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            #[cfg(feature = "heap-stats")]
            super::stats::add(layout.size());
            (*self.0.get()).malloc(layout.size(), layout.align())
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            #[cfg(feature = "heap-stats")]
            super::stats::add(layout.size());
            (*self.0.get()).calloc(layout.size(), layout.align())
        }
        // `free` and `realloc` with a size first assert that the size matches the chunk (a
        // check that cost ~4% of ingest and matching); the C-shaped calls skip it. Every pointer
        // came from this heap with the layout Rust passes back, which is what they rely on.
        unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
            #[cfg(feature = "heap-stats")]
            super::stats::sub(_layout.size());
            (*self.0.get()).c_free(ptr)
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            #[cfg(feature = "heap-stats")]
            {
                super::stats::sub(layout.size());
                super::stats::add(new_size);
            }
            let heap = &mut *self.0.get();
            if layout.align() <= 2 * core::mem::size_of::<usize>() {
                heap.c_realloc(ptr, new_size)
            } else {
                heap.realloc(ptr, layout.size(), layout.align(), new_size)
            }
        }
    }

    #[global_allocator]
    static HEAP: Heap = Heap(UnsafeCell::new(dlmalloc::Dlmalloc::new_with_allocator(
        GrowInSteps,
    )));
}

// ----- heap statistics (a measurement build only) -----
//
// `--features heap-stats` counts the bytes Rust holds (sizes asked for, not dlmalloc's chunks)
// and their peak, for attributing linear memory to phases of a run (`www/bench/NOTES.md`,
// "Peak RSS"). Off in the shipped package: the counting is an add per allocation.
#[cfg(feature = "heap-stats")]
mod stats {
    use core::cell::Cell;
    use wasm_bindgen::prelude::*;

    struct Counters {
        live: Cell<usize>,
        peak: Cell<usize>,
    }
    // SAFETY: one thread (see above).
    unsafe impl Sync for Counters {}
    static C: Counters = Counters {
        live: Cell::new(0),
        peak: Cell::new(0),
    };

    pub fn add(n: usize) {
        let live = C.live.get() + n;
        C.live.set(live);
        if live > C.peak.get() {
            C.peak.set(live);
        }
    }
    pub fn sub(n: usize) {
        C.live.set(C.live.get().saturating_sub(n));
    }

    /// `[live, peak]` bytes held by Rust; `reset` sets the peak to what is live now.
    #[wasm_bindgen(js_name = heapStats)]
    pub fn heap_stats(reset: bool) -> Vec<f64> {
        let out = vec![C.live.get() as f64, C.peak.get() as f64];
        if reset {
            C.peak.set(C.live.get());
        }
        out
    }
}

// ----- memcmp -----
//
// `compiler_builtins` defines `memcmp` and `bcmp` for this target as weak symbols looping over
// single bytes; these strong definitions replace them with the word-at-a-time comparison in
// `src/memcmp.rs` (tested natively there). Being `#[no_mangle]`, they are also exported by the
// module, which is harmless: the generated JS does not wrap them.

/// # Safety
/// As C's `memcmp`: `a` and `b` valid for reads of `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    crate::memcmp::compare(a, b, n)
}

/// # Safety
/// As `memcmp`; only zero or non-zero is meaningful.
///
/// It returns 0 or 1, not `memcmp`'s signed result, so that its body differs from `memcmp`'s.
/// With the two bodies identical, LLVM merged them (`memcmp` became a call to `bcmp`); inlined
/// into an ordering comparison, that call then had `bcmp`'s meaning, which only promises zero
/// or non-zero, and a 16-byte compare was expanded to `a != b`: `<[u8; 16]>::cmp` answered
/// Greater for every unequal pair (the engine kept two documents of one id after a restore,
/// found by the host's incremental tests). Strings ordered right only because a call of
/// unknown length was not expanded and the merged body happened to return a sign.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    (crate::memcmp::compare(a, b, n) != 0) as i32
}
