//! A digest of a workspace's content read through the store traits only, so that two
//! backends holding the same content give the same digest (`wangge copy` prints it for both
//! ends). Per part (places, plans, incidents, tokens, residents, gap and service areas): how
//! many records and an FNV-1a hash over their values in key order. Time stamps of writing (`created`) are left
//! out; everything a user put in or a run computed is in.

use super::Store;
use crate::Result;
use std::fmt;

/// One part of the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestPart {
    pub name: &'static str,
    pub records: u64,
    pub hash: u64,
}

/// The digest of a workspace: its parts in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDigest {
    pub parts: Vec<DigestPart>,
}

impl fmt::Display for ContentDigest {
    /// `digest places=1234:0123456789abcdef plans=...`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "digest")?;
        for p in &self.parts {
            write!(f, " {}={}:{:016x}", p.name, p.records, p.hash)?;
        }
        Ok(())
    }
}

impl ContentDigest {
    /// The parts folded into one number.
    pub fn fold(&self) -> u64 {
        let mut h = Fnv::new();
        for p in &self.parts {
            h.add(&format!("{}={}:{}", p.name, p.records, p.hash));
        }
        h.0
    }
}

struct Fnv(u64, u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325, 0)
    }

    /// One record, as its `Debug` text (floats print the shortest text that reads back the
    /// same number, so equal values give equal text).
    fn add(&mut self, record: &str) {
        for &x in record.as_bytes().iter().chain([0u8].iter()) {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self.1 += 1;
    }

    fn part(self, name: &'static str) -> DigestPart {
        DigestPart {
            name,
            records: self.1,
            hash: self.0,
        }
    }
}

fn sorted<T>(mut v: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    v.sort_by_cached_key(|x| key(x));
    v
}

/// Computes the digest of `store`.
// Long: one pass per part of the digest, in its fixed order.
pub fn content_digest(store: &dyn Store) -> Result<ContentDigest> {
    let d = store.load_places()?;
    let mut places = Fnv::new();
    for c in sorted(d.communities, |x| x.key.clone()) {
        places.add(&format!("{c:?}"));
    }
    for b in sorted(d.buildings, |x| x.key.clone()) {
        places.add(&format!("{b:?}"));
    }
    for a in sorted(d.address_points, |x| x.key.clone()) {
        places.add(&format!("{a:?}"));
    }
    for f in sorted(d.facilities, |x| x.key.clone()) {
        places.add(&format!("{f:?}"));
    }
    for s in sorted(d.streets, |x| x.key.clone()) {
        places.add(&format!("{s:?}"));
    }
    for l in sorted(d.land_cover, |x| x.key.clone()) {
        places.add(&format!("{l:?}"));
    }
    for c in sorted(d.components, |x| x.key.clone()) {
        places.add(&format!("{c:?}"));
    }

    let mut plans = Fnv::new();
    for mut p in store.plans()? {
        p.created.clear();
        plans.add(&format!("{p:?}"));
        for g in store.plan_grid_rows(p.id)? {
            plans.add(&format!("{g:?}"));
        }
        for m in store.plan_members(p.id)? {
            plans.add(&format!("{m:?}"));
        }
        for g in store.plan_group_shapes(p.id)? {
            plans.add(&format!("{g:?}"));
        }
    }

    let mut incidents = Fnv::new();
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page = store.incidents_after(after, 10_000)?;
        let Some(last) = page.last() else { break };
        after = last.0;
        all.extend(page.into_iter().map(|(_, i)| i));
    }
    for i in sorted(all, |x| x.key.clone()) {
        incidents.add(&format!("{i:?}"));
    }
    for c in sorted(store.kpi_cases()?, |x| x.key.clone()) {
        incidents.add(&format!("{c:?}"));
    }

    let mut tokens = Fnv::new();
    let hashes = store.token_hashes()?;
    for mut t in store.tokens()? {
        t.created.clear();
        let hash = hashes
            .iter()
            .find(|(_, r)| r.id == t.id)
            .map(|h| h.0.as_str());
        tokens.add(&format!("{t:?} {hash:?}"));
    }

    let mut residents = Fnv::new();
    let (rows, _) = store.residents_where(&|_, _| true, usize::MAX, 0)?;
    for r in rows {
        residents.add(&format!("{r:?}"));
    }

    let mut areas = Fnv::new();
    for g in sorted(store.gap_areas()?, |x| {
        format!("{}\u{0}{:09}", x.what, x.rank)
    }) {
        areas.add(&format!("{g:?}"));
    }
    for s in store.latest_service_areas()? {
        areas.add(&format!("{s:?}"));
    }

    let mut workforce = Fnv::new();
    for d in store.departments()? {
        workforce.add(&format!("{d:?}"));
    }
    for w in store.workers()? {
        workforce.add(&format!("{w:?}"));
    }

    let mut photos = Fnv::new();
    for p in store.photos(None)? {
        photos.add(&format!(
            "{} {} {} {} {}",
            p.incident, p.n, p.content_type, p.bytes, p.sha256
        ));
    }

    let mut parts = vec![
        places.part("places"),
        plans.part("plans"),
        incidents.part("incidents"),
        tokens.part("tokens"),
        residents.part("residents"),
        areas.part("areas"),
    ];
    // Named only when there is a register, so digests of workspaces without one stay as
    // they were.
    if workforce.1 > 0 {
        parts.push(workforce.part("workforce"));
    }
    if photos.1 > 0 {
        parts.push(photos.part("photos"));
    }
    Ok(ContentDigest { parts })
}
