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

/// A BC record's id as the engine holds it (a document's, a line's): an id in BC's canonical
/// GUID form (lower-case hex, hyphenated 8-4-4-4-12: every GUID BC sends, once the page reader
/// has lower-cased it) is its 16 bytes, inline, with no allocation (a restore made one text per
/// document and per line for them); any other id (a fixture's "DOC-1", a test's) is a
/// [`Text`]. 24 bytes natively, 20 in wasm32, where a text was 16 (8) plus its allocation.
///
/// It compares, orders, prints and serializes exactly as its text ([`Id::text`], the canonical
/// form for a GUID), so every sort and output is the same as with texts (a GUID's bytes are in
/// the order of its lower-case hex digits); a GUID hashes as its 16 bytes, so the keys and
/// digests of a build differ from a build whose ids were texts, as any two builds' do.
#[derive(Clone, PartialEq, Eq)]
pub struct Id(IdRepr);

// Equality may be the representation's: every constructor keeps a canonical GUID as bytes, so
// two equal ids always have the same variant.
#[derive(Clone, PartialEq, Eq)]
enum IdRepr {
    Guid([u8; 16]),
    Text(Text),
}

/// Where each of a GUID's 16 bytes has its two hex digits in the canonical text.
const GUID_AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/// A lower-case hex digit's value; 0x80 for any other byte.
const fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => 0x80,
    }
}

/// The 16 bytes of `s` when it is a GUID in canonical form.
pub fn canonical_guid(s: &str) -> Option<[u8; 16]> {
    let b: &[u8; 36] = s.as_bytes().try_into().ok()?;
    if b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    let mut out = [0u8; 16];
    for (o, at) in out.iter_mut().zip(GUID_AT) {
        let (hi, lo) = (hex_value(b[at]), hex_value(b[at + 1]));
        if (hi | lo) & 0x80 != 0 {
            return None;
        }
        *o = (hi << 4) | lo;
    }
    Some(out)
}

/// A GUID's canonical text, each byte's two digits written at their fixed place.
fn guid_chars(g: &[u8; 16]) -> [u8; 36] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut buf = *b"00000000-0000-0000-0000-000000000000";
    for (b, at) in g.iter().zip(GUID_AT) {
        buf[at] = HEX[(b >> 4) as usize];
        buf[at + 1] = HEX[(b & 15) as usize];
    }
    buf
}

impl Id {
    /// The id `s`; 16 bytes when it is a canonical GUID.
    pub fn new(s: &str) -> Id {
        match canonical_guid(s) {
            Some(g) => Id(IdRepr::Guid(g)),
            None => Id(IdRepr::Text(Text::from(s))),
        }
    }

    /// The id of a canonical GUID's 16 bytes (the binary state's form).
    pub fn from_guid(g: [u8; 16]) -> Id {
        Id(IdRepr::Guid(g))
    }

    /// The 16 bytes of the id when it is a canonical GUID.
    pub fn guid(&self) -> Option<&[u8; 16]> {
        match &self.0 {
            IdRepr::Guid(g) => Some(g),
            IdRepr::Text(_) => None,
        }
    }

    /// The text of an id that is not a canonical GUID.
    pub fn as_text(&self) -> Option<&Text> {
        match &self.0 {
            IdRepr::Guid(_) => None,
            IdRepr::Text(t) => Some(t),
        }
    }

    /// The id's text: a GUID's canonical form is written on the stack (36 bytes, no
    /// allocation), any other id borrowed.
    #[inline]
    pub fn text(&self) -> IdText<'_> {
        match &self.0 {
            IdRepr::Guid(g) => IdText(IdTextRepr::Guid(guid_chars(g))),
            IdRepr::Text(t) => IdText(IdTextRepr::Str(t)),
        }
    }

    /// The id as a shared text (a new allocation for a GUID).
    pub fn to_text(&self) -> Text {
        match &self.0 {
            IdRepr::Guid(_) => Text::from(&*self.text()),
            IdRepr::Text(t) => t.clone(),
        }
    }
}

/// An [`Id`]'s text, to read as a `str` while it lives.
pub struct IdText<'a>(IdTextRepr<'a>);

enum IdTextRepr<'a> {
    Guid([u8; 36]),
    Str(&'a str),
}

impl Deref for IdText<'_> {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        match &self.0 {
            // Hex digits and hyphens: always UTF-8.
            IdTextRepr::Guid(b) => std::str::from_utf8(b).unwrap_or_default(),
            IdTextRepr::Str(s) => s,
        }
    }
}

impl Ord for Id {
    #[inline]
    fn cmp(&self, o: &Id) -> std::cmp::Ordering {
        match (&self.0, &o.0) {
            // Bytes in the order of their lower-case hex digits: the texts' order.
            (IdRepr::Guid(a), IdRepr::Guid(b)) => a.cmp(b),
            _ => self.text().as_bytes().cmp(o.text().as_bytes()),
        }
    }
}

impl PartialOrd for Id {
    #[inline]
    fn partial_cmp(&self, o: &Id) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Hash for Id {
    #[inline]
    fn hash<H: Hasher>(&self, h: &mut H) {
        // A GUID as its 16 bytes (writing its text each time was 19 ms of a 30,000-invoice run
        // that changed nothing), any other id as its text; a length ends both, so the two
        // forms cannot run into what follows. Consistent with `Eq`: equal ids have one form.
        // Keys and digests are compared within one build only (they hold the build's id).
        match &self.0 {
            IdRepr::Guid(g) => {
                h.write(g);
                h.write_u8(16);
            }
            IdRepr::Text(t) => (**t).hash(h),
        }
    }
}

impl Default for Id {
    fn default() -> Id {
        Id(IdRepr::Text(Text::default()))
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text(), f)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.text(), f)
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Id {
        Id::new(s)
    }
}

impl From<String> for Id {
    fn from(s: String) -> Id {
        Id::new(&s)
    }
}

impl From<Text> for Id {
    /// Keeps the text's allocation when it is not a canonical GUID.
    fn from(t: Text) -> Id {
        match canonical_guid(&t) {
            Some(g) => Id(IdRepr::Guid(g)),
            None => Id(IdRepr::Text(t)),
        }
    }
}

impl PartialEq<&str> for Id {
    fn eq(&self, o: &&str) -> bool {
        *self.text() == **o
    }
}

impl serde::Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
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

    /// An id compares, orders, prints and serializes as its `str` whether it is held as bytes
    /// (a canonical GUID) or as a text, equal ids hash alike, and only a canonical GUID is
    /// held as bytes.
    #[test]
    fn an_id_hashes_orders_and_prints_as_its_string() {
        let fx = BuildHasherDefault::<crate::fastmap::FxHasher>::default();
        let mix = BuildHasherDefault::<crate::engine::MixHasher>::default();
        let sip = std::collections::hash_map::RandomState::new();
        let ids = [
            "00000000-0000-0000-0000-000000000000",
            "5f1c2a9e-0b7d-4e3a-9c11-ffee00aa77b3",
            "5f1c2a9e-0b7d-4e3a-9c11-ffee00aa77b4",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "5F1C2A9E-0B7D-4E3A-9C11-FFEE00AA77B3",
            "5f1c2a9e-0b7d-4e3a-9c11-ffee00aa77b",
            "5f1c2a9e-0b7d-4e3a-9c11-ffee00aa77b3 ",
            "5f1c2a9e+0b7d-4e3a-9c11-ffee00aa77b3",
            "5f1c2a9e-0b7d-4e3a-9c11-ffee00aa77g3",
            "{5f1c2a9e-0b7d-4e3a-9c11-ffee00aa77b3}",
            "DOC-1",
            "",
            "ünïcödé",
        ];
        for s in ids {
            let id = Id::new(s);
            let inline = s.len() == 36
                && s.bytes().enumerate().all(|(i, c)| match i {
                    8 | 13 | 18 | 23 => c == b'-',
                    _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
                });
            assert_eq!(id.guid().is_some(), inline, "{s:?}");
            assert_eq!(&*id.text(), s);
            assert_eq!(id, Id::from(Text::from(s)), "{s:?}: from a text");
            assert_eq!(id.to_text(), s);
            assert_eq!(
                id.guid().map(|g| Id::from_guid(*g)),
                inline.then(|| id.clone())
            );
            // Equal ids hash alike however they were made; an id that is not a GUID hashes as
            // its text.
            let again = Id::from(Text::from(s));
            for (a, b) in [
                (hash_of(&fx, &id), hash_of(&fx, &again)),
                (hash_of(&mix, &id), hash_of(&mix, &again)),
                (hash_of(&sip, &id), hash_of(&sip, &again)),
            ] {
                assert_eq!(a, b, "{s:?}");
            }
            if !inline {
                assert_eq!(hash_of(&fx, &id), hash_of(&fx, s), "{s:?}");
            }
            assert_eq!(format!("{id}|{id:?}"), format!("{s}|{s:?}"));
            assert_eq!(
                serde_json::to_string(&id).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
        let mut held: Vec<Id> = ids.map(Id::new).to_vec();
        let mut strings: Vec<&str> = ids.to_vec();
        held.sort();
        strings.sort();
        assert_eq!(
            held.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
            strings
        );
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
