//! Percentage buckets exactly as flagd's `fractional` assigns them: MurmurHash3 (x86, 32-bit,
//! seed 0) of flag key + `targetingKey`, then `bucket = hash × total weight >> 32`, and the first
//! variant whose running weight passes the bucket.
//!
//! `@openfeature/flagd-core` hashes with `imurmurhash`, which reads a JavaScript string one UTF-16
//! code unit at a time where the reference algorithm reads bytes. For text whose code units are
//! all below 256 (ASCII, Latin-1) that is MurmurHash3 over those bytes, computed by the `mur3`
//! crate; for any other text flagd's answer is imurmurhash's, which [`imurmurhash`] reproduces.

/// The 32-bit hash flagd-core computes for `text`.
pub fn hash(text: &str) -> u32 {
    if text.is_ascii() {
        return mur3::murmurhash3_x86_32(text.as_bytes(), 0);
    }
    let latin1: Option<Vec<u8>> = text.chars().map(|c| u8::try_from(c).ok()).collect();
    match latin1 {
        Some(bytes) => mur3::murmurhash3_x86_32(&bytes, 0),
        None => imurmurhash(&text.encode_utf16().collect::<Vec<u16>>()),
    }
}

const C1: u32 = 0xcc9e_2d51;
const C2: u32 = 0x1b87_3593;

fn mix(k1: u32) -> u32 {
    k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2)
}

/// `new MurmurHash3(key).result()` of the `imurmurhash` package: each code unit's 16 bits are
/// XORed in at its byte's position (a high byte spills into the next byte, and the fourth unit's
/// into the first), and a tail whose top bit is set is skipped, as that code does.
pub fn imurmurhash(units: &[u16]) -> u32 {
    let mut h1: u32 = 0;
    let blocks = units.len() / 4;
    for block in units[..blocks * 4].chunks_exact(4) {
        let [c0, c1, c2, c3] = [block[0], block[1], block[2], block[3]].map(u32::from);
        let k1 = c0 ^ (c1 << 8) ^ (c2 << 16) ^ ((c3 & 0xff) << 24) ^ ((c3 & 0xff00) >> 8);
        h1 ^= mix(k1);
        h1 = h1.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = &units[blocks * 4..];
    let mut k1: u32 = 0;
    for (i, &unit) in tail.iter().enumerate() {
        k1 ^= u32::from(unit) << (8 * i);
    }
    // JavaScript's `k1 > 0` on a signed 32-bit value.
    if k1 > 0 && k1 < 0x8000_0000 {
        h1 ^= mix(k1);
    }
    h1 ^= units.len() as u32;
    h1 ^= h1 >> 16;
    h1 = h1.wrapping_mul(0x85eb_ca6b);
    h1 ^= h1 >> 13;
    h1 = h1.wrapping_mul(0xc2b2_ae35);
    h1 ^= h1 >> 16;
    h1
}

/// The variant `fractional` picks for `bucket_by` among `weights` (non-negative integers), or
/// `None` when no weight is positive.
pub fn pick<'w, V>(bucket_by: &str, weights: &'w [(V, u64)]) -> Option<&'w V> {
    let total: u64 = weights.iter().map(|(_, w)| w).sum();
    let bucket = (u64::from(hash(bucket_by)) * total) >> 32;
    let mut sum = 0;
    for (variant, weight) in weights {
        sum += weight;
        if sum > bucket {
            return Some(variant);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Published MurmurHash3_x86_32 vectors (seed 0), from the reference implementation's
    /// verification set as collected on Wikipedia and in `murmurhash-js`'s tests.
    #[test]
    fn published_vectors() {
        for (text, expected) in [
            ("", 0u32),
            ("a", 0x3c25_69b2),
            ("abc", 0xb3dd_93fa),
            ("abcd", 0x43ed_676a),
            ("Hello, world!", 0xc036_3e43),
            ("The quick brown fox jumps over the lazy dog", 0x2e4f_f723),
            ("test", 0xba6b_d213),
        ] {
            assert_eq!(hash(text), expected, "{text:?}");
        }
    }

    /// Values computed by `imurmurhash` 0.1.4 under node (the hash flagd-core uses), including
    /// text beyond Latin-1 where it departs from MurmurHash3 over UTF-8.
    #[test]
    fn imurmurhash_values() {
        for (text, expected) in [
            ("flag-keyuser-1", 0xd73f_90f6u32),
            ("é", 0x44c6_d4b2),
            ("日本語", 0x85f0_b427),
            // A three-unit tail with its top bit set is skipped: only the length counts.
            ("\u{8000}\u{8000}\u{8000}", 0x85f0_b427),
            ("emoji😀key", 0x5290_ea9c),
            ("ab日", 0x26e6_af7d),
            ("abc\u{ffff}", 0xd52f_35a6),
        ] {
            assert_eq!(hash(text), expected, "{text:?}");
        }
    }

    proptest! {
        /// The crate (bytes) and the port of imurmurhash (code units) agree wherever each code
        /// unit is one byte.
        #[test]
        fn port_agrees_with_the_crate_below_256(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let units: Vec<u16> = bytes.iter().map(|&b| u16::from(b)).collect();
            prop_assert_eq!(imurmurhash(&units), mur3::murmurhash3_x86_32(&bytes, 0));
        }

        #[test]
        fn buckets_follow_the_weights(key in ".{0,40}", a in 0u64..1000, b in 0u64..1000) {
            let weights = [("a", a), ("b", b)];
            match pick(&key, &weights) {
                None => prop_assert_eq!(a + b, 0),
                Some(&"a") => prop_assert!(a > 0),
                Some(_) => prop_assert!(b > 0),
            }
        }
    }
}
