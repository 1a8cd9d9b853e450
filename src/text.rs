//! Shared, immutable texts for the data the engine holds (Engine v2, design step 2's interner).
//!
//! A held document's texts repeat across thousands of documents (a vendor's name and number,
//! a currency code, a monthly invoice's line descriptions and accounts), and the engine's maps
//! are keyed by the company id and the document's own id. [`Text`] is one reference-counted
//! allocation shared by every use: cloning it copies a pointer, and an [`Interner`] hands out
//! the one `Text` it holds for each distinct string, so the engine holds each distinct text
//! once however many documents use it.
//!
//! A `Text` hashes, compares, orders, prints and serializes exactly as the `str` it holds (and
//! so as a `String` of it): every digest, key, sort and output is the same as with `String`s.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// An immutable text shared by reference count: 16 bytes, one allocation however many hold it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Text(Arc<str>);

// Equality is `Arc`'s: one allocation is equal without reading it (shared keys), else `str`'s.
// The order is `str`'s, with the same shortcut: a key's company id is one shared text, so a
// document map compares it in O(1) at every level instead of 36 bytes.
impl Ord for Text {
    #[inline]
    fn cmp(&self, o: &Text) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.0, &o.0) {
            return std::cmp::Ordering::Equal;
        }
        (*self.0).cmp(&*o.0)
    }
}

impl PartialOrd for Text {
    #[inline]
    fn partial_cmp(&self, o: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `a` and `b` are one allocation (what interning gives equal texts).
    pub fn ptr_eq(a: &Text, b: &Text) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl Hash for Text {
    #[inline]
    fn hash<H: Hasher>(&self, h: &mut H) {
        // As `str` (and `String`) hash: the same keys and digests as before.
        (*self.0).hash(h)
    }
}

impl Deref for Text {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(Arc::from(s))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(Arc::from(s))
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text(Arc::from(s.as_str()))
    }
}

impl From<std::borrow::Cow<'_, str>> for Text {
    fn from(s: std::borrow::Cow<'_, str>) -> Text {
        Text::from(&*s)
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0.to_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, o: &str) -> bool {
        *self.0 == *o
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, o: &&str) -> bool {
        *self.0 == **o
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, o: &String) -> bool {
        *self.0 == **o
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, o: &Text) -> bool {
        *self == *o.0
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, o: &Text) -> bool {
        **self == *o.0
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, o: &Text) -> bool {
        **self == *o.0
    }
}

impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// One [`Text`] per distinct string, per engine.
///
/// Bounded: a text no one but the interner holds any more (its documents replaced or removed)
/// is dropped when the set has doubled since it was last pruned ([`Interner::intern`]), so the
/// set holds at most about twice the distinct texts in use (plus a small floor), at an
/// amortized O(1) per text interned.
#[derive(Default)]
pub struct Interner {
    /// Hashed a word at a time ([`crate::engine::MixHasher`]; Fx takes a text's last bytes one
    /// at a time).
    set: std::collections::HashSet<Text, BuildHasherDefault<crate::engine::MixHasher>>,
    /// The set's size after its last pruning.
    kept: usize,
    /// Distinct texts a restore made ([`Interner::defer`]), put in the set only when the engine
    /// next interns (reads a page): a restore hashes nothing, and an engine that only answers
    /// from its state (the dashboard) never does.
    pending: Vec<Text>,
}

/// Below this many texts the set is never pruned.
const PRUNE_FLOOR: usize = 4096;

impl Interner {
    /// The one `Text` for `s`.
    #[inline]
    pub fn intern(&mut self, s: &str) -> Text {
        if !self.pending.is_empty() {
            self.absorb();
        }
        if let Some(t) = self.set.get(s) {
            return t.clone();
        }
        self.insert_new(Text::from(s))
    }

    /// The one `Text` equal to `t`: `t` itself when it is the first.
    #[inline]
    pub fn share(&mut self, t: Text) -> Text {
        if !self.pending.is_empty() {
            self.absorb();
        }
        if let Some(held) = self.set.get(&*t) {
            return held.clone();
        }
        self.insert_new(t)
    }

    /// [`Interner::share`] of an optional text, in place.
    #[inline]
    pub fn share_opt(&mut self, t: &mut Option<Text>) {
        if let Some(x) = t.take() {
            *t = Some(self.share(x));
        }
    }

    fn insert_new(&mut self, t: Text) -> Text {
        if self.set.len() >= PRUNE_FLOOR.max(2 * self.kept) {
            self.prune();
        }
        self.set.insert(t.clone());
        t
    }

    /// Keeps `t`, a text no other is equal to among those deferred (a restore's string-table
    /// entry), for the set, without hashing it now.
    pub fn defer(&mut self, t: Text) {
        self.pending.push(t);
    }

    /// Takes `other`'s texts (an engine merged into this one), deferred as a restore's are.
    pub fn merge(&mut self, other: Interner) {
        self.pending.extend(other.set);
        self.pending.extend(other.pending);
    }

    #[cold]
    fn absorb(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        self.set.reserve(pending.len());
        for t in pending {
            if !self.set.contains(&*t) {
                self.insert_new(t);
            }
        }
    }

    /// Drops the texts only the interner holds.
    pub fn prune(&mut self) {
        self.set.retain(|t| Arc::strong_count(&t.0) > 1);
        self.kept = self.set.len();
    }

    /// The distinct texts it holds or has deferred.
    pub fn len(&self) -> usize {
        self.set.len() + self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.pending.is_empty()
    }

    pub fn reserve(&mut self, n: usize) {
        self.set.reserve(n);
    }
}

std::thread_local! {
    /// The interner of the engine reading a page, lent for the length of the read
    /// ([`reading_into`]): a page's records are read inside the parser, as each object ends
    /// (`crate::bc::lenient`), where no engine is in reach.
    static READING: std::cell::RefCell<Option<Interner>> = const { std::cell::RefCell::new(None) };
}

/// Runs `read` (the parse of one page) with `texts` as the interner its records' repeated
/// fields are interned into ([`interned`]), so a text the engine holds already is shared from
/// the page's bytes without an allocation of its own. Scoped: `texts` is lent for the call only
/// and given back after it (the core never unwinds: a panic aborts).
pub(crate) fn reading_into<R>(texts: &mut Interner, read: impl FnOnce() -> R) -> R {
    let lent = std::mem::take(texts);
    let outer = READING.with(|r| r.borrow_mut().replace(lent));
    let out = read();
    *texts = READING
        .with(|r| std::mem::replace(&mut *r.borrow_mut(), outer))
        .unwrap_or_default();
    out
}

/// `s` as the reading engine's one [`Text`] for it ([`reading_into`]), or a new `Text` when
/// no engine is reading (a page read on its own).
pub(crate) fn interned(s: &str) -> Text {
    READING.with(|r| match r.borrow_mut().as_mut() {
        Some(texts) => texts.intern(s),
        None => Text::from(s),
    })
}

impl fmt::Debug for Interner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Interner({} texts)", self.set.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn hash_of<T: Hash + ?Sized>(b: &impl BuildHasher, x: &T) -> u64 {
        b.hash_one(x)
    }

    /// Every key and digest stays the same: a `Text` hashes and orders as its `str`, and as a
    /// `String` of it, alone and inside tuples and options (the engine's map keys).
    #[test]
    fn a_text_hashes_and_orders_as_its_string() {
        let fx = BuildHasherDefault::<crate::fastmap::FxHasher>::default();
        let mix = BuildHasherDefault::<crate::engine::MixHasher>::default();
        let sip = std::collections::hash_map::RandomState::new();
        for s in ["", "a", "Slack Pro", "ünïcödé text longer than eight bytes"] {
            let t = Text::from(s);
            let owned = s.to_owned();
            for (a, b) in [
                (hash_of(&fx, &t), hash_of(&fx, &owned)),
                (hash_of(&mix, &t), hash_of(&mix, &owned)),
                (hash_of(&sip, &t), hash_of(&sip, &owned)),
                (hash_of(&fx, &t), hash_of(&fx, s)),
                (
                    hash_of(&mix, &(t.clone(), 1u8, Some(t.clone()))),
                    hash_of(&mix, &(owned.clone(), 1u8, Some(owned.clone()))),
                ),
            ] {
                assert_eq!(a, b, "{s:?}");
            }
            assert_eq!(format!("{t:?}"), format!("{owned:?}"));
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                serde_json::to_string(&owned).unwrap()
            );
        }
        let mut texts: Vec<Text> = ["b", "a", "ab", "", "B"].map(Text::from).to_vec();
        let mut strings: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        texts.sort();
        strings.sort();
        assert_eq!(texts, strings.iter().map(Text::from).collect::<Vec<_>>());
    }

    #[test]
    fn an_interner_gives_one_allocation_per_distinct_text_and_forgets_unused_ones() {
        let mut i = Interner::default();
        let a = i.intern("Slack Pro");
        let b = i.share(Text::from("Slack Pro"));
        assert!(Text::ptr_eq(&a, &b));
        let c = i.intern("Zoom");
        assert!(!Text::ptr_eq(&a, &c));
        assert_eq!(i.len(), 2);
        drop(c);
        i.prune();
        assert_eq!(i.len(), 1, "the texts no one else holds are dropped");
        // Bounded without an explicit prune: texts no one keeps do not pile up.
        for n in 0..10 * PRUNE_FLOOR {
            i.intern(&n.to_string());
        }
        assert!(i.len() <= 2 * PRUNE_FLOOR, "{}", i.len());
        assert!(Text::ptr_eq(&a, &i.intern("Slack Pro")));
    }
}

#[cfg(test)]
mod reading_tests {
    use super::*;

    /// Deferred texts (a restore's) and a merged engine's are what the next intern finds.
    #[test]
    fn deferred_and_merged_texts_are_found_by_the_next_intern() {
        let mut i = Interner::default();
        let restored = Text::from("Slack Pro");
        i.defer(restored.clone());
        let mut other = Interner::default();
        let theirs = other.intern("Zoom");
        i.merge(other);
        assert_eq!(i.len(), 2);
        assert!(Text::ptr_eq(&i.intern("Slack Pro"), &restored));
        assert!(Text::ptr_eq(&i.share(Text::from("Zoom")), &theirs));
        assert_eq!(i.len(), 2);
    }

    /// A page read with an engine's interner lent shares its texts; the interner is given back
    /// after the read (also from a read nested in another), and a read with none lent makes
    /// texts of its own.
    #[test]
    fn a_read_interns_into_the_lent_interner_and_gives_it_back() {
        let mut outer = Interner::default();
        let held = outer.intern("Slack Pro");
        let mut inner = Interner::default();
        let (a, b) = reading_into(&mut outer, || {
            let a = interned("Slack Pro");
            let b = reading_into(&mut inner, || interned("Slack Pro"));
            (a, b)
        });
        assert!(Text::ptr_eq(&a, &held), "the lent interner's text");
        assert!(!Text::ptr_eq(&b, &held), "the nested read used its own");
        assert_eq!(outer.len(), 1);
        assert_eq!(inner.len(), 1);
        let c = interned("Slack Pro");
        assert!(
            !Text::ptr_eq(&c, &held),
            "no interner lent: a text of its own"
        );
        assert!(Text::ptr_eq(&outer.intern("Slack Pro"), &held));
    }
}
