//! One stable sort for the whole crate, small in code.
//!
//! The standard library's `sort_by` instantiates all of driftsort (~4-8 functions, ~6 KB of wasm)
//! for every element type and comparator it is called with: 50 instantiations were 291 KB of the
//! module's code, 86 KB gzipped (`www/bench/NOTES.md`, "Where the bytes of the .wasm go"). Here
//! the sorting itself is one function over positions (`merge_sort`), given the comparison as a
//! `dyn` call; what each call site instantiates is the small permutation that moves the
//! elements. A stable sort's result is fixed by the comparison, so this orders exactly as
//! `slice::sort_by` does. It serves the sorts of the lists a report builds per app, vendor or
//! category, of rules, and of an invoice's lines (those on the stack). On 30,000 rows in random
//! order it takes ~2x the standard sort's time (4.8 ms against 2.4 natively; presorted 0.25 ms
//! against 0.14), so the two sorts of every transaction keep the standard one.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp`, like `slice::sort_by`.
pub fn sort_by<T, F: FnMut(&T, &T) -> Ordering>(v: &mut [T], mut cmp: F) {
    let n = v.len();
    if n < 2 {
        return;
    }
    // A short list (an invoice's lines) sorts on the stack, without allocating.
    let mut small = [0usize; RUN];
    let mut large = Vec::new();
    let order = if n <= RUN {
        &mut small[..n]
    } else {
        large.reserve_exact(n);
        large.extend(0..n);
        &mut large[..]
    };
    for (i, o) in order.iter_mut().enumerate() {
        *o = i;
    }
    {
        let items: &[T] = v;
        merge_sort(order, &mut |a, b| {
            cmp(&items[a], &items[b]) == Ordering::Greater
        });
    }
    permute(v, order);
}

/// Sorts `v` stably by the key `f` gives, like `slice::sort_by_key`.
pub fn sort_by_key<T, K: Ord, F: FnMut(&T) -> K>(v: &mut [T], mut f: F) {
    sort_by(v, |a, b| f(a).cmp(&f(b)));
}

/// Sorts `v` stably by its order, like `slice::sort` (or `sort_unstable`, for types whose equal
/// values are indistinguishable).
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

const RUN: usize = 16;

/// A B-tree set or map of `items`, inserted one by one. `collect()` into a B-tree sorts the
/// items first, which instantiates the standard sort for the item type once more; a map keeps
/// the last value of equal keys either way, and a set's equal items are the same value.
pub fn btree<C: Default + Extend<T>, T>(items: impl IntoIterator<Item = T>) -> C {
    let mut c = C::default();
    c.extend(items);
    c
}

/// A stable merge sort of positions: runs of 16 by insertion, then merged pairwise. `greater`
/// says whether the element at the first position goes after the one at the second.
#[inline(never)]
fn merge_sort(v: &mut [usize], greater: &mut dyn FnMut(usize, usize) -> bool) {
    let n = v.len();
    for start in (0..n).step_by(RUN) {
        let end = (start + RUN).min(n);
        for i in start + 1..end {
            let x = v[i];
            let mut j = i;
            while j > start && greater(v[j - 1], x) {
                v[j] = v[j - 1];
                j -= 1;
            }
            v[j] = x;
        }
    }
    if n <= RUN {
        return;
    }
    let mut buf = vec![0usize; n];
    let mut width = RUN;
    while width < n {
        let mut lo = 0;
        while lo + width < n {
            let mid = lo + width;
            let hi = (mid + width).min(n);
            // Runs already in order (the input was sorted there) need no merge.
            if greater(v[mid - 1], v[mid]) {
                let (mut i, mut j, mut k) = (lo, mid, lo);
                while i < mid && j < hi {
                    // Equal elements: the left run's first, which keeps the sort stable.
                    if greater(v[i], v[j]) {
                        buf[k] = v[j];
                        j += 1;
                    } else {
                        buf[k] = v[i];
                        i += 1;
                    }
                    k += 1;
                }
                buf[k..k + (mid - i)].copy_from_slice(&v[i..mid]);
                k += mid - i;
                buf[k..k + (hi - j)].copy_from_slice(&v[j..hi]);
                v[lo..hi].copy_from_slice(&buf[lo..hi]);
            }
            lo = hi;
        }
        width *= 2;
    }
}

/// Reorders `v` so that `v[i]` is the element that was at `order[i]`, following each cycle of
/// the permutation with swaps (`order` is left marking every position done).
fn permute<T>(v: &mut [T], order: &mut [usize]) {
    for start in 0..v.len() {
        let mut cur = start;
        loop {
            let next = order[cur];
            order[cur] = cur;
            if next == start || next == cur {
                break;
            }
            v.swap(cur, next);
            cur = next;
        }
    }
}

// proptest is a native dev-dependency only (see Cargo.toml).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same order as the standard library's stable sort, equal keys included.
        #[test]
        fn orders_as_the_standard_stable_sort(v in proptest::collection::vec((0u8..6, any::<u16>()), 0..300)) {
            // Short lists (on the stack) and long ones (merged) alike.
            let mut ours = v.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std_order = v.clone();
            std_order.sort_by_key(|a| a.0);
            prop_assert_eq!(&ours, &std_order);
            let mut ours = v.clone();
            sort_by_key(&mut ours, |x| std::cmp::Reverse(x.1));
            let mut std_order = v;
            std_order.sort_by_key(|x| std::cmp::Reverse(x.1));
            prop_assert_eq!(ours, std_order);
        }
    }

    #[test]
    fn a_btree_built_by_inserting_equals_the_collected_one() {
        let pairs = [("b", 1), ("a", 2), ("b", 3), ("c", 4), ("a", 5)];
        let inserted: std::collections::BTreeMap<&str, i32> = btree(pairs);
        let collected: std::collections::BTreeMap<&str, i32> = pairs.into_iter().collect();
        assert_eq!(inserted, collected);
        assert_eq!(inserted["b"], 3);
    }

    #[test]
    fn sorts_owned_values_without_losing_any() {
        let mut v: Vec<String> = (0..100).map(|i| format!("{}", (i * 37) % 100)).collect();
        let mut want = v.clone();
        want.sort();
        sort(&mut v);
        assert_eq!(v, want);
    }
}
