//! A global allocator that counts, for the examples that measure memory (`#[path]` included):
//! allocation calls, bytes asked for, and bytes live (allocated less freed).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
struct Counting;
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub static CALLS: AtomicUsize = AtomicUsize::new(0);
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub static BYTES: AtomicUsize = AtomicUsize::new(0);
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(l.size(), Relaxed);
        LIVE.fetch_add(l.size(), Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new, Relaxed);
        LIVE.fetch_add(new, Relaxed);
        LIVE.fetch_sub(l.size(), Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

// Not in a wasm build of the examples (clippy's): the library has its own allocator there.
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static A: Counting = Counting;
