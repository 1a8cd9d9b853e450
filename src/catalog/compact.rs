//! The shipped catalog in the binary: one compact encoding that `build.rs` writes and both
//! [`Catalog::builtin`](super::Catalog::builtin) and the matcher's index read.
//!
//! Text, entry by entry (every app, then every vendor group, then every reseller), each field in a
//! fixed order: a field ends with a 0 byte, the items of a list are separated by 0x1F, a category
//! is its index in [`CATEGORIES`] and a reference (`parent`, a group's `apps` and `defaultApp`)
//! the index of the entry, plus one where it may be absent (0 = none), both in decimal. So the
//! whole part is UTF-8 (checked field by field as a field is read: a 0 byte is never inside a
//! character) and a field ends at the first 0. Measured against the alternatives (gzip -9 of the
//! shipped apps): the JSON 95 KB, this 80 KB, the same with a length before each text 94 KB, and by
//! column (every id, then every name ...) 108 KB: an app's products repeat its name, and gzip finds
//! the repeat only near it. After the text, where each entry starts in it (varint deltas, ~1.6
//! bytes an entry): constructing an `Engine` reads the few leading fields of each entry it needs
//! (the owners' ids and names) from there, instead of every field of every entry (which took
//! most of a first `Engine`'s time in wasm, where this run-once code is not optimised).
//! The matcher's index follows the catalog in the same blob (`src/matching/compiled.rs`) and
//! leaves out what this part holds.
//!
//! Like `schema.rs`, this file depends on `std` and the schema only, because `build.rs`
//! includes it.

use super::schema::{
    AppSpec, CatalogData, PricingModel, ResellerSpec, VendorGroupSpec, CATEGORIES,
};

const MAGIC: &[u8] = b"bcsc4";
/// Ends a text or a list.
const END: u8 = 0;
/// Separates the items of a list.
const ITEM: u8 = 0x1f;

/// Varint writer shared with the index's encoder.
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn uint(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(b);
                return;
            }
            self.0.push(b | 0x80);
        }
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    pub fn str(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.bytes(s.as_bytes());
    }
    pub fn strs(&mut self, v: &[String]) {
        self.uint(v.len() as u64);
        for s in v {
            self.str(s);
        }
    }
    pub fn u8s(&mut self, v: &[u8]) {
        self.uint(v.len() as u64);
        self.bytes(v);
    }
}

/// Varint reader shared with the index's decoder: `None` on bytes that are not such data.
pub struct Reader<'a> {
    pub b: &'a [u8],
    pub at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(b: &'a [u8]) -> Reader<'a> {
        Reader { b, at: 0 }
    }
    // Inlined into the loops that read ~60,000 of them when an Engine is constructed: in wasm a
    // first Engine runs in V8's baseline tier, where each call costs more than this body.
    #[inline(always)]
    pub fn uint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = *self.b.get(self.at)?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
            shift += 7;
            if shift > 63 {
                return None;
            }
        }
    }
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    pub fn str_ref(&mut self) -> Option<&'a str> {
        let n = self.uint()? as usize;
        std::str::from_utf8(self.take(n)?).ok()
    }
    pub fn str(&mut self) -> Option<String> {
        self.str_ref().map(str::to_owned)
    }
    pub fn strs(&mut self) -> Option<Vec<String>> {
        let n = self.uint()? as usize;
        let mut v = Vec::with_capacity(n.min(self.b.len()));
        for _ in 0..n {
            v.push(self.str()?);
        }
        Some(v)
    }
    pub fn u8s(&mut self) -> Option<Vec<u8>> {
        let n = self.uint()? as usize;
        Some(self.take(n)?.to_vec())
    }
    pub fn done(&self) -> bool {
        self.at == self.b.len()
    }
}

/// An app as stored: texts borrowed from the bytes, lists still joined.
pub struct AppRow<'a> {
    pub category: u8,
    /// A group's index plus one, or 0.
    pub parent: u64,
    /// 0, or [`pricing_model`]'s byte.
    pub pricing: u8,
    pub id: &'a str,
    pub domains: List<'a>,
    pub name: &'a str,
    pub vendors: List<'a>,
    pub keywords: List<'a>,
    pub products: List<'a>,
    pub cues: List<'a>,
}

pub struct GroupRow<'a> {
    pub id: &'a str,
    pub domains: List<'a>,
    pub name: &'a str,
    pub vendors: List<'a>,
    pub keywords: List<'a>,
    /// Indexes of apps.
    pub apps: Vec<u64>,
    /// An app's index plus one, or 0.
    pub default_app: u64,
}

pub struct ResellerRow<'a> {
    pub marketplace: bool,
    pub id: &'a str,
    pub domains: List<'a>,
    pub name: &'a str,
    pub vendors: List<'a>,
    pub keywords: List<'a>,
}

/// A list as stored: its items joined by [`ITEM`].
#[derive(Clone, Copy)]
pub struct List<'a>(&'a str);

impl<'a> List<'a> {
    pub fn iter(self) -> impl Iterator<Item = &'a str> {
        // An empty list is no item, not one empty item (`encode` refuses empty items).
        let mut rest = (!self.0.is_empty()).then_some(self.0);
        std::iter::from_fn(move || {
            let s = rest?;
            match s.bytes().position(|b| b == ITEM) {
                Some(n) => {
                    rest = s.get(n + 1..);
                    s.get(..n)
                }
                None => {
                    rest = None;
                    Some(s)
                }
            }
        })
    }
    fn to_vec(self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

/// The catalog's entries, read from the bytes without copying their texts.
pub struct Rows<'a> {
    pub apps: Vec<AppRow<'a>>,
    pub groups: Vec<GroupRow<'a>>,
    pub resellers: Vec<ResellerRow<'a>>,
}

/// Reads the fields of the text part. Each field is checked to be UTF-8 as it is read: reading
/// the few fields an `Engine` needs does not check the whole part.
struct Fields<'a> {
    s: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    /// Passes over a field (text, list or number), unread.
    fn skip(&mut self) -> Option<()> {
        let n = self.s.get(self.at..)?.iter().position(|&b| b == END)?;
        self.at += n + 1;
        Some(())
    }
    fn text(&mut self) -> Option<&'a str> {
        let start = self.at;
        // Fields are short (~10 bytes): a plain loop beats `memchr`'s set-up.
        let n = self.s.get(start..)?.iter().position(|&b| b == END)?;
        self.at += n + 1;
        std::str::from_utf8(&self.s[start..start + n]).ok()
    }
    fn list(&mut self) -> Option<List<'a>> {
        self.text().map(List)
    }
    fn num(&mut self) -> Option<u64> {
        self.text()?.parse().ok()
    }
}

/// The catalog's text part and where each entry starts in it, for reading the few fields of an
/// entry that something needs without reading the entries before it: constructing the matcher
/// reads the owners' ids and names ([`Entries::app`] ...), and the domain table, made on first
/// use, the domains. [`Rows::read`] reads every field of every entry.
pub struct Entries<'a> {
    s: &'a [u8],
    /// Apps, vendor groups, resellers.
    pub counts: [usize; 3],
    /// Per entry (every app, then every group, then every reseller), where it starts in `s`.
    starts: Vec<u32>,
    /// Where the counts end (and the first entry starts).
    first: usize,
}

/// The leading fields of an app: category, id, name.
pub struct AppHead<'a> {
    pub category: u8,
    pub id: &'a str,
    pub name: &'a str,
}

impl<'a> Entries<'a> {
    /// Reads the catalog at the start of `b` down to its entries' starts; also returns where it
    /// ends (the index follows).
    pub fn read(b: &'a [u8]) -> Option<(Entries<'a>, usize)> {
        let mut r = Reader::new(b);
        if r.take(MAGIC.len())? != MAGIC {
            return None;
        }
        let len = r.uint()? as usize;
        let s = r.take(len)?;
        let mut f = Fields { s, at: 0 };
        let counts = [f.num()? as usize, f.num()? as usize, f.num()? as usize];
        let n = r.uint()? as usize;
        if Some(n) != counts[0].checked_add(counts[1])?.checked_add(counts[2]) {
            return None;
        }
        let mut starts = Vec::with_capacity(n.min(len));
        let mut at = f.at as u64;
        for k in 0..n {
            // Deltas from the previous entry's start (the first from the counts' end).
            let d = r.uint()?;
            if k > 0 && d == 0 {
                return None;
            }
            at = at.checked_add(d)?;
            if at >= len as u64 {
                return None;
            }
            starts.push(at as u32);
        }
        Some((
            Entries {
                s,
                counts,
                starts,
                first: f.at,
            },
            r.at,
        ))
    }

    fn at(&self, entry: usize) -> Option<Fields<'a>> {
        Some(Fields {
            s: self.s,
            at: *self.starts.get(entry)? as usize,
        })
    }

    /// App `i`'s category, id and name.
    pub fn app(&self, i: usize) -> Option<AppHead<'a>> {
        let mut f = self.at(i)?;
        let category = u8::try_from(f.num()?).ok()?;
        f.skip()?; // parent
        f.skip()?; // pricing
        let id = f.text()?;
        f.skip()?; // domains
        Some(AppHead {
            category,
            id,
            name: f.text()?,
        })
    }

    /// Vendor group `i`'s id, name and default app (an app's index plus one, or 0).
    pub fn group(&self, i: usize) -> Option<(&'a str, &'a str, u64)> {
        if i >= self.counts[1] {
            return None;
        }
        let mut f = self.at(self.counts[0] + i)?;
        let id = f.text()?;
        f.skip()?; // domains
        let name = f.text()?;
        f.skip()?; // vendors
        f.skip()?; // keywords
        f.skip()?; // apps
        Some((id, name, f.num()?))
    }

    /// Reseller `i`'s marketplace flag, id and name.
    pub fn reseller(&self, i: usize) -> Option<(bool, &'a str, &'a str)> {
        if i >= self.counts[2] {
            return None;
        }
        let mut f = self.at(self.counts[0] + self.counts[1] + i)?;
        let marketplace = f.num()? != 0;
        let id = f.text()?;
        f.skip()?; // domains
        Some((marketplace, id, f.text()?))
    }

    /// The domains of entry `entry` (apps, then groups, then resellers).
    pub fn domains(&self, entry: usize) -> Option<List<'a>> {
        let mut f = self.at(entry)?;
        if entry < self.counts[0] {
            f.skip()?; // category
            f.skip()?; // parent
            f.skip()?; // pricing
        } else if entry >= self.counts[0] + self.counts[1] {
            f.skip()?; // marketplace
        }
        f.skip()?; // id
        f.list()
    }
}

impl<'a> Rows<'a> {
    /// Reads the catalog at the start of `b`; also returns where it ends (the index follows).
    pub fn read(b: &'a [u8]) -> Option<(Rows<'a>, usize)> {
        let (e, end) = Entries::read(b)?;
        let (s, len) = (e.s, e.s.len());
        let [na, ng, nr] = e.counts;
        let mut f = Fields { s, at: e.first };
        // Each entry must start where the table of starts says.
        let mut entry = 0usize;
        let mut start = |f: &Fields| {
            entry += 1;
            (e.starts.get(entry - 1) == Some(&(f.at as u32))).then_some(())
        };
        let cap = |n: usize| n.min(len);
        let mut apps = Vec::with_capacity(cap(na));
        for _ in 0..na {
            start(&f)?;
            apps.push(AppRow {
                category: u8::try_from(f.num()?).ok()?,
                parent: f.num()?,
                pricing: u8::try_from(f.num()?).ok()?,
                id: f.text()?,
                domains: f.list()?,
                name: f.text()?,
                vendors: f.list()?,
                keywords: f.list()?,
                products: f.list()?,
                cues: f.list()?,
            });
        }
        let mut groups = Vec::with_capacity(cap(ng));
        for _ in 0..ng {
            start(&f)?;
            groups.push(GroupRow {
                id: f.text()?,
                domains: f.list()?,
                name: f.text()?,
                vendors: f.list()?,
                keywords: f.list()?,
                apps: f
                    .list()?
                    .iter()
                    .map(|k| k.parse().ok())
                    .collect::<Option<_>>()?,
                default_app: f.num()?,
            });
        }
        let mut resellers = Vec::with_capacity(cap(nr));
        for _ in 0..nr {
            start(&f)?;
            resellers.push(ResellerRow {
                marketplace: f.num()? != 0,
                id: f.text()?,
                domains: f.list()?,
                name: f.text()?,
                vendors: f.list()?,
                keywords: f.list()?,
            });
        }
        if f.at != len {
            return None;
        }
        Some((
            Rows {
                apps,
                groups,
                resellers,
            },
            end,
        ))
    }

    /// The decoded catalog; `None` when a reference or a category is out of range.
    pub fn decode(&self) -> Option<CatalogData> {
        let app_id = |k: u64| Some(self.apps.get(usize::try_from(k).ok()?)?.id.to_owned());
        let group_id = |k: u64| Some(self.groups.get(usize::try_from(k).ok()?)?.id.to_owned());
        // `k` = index plus one, 0 = none.
        let opt = |k: u64, f: &dyn Fn(u64) -> Option<String>| match k {
            0 => Some(None),
            k => f(k - 1).map(Some),
        };
        let apps = self
            .apps
            .iter()
            .map(|a| {
                Some(AppSpec {
                    id: a.id.to_owned(),
                    name: a.name.to_owned(),
                    category: CATEGORIES.get(usize::from(a.category))?.to_string(),
                    vendors: a.vendors.to_vec(),
                    products: a.products.to_vec(),
                    keywords: a.keywords.to_vec(),
                    cues: a.cues.to_vec(),
                    domains: a.domains.to_vec(),
                    parent: opt(a.parent, &group_id)?,
                    pricing: match a.pricing {
                        0 => None,
                        p => Some(pricing_model(p)?),
                    },
                    notes: None,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let vendor_groups = self
            .groups
            .iter()
            .map(|g| {
                Some(VendorGroupSpec {
                    id: g.id.to_owned(),
                    name: g.name.to_owned(),
                    vendors: g.vendors.to_vec(),
                    domains: g.domains.to_vec(),
                    apps: g.apps.iter().map(|&k| app_id(k)).collect::<Option<_>>()?,
                    default_app: opt(g.default_app, &app_id)?,
                    keywords: g.keywords.to_vec(),
                    notes: None,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let resellers = self
            .resellers
            .iter()
            .map(|r| ResellerSpec {
                id: r.id.to_owned(),
                name: r.name.to_owned(),
                vendors: r.vendors.to_vec(),
                domains: r.domains.to_vec(),
                marketplace: r.marketplace,
                keywords: r.keywords.to_vec(),
                notes: None,
            })
            .collect();
        Some(CatalogData {
            comment: None,
            apps,
            vendor_groups,
            resellers,
        })
    }
}

/// The pricing model of an app's pricing byte (0: none of its own).
pub fn pricing_model(b: u8) -> Option<PricingModel> {
    PRICING.get(usize::from(b).checked_sub(1)?).copied()
}

const PRICING: [PricingModel; 4] = [
    PricingModel::Seat,
    PricingModel::Flat,
    PricingModel::Usage,
    PricingModel::Mixed,
];

/// The bytes of `c` (a validated catalog: every category known, every reference to an entry of
/// it). Author notes and the comment are left out. `build.rs` calls it; the crate's tests too.
#[cfg_attr(not(test), allow(dead_code))]
pub fn encode(c: &CatalogData) -> Vec<u8> {
    let app_ix = |id: &str| {
        c.apps
            .iter()
            .position(|a| a.id == id)
            .unwrap_or_else(|| panic!("'{id}' is not an app of the catalog"))
    };
    let mut w = Writer(Vec::new());
    let text = |w: &mut Writer, s: &str| {
        assert!(
            !s.bytes().any(|b| b == END || b == ITEM),
            "a catalog text holds a control character: {s:?}"
        );
        w.bytes(s.as_bytes());
        w.0.push(END);
    };
    let num = |w: &mut Writer, n: usize| text(w, &n.to_string());
    let list = |w: &mut Writer, v: &[String]| {
        for (i, s) in v.iter().enumerate() {
            assert!(
                !s.is_empty() && !s.bytes().any(|b| b == END || b == ITEM),
                "a catalog list holds an empty text or a control character: {s:?}"
            );
            if i > 0 {
                w.0.push(ITEM);
            }
            w.bytes(s.as_bytes());
        }
        w.0.push(END);
    };
    num(&mut w, c.apps.len());
    num(&mut w, c.vendor_groups.len());
    num(&mut w, c.resellers.len());
    let mut starts = Vec::new();
    for a in &c.apps {
        starts.push(w.0.len());
        let cat = CATEGORIES
            .iter()
            .position(|k| *k == a.category)
            .unwrap_or_else(|| panic!("unknown category '{}'", a.category));
        num(&mut w, cat);
        let parent = a.parent.as_deref().map_or(0, |p| {
            1 + c
                .vendor_groups
                .iter()
                .position(|g| g.id == p)
                .unwrap_or_else(|| panic!("'{p}' is not a vendor group of the catalog"))
        });
        num(&mut w, parent);
        let pricing = a
            .pricing
            .map_or(0, |p| PRICING.iter().position(|&q| q == p).unwrap() + 1);
        num(&mut w, pricing);
        text(&mut w, &a.id);
        list(&mut w, &a.domains);
        text(&mut w, &a.name);
        list(&mut w, &a.vendors);
        list(&mut w, &a.keywords);
        list(&mut w, &a.products);
        list(&mut w, &a.cues);
    }
    for g in &c.vendor_groups {
        starts.push(w.0.len());
        text(&mut w, &g.id);
        list(&mut w, &g.domains);
        text(&mut w, &g.name);
        list(&mut w, &g.vendors);
        list(&mut w, &g.keywords);
        let apps: Vec<String> = g.apps.iter().map(|a| app_ix(a).to_string()).collect();
        list(&mut w, &apps);
        num(
            &mut w,
            g.default_app.as_deref().map_or(0, |a| app_ix(a) + 1),
        );
    }
    for r in &c.resellers {
        starts.push(w.0.len());
        num(&mut w, r.marketplace as usize);
        text(&mut w, &r.id);
        list(&mut w, &r.domains);
        text(&mut w, &r.name);
        list(&mut w, &r.vendors);
        list(&mut w, &r.keywords);
    }
    // Where each entry starts, as deltas (the first from the end of the counts): ~1.6 bytes per
    // entry, so that reading an entry's first fields does not read the entries before it.
    let mut counts_end = Writer(Vec::new());
    for n in [c.apps.len(), c.vendor_groups.len(), c.resellers.len()] {
        num(&mut counts_end, n);
    }
    let mut out = Writer(Vec::new());
    out.bytes(MAGIC);
    out.u8s(&w.0);
    out.uint(starts.len() as u64);
    let mut prev = counts_end.0.len();
    for s in starts {
        out.uint((s - prev) as u64);
        prev = s;
    }
    out.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CatalogData {
        let v = serde_json::json!({
            "apps": [
                {"id": "acme", "name": "Acme", "category": "crm-sales", "vendors": ["Acme, Inc."],
                 "products": ["Acme Pro", "Acme Müller Édition"], "keywords": ["acmeware"],
                 "domains": ["acme.com", "acme.io"], "pricing": "usage"},
                {"id": "acme-api", "name": "Acme API", "category": "developer-tools",
                 "parent": "acme-group", "cues": ["usage", "tokens"]},
                {"id": "lonely", "name": "Lonely", "category": "education"}
            ],
            "vendorGroups": [
                {"id": "acme-group", "name": "Acme (all products)", "vendors": ["Acme Holdings"],
                 "apps": ["acme", "acme-api"], "defaultApp": "acme", "keywords": ["acme group"]},
                {"id": "nodefault", "name": "No Default", "apps": ["lonely"], "defaultApp": null}
            ],
            "resellers": [
                {"id": "mkt", "name": "Mkt Marketplace", "marketplace": true, "domains": ["mkt.com"]},
                {"id": "shop", "name": "Shop GmbH", "vendors": ["Shop GmbH"], "keywords": ["shopco"]}
            ]
        });
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_catalog_reads_back_as_it_was_written() {
        let c = sample();
        let mut bytes = encode(&c);
        let end = bytes.len();
        // The index follows in the same blob: the catalog says where it ends.
        bytes.extend_from_slice(b"after");
        let (rows, at) = Rows::read(&bytes).unwrap();
        assert_eq!(at, end);
        assert_eq!(rows.decode().unwrap(), c);
        assert_eq!(
            rows.apps[1].cues.iter().collect::<Vec<_>>(),
            ["usage", "tokens"]
        );
        assert_eq!(rows.apps[2].domains.iter().count(), 0);
        // An entry's leading fields, read through the table of starts, are the entry's.
        let (e, end) = Entries::read(&bytes).unwrap();
        assert_eq!(end, at);
        for (i, a) in rows.apps.iter().enumerate() {
            let h = e.app(i).unwrap();
            assert_eq!((h.category, h.id, h.name), (a.category, a.id, a.name));
            let d: Vec<_> = e.domains(i).unwrap().iter().collect();
            assert_eq!(d, a.domains.iter().collect::<Vec<_>>());
        }
        for (i, g) in rows.groups.iter().enumerate() {
            assert_eq!(e.group(i).unwrap(), (g.id, g.name, g.default_app));
            let d: Vec<_> = e.domains(rows.apps.len() + i).unwrap().iter().collect();
            assert_eq!(d, g.domains.iter().collect::<Vec<_>>());
        }
        for (i, r) in rows.resellers.iter().enumerate() {
            assert_eq!(e.reseller(i).unwrap(), (r.marketplace, r.id, r.name));
            let d: Vec<_> = e
                .domains(rows.apps.len() + rows.groups.len() + i)
                .unwrap()
                .iter()
                .collect();
            assert_eq!(d, r.domains.iter().collect::<Vec<_>>());
        }
        assert!(e.app(3).is_none() && e.group(2).is_none() && e.reseller(2).is_none());
    }

    #[test]
    fn a_table_of_starts_that_disagrees_with_the_entries_is_refused() {
        let bytes = encode(&sample());
        // The last byte is the last reseller's start delta: one more points inside the entry.
        let mut bad = bytes.clone();
        *bad.last_mut().unwrap() += 1;
        assert!(Entries::read(&bad).is_some());
        assert!(Rows::read(&bad).is_none());
        // A start past the text is refused by the table's reader.
        let mut bad = bytes.clone();
        *bad.last_mut().unwrap() = 0x7f;
        assert!(Entries::read(&bad).is_none());
    }

    #[test]
    fn damaged_bytes_are_refused_not_a_panic() {
        let bytes = encode(&sample());
        for n in 0..bytes.len() {
            if let Some((rows, _)) = Rows::read(&bytes[..n]) {
                let _ = rows.decode();
            }
        }
        // More resellers than written: the reader runs out of bytes.
        let mut more = bytes.clone();
        let at = MAGIC.len() + 2; // past the length
        assert_eq!(&more[at..at + 4], b"3\x002\x00");
        more[at + 2] = b'9';
        assert!(Rows::read(&more).is_none());
        // A reference past the entries decodes to nothing.
        let (mut rows, _) = Rows::read(&bytes).unwrap();
        rows.apps[1].parent = 99;
        assert!(rows.decode().is_none());
        let (mut rows, _) = Rows::read(&bytes).unwrap();
        rows.groups[0].apps.push(3);
        assert!(rows.decode().is_none());
    }

    #[test]
    #[should_panic(expected = "empty text")]
    fn an_empty_list_item_cannot_be_written() {
        let mut c = sample();
        c.apps[0].keywords.push(String::new());
        encode(&c);
    }
}
