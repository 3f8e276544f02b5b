//! The calc node's memory of answered tagged requests, so that a resend
//! is answered again from memory and never computed twice: at most
//! [`MAX_ANSWERED`] requests for `ttl`, whatever the tag's length, in at
//! most 64 bytes each (a 24-byte record, a 5-byte index slot per bucket,
//! and the slack of tables that double: 36 bytes each when full, 18 MB for
//! 500 000; the bound docs/PROTOCOL.md states).
//!
//! A tag is kept as 94 bits of two keyed hashes (random keys per process,
//! so a client cannot aim at a collision; two of 500 000 tags share them
//! with a chance near 10^-17), an answer `N.dddd` as the integer
//! `N * 10^4 + dddd`. Records lie in a ring in answer order (the oldest
//! expire first) and an index of 4-byte ring positions finds them. Other
//! answers (error reasons, numbers beyond 2^64 / 10^4) keep their text
//! beside the record.

use hashbrown::HashTable;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::time::{Duration, Instant};

/// Most answered requests remembered at once.
pub const MAX_ANSWERED: usize = 500_000;

/// `value` of a record whose text is kept in `texts`.
const TEXT: u64 = u64::MAX;

/// Bits of `meta` for the time (deciseconds since the cache began: wraps
/// after 3.4 years, only ever compared as an age).
const TIME_BITS: u32 = 30;
const TIME_MASK: u32 = (1 << TIME_BITS) - 1;

/// One answered request (24 bytes).
struct Record {
    /// The answer `N.dddd` as `N * 10^4 + dddd`, or [`TEXT`].
    value: u64,
    /// The tag's first hash (where the index looks).
    h1: u64,
    /// The tag's second hash, 30 bits, then the lanes seen (2 bits).
    h2_lanes: u32,
    /// When it was answered ([`TIME_BITS`] of deciseconds).
    at: u32,
}

pub(crate) struct AnsweredCache {
    ring: VecDeque<Record>,
    /// Ring positions (`seq`), found by `h1`.
    index: HashTable<u32>,
    /// The texts of [`TEXT`] records, by `seq`.
    texts: HashMap<u32, Box<[u8]>>,
    /// `seq` of the ring's front (wrapping: fewer than 2^32 records live).
    base: u32,
    keys: (std::collections::hash_map::RandomState, std::collections::hash_map::RandomState),
    epoch: Instant,
    ttl_ds: u32,
    cap: usize,
}

impl AnsweredCache {
    /// Remember answers for `ttl` (rounded up to 0.1 s; at most a year), at most `cap` at once.
    pub(crate) fn new(ttl: Duration, cap: usize) -> AnsweredCache {
        let ttl_ds = ttl.as_millis().div_ceil(100).min(365 * 24 * 36_000) as u32;
        AnsweredCache {
            ring: VecDeque::new(),
            index: HashTable::new(),
            texts: HashMap::new(),
            base: 0,
            keys: Default::default(),
            epoch: Instant::now(),
            ttl_ds,
            cap: cap.clamp(1, u32::MAX as usize / 2),
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ring.len()
    }

    fn hashes(&self, tag: &str) -> (u64, u32) {
        (self.keys.0.hash_one(tag), (self.keys.1.hash_one(tag) as u32) & !3)
    }

    fn now_ds(&self, now: Instant) -> u32 {
        (now.saturating_duration_since(self.epoch).as_millis() / 100) as u32 & TIME_MASK
    }

    fn find(&self, tag: &str) -> Option<u32> {
        let (h1, h2) = self.hashes(tag);
        let (ring, base) = (&self.ring, self.base);
        self.index
            .find(h1, |&seq| {
                let r = &ring[pos(seq, base)];
                r.h1 == h1 && r.h2_lanes & !3 == h2
            })
            .copied()
    }

    /// The answer remembered for `tag` and the lanes (bit 0 = lane 1) whose
    /// request was seen; `lanes_add` is added to them.
    pub(crate) fn get(&mut self, tag: &str, lanes_add: u8) -> Option<(Vec<u8>, u8)> {
        let seq = self.find(tag)?;
        let r = &mut self.ring[pos(seq, self.base)];
        let lanes = (r.h2_lanes & 3) as u8;
        r.h2_lanes |= u32::from(lanes_add & 3);
        let text = match r.value {
            TEXT => self.texts.get(&seq).map_or_else(Vec::new, |t| t.to_vec()),
            v => format!("{}.{:04}", v / 10_000, v % 10_000).into_bytes(),
        };
        Some((text, lanes))
    }

    /// Remember `value` as the answer to `tag` (lanes seen: `lanes`), then
    /// forget the oldest beyond the bound.
    pub(crate) fn insert(&mut self, tag: &str, value: &[u8], lanes: u8, now: Instant) {
        let at = self.now_ds(now);
        let compact = compact_value(value);
        if let Some(seq) = self.find(tag) {
            // Answered twice (not done by the calc node): the newest answer stays.
            let r = &mut self.ring[pos(seq, self.base)];
            r.h2_lanes |= u32::from(lanes & 3);
            r.value = compact.unwrap_or(TEXT);
            if compact.is_some() {
                self.texts.remove(&seq);
            } else {
                self.texts.insert(seq, value.into());
            }
            return;
        }
        let (h1, h2) = self.hashes(tag);
        let seq = self.base.wrapping_add(self.ring.len() as u32);
        if compact.is_none() {
            self.texts.insert(seq, value.into());
        }
        self.ring.push_back(Record { value: compact.unwrap_or(TEXT), h1, h2_lanes: h2 | u32::from(lanes & 3), at });
        let (ring, base) = (&self.ring, self.base);
        self.index.insert_unique(h1, seq, |&s| ring[pos(s, base)].h1);
        while self.ring.len() > self.cap {
            self.pop_front();
        }
    }

    /// Forget what was answered `ttl` ago or longer.
    pub(crate) fn expire(&mut self, now: Instant) {
        let now = self.now_ds(now);
        while self.ring.front().is_some_and(|r| now.wrapping_sub(r.at) & TIME_MASK >= self.ttl_ds) {
            self.pop_front();
        }
        // Give memory back after a burst (the ring keeps at most twice what it holds).
        if self.ring.capacity() > 1024 && self.ring.len() < self.ring.capacity() / 4 {
            self.ring.shrink_to(self.ring.len() * 2);
            let (ring, base) = (&self.ring, self.base);
            self.index.shrink_to(self.ring.len() * 2, |&s| ring[pos(s, base)].h1);
        }
    }

    fn pop_front(&mut self) {
        let Some(r) = self.ring.front() else { return };
        let (h1, seq) = (r.h1, self.base);
        if r.value == TEXT {
            self.texts.remove(&seq);
        }
        if let Ok(e) = self.index.find_entry(h1, |&s| s == seq) {
            e.remove();
        }
        self.ring.pop_front();
        self.base = self.base.wrapping_add(1);
    }

    /// Bytes the ring and the index hold now (their capacity), not counting
    /// the texts of non-numeric answers.
    #[cfg(test)]
    pub(crate) fn heap_bytes(&self) -> usize {
        let buckets = if self.index.capacity() == 0 { 0 } else { (self.index.capacity() * 8 / 7).next_power_of_two() };
        self.ring.capacity() * std::mem::size_of::<Record>() + buckets * (std::mem::size_of::<u32>() + 1)
    }
}

/// The ring position of `seq` when the ring's front is `base`.
fn pos(seq: u32, base: u32) -> usize {
    seq.wrapping_sub(base) as usize
}

/// `N.dddd` (no sign, no leading zero but `0.`, exactly four decimals) as
/// `N * 10^4 + dddd` when that fits below [`TEXT`].
fn compact_value(v: &[u8]) -> Option<u64> {
    let dot = v.iter().position(|&b| b == b'.')?;
    let (int, frac) = (&v[..dot], &v[dot + 1..]);
    if int.is_empty() || frac.len() != 4 || (int.len() > 1 && int[0] == b'0') {
        return None;
    }
    if !int.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = std::str::from_utf8(int).ok()?.parse().ok()?;
    let d: u64 = std::str::from_utf8(frac).ok()?.parse().ok()?;
    n.checked_mul(10_000)?.checked_add(d).filter(|&x| x != TEXT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_come_back_byte_for_byte() {
        let mut c = AnsweredCache::new(Duration::from_secs(60), 100);
        let now = Instant::now();
        let values: [&[u8]; 7] =
            [b"17.6918", b"0.0000", b"1844674407370955.1614", b"1844674407370955.1615", b"ERR bad cathetus a", b"07.0000", b"1e300"];
        for (i, v) in values.iter().enumerate() {
            c.insert(&format!("t{i}"), v, 1, now);
        }
        for (i, v) in values.iter().enumerate() {
            let (text, lanes) = c.get(&format!("t{i}"), 2).expect("remembered");
            assert_eq!(&text[..], *v);
            assert_eq!(lanes, 1);
            assert_eq!(c.get(&format!("t{i}"), 0).unwrap().1, 3, "lanes were added");
        }
        assert!(c.get("t99", 0).is_none());
        assert_eq!(compact_value(b"1844674407370955.1614"), Some(u64::MAX - 1));
        assert_eq!(compact_value(b"1844674407370955.1615"), None, "the marker value stays text");
        assert_eq!(compact_value(b"07.0000"), None);
        assert_eq!(compact_value(b"7.000"), None);
    }

    #[test]
    fn the_oldest_go_first_by_age_and_by_number() {
        let t0 = Instant::now();
        let mut c = AnsweredCache::new(Duration::from_secs(10), 1000);
        for i in 0..1500 {
            let at = t0 + Duration::from_millis(i * 5);
            c.insert(&format!("tag-{i}"), if i % 3 == 0 { b"ERR x" } else { b"5.0000" }, 3, at);
        }
        assert_eq!(c.len(), 1000, "bounded by number");
        assert!(c.get("tag-499", 0).is_none() && c.get("tag-500", 0).is_some());
        assert_eq!(c.texts.len(), (500..1500).filter(|i| i % 3 == 0).count(), "texts leave with their records");
        // tag-500 was answered at 2.5 s: gone at 12.5 s, tag-1499 (7.495 s) stays until 17.495 s.
        c.expire(t0 + Duration::from_millis(12_600));
        assert!(c.get("tag-520", 0).is_none() && c.get("tag-1499", 0).is_some());
        c.expire(t0 + Duration::from_secs(18));
        assert_eq!(c.len(), 0);
        assert!(c.texts.is_empty() && c.index.is_empty());
        // Positions keep counting after the ring emptied.
        c.insert("again", b"1.0000", 1, t0 + Duration::from_secs(18));
        assert_eq!(c.get("again", 0).unwrap().0, b"1.0000");
    }

    #[test]
    fn a_full_cache_costs_at_most_64_bytes_a_request() {
        let now = Instant::now();
        let mut c = AnsweredCache::new(Duration::from_secs(60), MAX_ANSWERED);
        for i in 0..MAX_ANSWERED + 10_000 {
            // Tags as the library's clients make them (about 30 bytes).
            c.insert(&format!("c-3f9a2b7c11d0.{i}"), b"17.6918", 3, now);
        }
        assert_eq!(c.len(), MAX_ANSWERED);
        let per = c.heap_bytes() as f64 / MAX_ANSWERED as f64;
        assert!(per <= 64.0, "{per:.1} bytes per remembered request");
        assert!(c.get("c-3f9a2b7c11d0.9999", 0).is_none() && c.get(&format!("c-3f9a2b7c11d0.{}", MAX_ANSWERED + 9_999), 0).is_some());
    }

    #[test]
    fn the_smallest_caches_stay_consistent() {
        let now = Instant::now();
        for cap in [1, 2, 3] {
            let mut c = AnsweredCache::new(Duration::from_secs(60), cap);
            for i in 0..100 {
                c.insert(&format!("t{i}"), b"1.0000", 1, now);
                assert!(c.get(&format!("t{i}"), 2).is_some());
                assert!(i < cap || c.get(&format!("t{}", i - cap), 0).is_none());
                c.expire(now);
            }
            assert_eq!((c.len(), c.index.len()), (cap, cap));
        }
    }
}
