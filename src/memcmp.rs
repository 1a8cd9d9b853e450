//! A word-at-a-time byte comparison, exported as `memcmp` and `bcmp` in the wasm build only
//! (`src/wasm/alloc.rs`).
//!
//! On `wasm32-unknown-unknown` the standard library has no libc: `memcmp` comes from
//! `compiler_builtins` as a loop over single bytes (bulk memory has `memory.copy` and
//! `memory.fill` but no compare). Every string comparison goes through it: the engine's
//! document map, keyed by (company id, kind, document id) where the company id is the same
//! 36-byte GUID for every key, spent ~10% of ingest in that loop, and sorts and maps keyed by
//! strings in matching and the report pay the same. Natively libc's vectorised `memcmp` is used
//! and this function is only tested.

/// Compares `n` bytes at `a` and `b` as `memcmp` does: negative, zero or positive as the first
/// differing byte (unsigned) of `a` is smaller, absent or larger.
///
/// # Safety
/// `a` and `b` must be valid for reads of `n` bytes.
#[inline]
pub unsafe fn compare(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n, so both 8-byte reads are in bounds; unaligned reads are allowed.
        let (x, y) = unsafe {
            (
                core::ptr::read_unaligned(a.add(i) as *const u64),
                core::ptr::read_unaligned(b.add(i) as *const u64),
            )
        };
        if x != y {
            // Little-endian: the lowest differing bit is in the first differing byte.
            let shift = (x ^ y).trailing_zeros() & !7;
            return ((x >> shift) & 0xff) as i32 - ((y >> shift) & 0xff) as i32;
        }
        i += 8;
    }
    while i < n {
        // SAFETY: i < n.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return x as i32 - y as i32;
        }
        i += 1;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::compare;

    fn sign(a: &[u8], b: &[u8]) -> i32 {
        assert_eq!(a.len(), b.len());
        // SAFETY: both slices hold a.len() bytes.
        unsafe { compare(a.as_ptr(), b.as_ptr(), a.len()) }.signum()
    }

    #[test]
    fn orders_like_slices_at_every_position_and_length() {
        for n in 0..40usize {
            let base: Vec<u8> = (0..n as u8)
                .map(|i| i.wrapping_mul(37).wrapping_add(1))
                .collect();
            assert_eq!(sign(&base, &base), 0, "equal, length {n}");
            for at in 0..n {
                for delta in [1u8, 0x7f, 0x80, 0xff] {
                    let mut other = base.clone();
                    other[at] = other[at].wrapping_add(delta);
                    let want = base.cmp(&other) as i32;
                    assert_eq!(sign(&base, &other), want, "length {n}, byte {at}, +{delta}");
                    assert_eq!(
                        sign(&other, &base),
                        -want,
                        "length {n}, byte {at}, +{delta}, swapped"
                    );
                }
            }
        }
    }

    #[test]
    fn is_unsigned() {
        assert!(sign(&[0x80; 9], &[0x01; 9]) > 0);
        assert!(
            sign(
                &[0, 0, 0, 0, 0, 0, 0, 0, 0xff],
                &[0, 0, 0, 0, 0, 0, 0, 0, 0x00]
            ) > 0
        );
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn agrees_with_slice_ordering(a in proptest::collection::vec(0u8..4, 0..48), b in proptest::collection::vec(0u8..4, 0..48)) {
            let n = a.len().min(b.len());
            proptest::prop_assert_eq!(sign(&a[..n], &b[..n]), a[..n].cmp(&b[..n]) as i32);
        }
    }
}
