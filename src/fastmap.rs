//! `HashMap` and `HashSet` with a small, fast, non-cryptographic hasher (the "Fx" hash of
//! rustc), for tables whose keys no one chooses in bulk: the matcher's catalog words, the
//! engine's document ids. SipHash dominated the profiles of both, and the core has no
//! randomness to seed it with anyway, so it bought no flood resistance.
//!
//! This file uses only `std` because `build.rs` includes it, with the matcher's normalization.

use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};

#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(K);
        }
        // The tail in at most three steps (4, 2 and 1 bytes), as rustc's Fx hash does: most
        // keys are short words, which a step per byte hashed in up to seven.
        let mut rest = chunks.remainder();
        if let Some((w, r)) = rest.split_first_chunk::<4>() {
            self.hash =
                (self.hash.rotate_left(5) ^ u64::from(u32::from_le_bytes(*w))).wrapping_mul(K);
            rest = r;
        }
        if let Some((w, r)) = rest.split_first_chunk::<2>() {
            self.hash =
                (self.hash.rotate_left(5) ^ u64::from(u16::from_le_bytes(*w))).wrapping_mul(K);
            rest = r;
        }
        if let Some(&b) = rest.first() {
            self.hash = (self.hash.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn finish(&self) -> u64 {
        self.hash
    }
}

pub type FastSet<T> = std::collections::HashSet<T, BuildHasherDefault<FxHasher>>;
pub type FastMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The number of `x` in `list`, appended and numbered when new: the tables that keep each
/// distinct value once and refer to it by index (the state's strings and ids, the decisions
/// snapshot's texts, matches and rejections, the report's names) number their values so.
#[inline]
pub fn number<T: Clone + Eq + Hash, S: BuildHasher>(
    list: &mut Vec<T>,
    ix: &mut std::collections::HashMap<T, u32, S>,
    x: T,
) -> u32 {
    if let Some(&i) = ix.get(&x) {
        return i;
    }
    let i = list.len() as u32;
    ix.insert(x.clone(), i);
    list.push(x);
    i
}
