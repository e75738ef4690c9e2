//! Comparator networks for the coordinate-wise rules (which wires to compare, in what order).
//! The SIMD engine that runs them across coordinates is [`crate::tiles`].
//!
//! Why networks: a selection per coordinate (`select_nth_unstable_by`) is O(n) but branchy,
//! about a microsecond per coordinate at n = 100. A comparator network has no data-dependent
//! branches, so one compare-exchange can be applied to many coordinates at once as SIMD
//! min/max. Batcher's odd-even merge sort needs about `n log^2 n / 4` compare-exchanges; the
//! rules that need less than a full sort get a pruned network:
//!
//! * the median needs only the two middle outputs ([`prune_for`]: 1,104 -> 898 comparators at
//!   n = 100);
//! * the trimmed mean needs only the *sets* of the `f` smallest and `f` largest values, not
//!   their order nor the order of the middle ([`trim`]: 1,104 -> 830 at n = 100, f = 20).
//!
//! Wires are `u8` (networks are used for `n <= MAX_N = 256`): a pair list of 1,104 comparators
//! is 2.2 KB instead of 17.7 KB as `usize` pairs, so it shares L1 with the tile.

/// Largest `n` handled with a network; the callers use selection above it.
pub(crate) const MAX_N: usize = 256;

/// One compare-exchange: after it, wire `.0` holds the smaller value and `.1` the larger.
/// Always `.0 < .1`.
pub(crate) type Pair = (u8, u8);

/// Batcher's odd-even merge sort for `n` inputs: the network for the next power of two, with
/// every comparator that touches an index `>= n` dropped (those inputs act as `+inf` padding,
/// which such a comparator would never move).
pub(crate) fn batcher(n: usize) -> Vec<(usize, usize)> {
    let size = n.next_power_of_two();
    let mut pairs = Vec::new();
    let mut p = 1;
    while p < size {
        let mut k = p;
        while k >= 1 {
            let mut j = k % p;
            while j + k < size {
                for i in 0..k {
                    let (a, b) = (i + j, i + j + k);
                    if b < n && a / (2 * p) == b / (2 * p) {
                        pairs.push((a, b));
                    }
                }
                j += 2 * k;
            }
            k /= 2;
        }
        p *= 2;
    }
    pairs
}

/// Keeps only the comparators that can influence the output `rows` (a backward pass: a
/// comparator matters if either of its wires is still needed later, and then both are).
/// For the median this drops the final merge steps that only order the outer values.
pub(crate) fn prune_for(pairs: &[(usize, usize)], rows: &[usize], n: usize) -> Vec<(usize, usize)> {
    let mut needed = vec![false; n];
    for &r in rows {
        needed[r] = true;
    }
    let mut kept: Vec<(usize, usize)> = Vec::new();
    for &(a, b) in pairs.iter().rev() {
        if needed[a] || needed[b] {
            needed[a] = true;
            needed[b] = true;
            kept.push((a, b));
        }
    }
    kept.reverse();
    kept
}

/// A network after which wires `0..f` hold the `f` smallest values and wires `n-f..n` the `f`
/// largest (each as a set, in no particular order), so wires `f..n-f` hold the middle values.
///
/// Construction (when both halves have at least `2f` wires): sort the halves `A = 0..h` and
/// `B = h..n` with Batcher's network pruned to their `f` outer outputs on each side, then
///
/// * `min(A[i], B[f-1-i])` for `i < f` is the set of the `f` smallest of `A ∪ B` (the classic
///   half-cleaner of two sorted lists; the mins land on `A[0..f]`),
/// * `max(A[h-f+i], B[|B|-1-i])` for `i < f` is the set of the `f` largest (landing on `B`'s
///   last `f` wires).
///
/// The two steps touch disjoint wires because each half has `2f` or more. Otherwise (small
/// `n` relative to `f`) the full Batcher network is used, minus its trailing comparators that
/// only reorder values within one of the three groups.
pub(crate) fn trim(n: usize, f: usize) -> Vec<(usize, usize)> {
    let h = n / 2;
    if f == 0 {
        return Vec::new();
    }
    if h < 2 * f {
        let group = |w: usize| (w >= f) as u8 + (w >= n - f) as u8;
        let mut touched = vec![false; n];
        let mut kept = Vec::new();
        for &(a, b) in batcher(n).iter().rev() {
            if !touched[a] && !touched[b] && group(a) == group(b) {
                continue;
            }
            touched[a] = true;
            touched[b] = true;
            kept.push((a, b));
        }
        kept.reverse();
        return kept;
    }
    let outer = |len: usize| -> Vec<usize> { (0..f).chain(len - f..len).collect() };
    let (la, lb) = (h, n - h);
    let mut pairs = prune_for(&batcher(la), &outer(la), la);
    pairs.extend(
        prune_for(&batcher(lb), &outer(lb), lb)
            .into_iter()
            .map(|(a, b)| (a + h, b + h)),
    );
    pairs.extend((0..f).map(|i| (i, h + f - 1 - i)));
    pairs.extend((0..f).map(|i| (la - f + i, n - 1 - i)));
    pairs
}

/// Batcher's network for 8 wires (= `batcher(8)`, tested): the block the SIMD kernels keep in
/// registers.
pub(crate) const SORT8: [(usize, usize); 19] = [
    (0, 1),
    (2, 3),
    (4, 5),
    (6, 7),
    (0, 2),
    (1, 3),
    (4, 6),
    (5, 7),
    (1, 2),
    (5, 6),
    (0, 4),
    (1, 5),
    (2, 6),
    (3, 7),
    (2, 4),
    (3, 5),
    (1, 2),
    (3, 4),
    (5, 6),
];

/// A network ready to run: `u8` wires, with its register blocks found.
///
/// `blocks32` lists first wires `b` such that `pairs[191 k..191 (k + 1)]` is `batcher(32)` on
/// wires `b..b + 32` (only looked for when the kernel has 32 registers); after those come the
/// `blocks16`, each `batcher(16)` (63 comparators) on `b..b + 16`, then the `blocks8`, each
/// [`SORT8`] (19 comparators) on `b..b + 8`, then the rest. Moving a block's comparators to the front does not change what
/// the network computes: in the original list they were the first comparators to touch those
/// wires, and they touch no other wire, so everything they were moved past acts on other wires
/// and commutes with them. A kernel may run a block with its wires held in registers (load the
/// rows once, all comparators as register min/max, store once) instead of one load/store
/// round trip per comparator; running `pairs` in order gives the same result. `batcher(16)`
/// starts with [`SORT8`] on each half (its first 38 comparators, interleaved), so a kernel with
/// too few registers for 16 rows may run a 16-block as two 8-blocks plus its last 25 pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Network {
    pub(crate) pairs: Vec<Pair>,
    pub(crate) blocks32: Vec<u8>,
    pub(crate) blocks16: Vec<u8>,
    pub(crate) blocks8: Vec<u8>,
}

/// Comparators of `batcher(32)`.
pub(crate) const SORT32_LEN: usize = 191;

/// Comparators of `batcher(16)`.
pub(crate) const SORT16_LEN: usize = 63;

/// Of those, the merge at the end (after the two [`SORT8`] halves).
pub(crate) const SORT16_MERGE: usize = 25;

/// Finds blocks of `size` consecutive wires (not yet `taken`) whose first comparators in
/// `list` (ignoring those already `used`) are exactly `template` on them; marks them.
fn find_blocks(
    list: &[(usize, usize)],
    n: usize,
    template: &[(usize, usize)],
    size: usize,
    used: &mut [bool],
    taken: &mut [bool],
    front: &mut Vec<(usize, usize)>,
) -> Vec<u8> {
    let mut blocks = Vec::new();
    let mut w = 0;
    while w + size <= n {
        let inside = |x: usize| (w..w + size).contains(&x);
        let first: Vec<usize> = (0..list.len())
            .filter(|&i| !used[i] && (inside(list[i].0) || inside(list[i].1)))
            .take(template.len())
            .collect();
        let matches = !taken[w..w + size].iter().any(|&t| t)
            && first.len() == template.len()
            && first
                .iter()
                .zip(template)
                .all(|(&i, &(a, b))| list[i] == (w + a, w + b));
        if matches {
            for &i in &first {
                used[i] = true;
                front.push(list[i]);
            }
            taken[w..w + size].fill(true);
            blocks.push(w as u8);
            w += size;
        } else {
            w += 1;
        }
    }
    blocks
}

impl Network {
    /// Packs `list` (on wires `0..n`, `n <= MAX_N`) and finds its blocks (32-wire ones only
    /// if `wide`: a kernel with 32 SIMD registers sorts them in registers, with a few spills).
    pub(crate) fn new(list: &[(usize, usize)], n: usize, wide: bool) -> Self {
        let mut used = vec![false; list.len()];
        let mut taken = vec![false; n];
        let mut front = Vec::new();
        let blocks32 = if wide {
            find_blocks(list, n, &batcher(32), 32, &mut used, &mut taken, &mut front)
        } else {
            Vec::new()
        };
        let sort16 = batcher(16);
        let blocks16 = find_blocks(list, n, &sort16, 16, &mut used, &mut taken, &mut front);
        let blocks8 = find_blocks(list, n, &SORT8, 8, &mut used, &mut taken, &mut front);
        let rest = list
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(p, _)| *p);
        let pairs = front
            .into_iter()
            .chain(rest)
            .map(|(a, b)| {
                debug_assert!(a < b && b < MAX_N.min(n));
                (a as u8, b as u8)
            })
            .collect();
        Self {
            pairs,
            blocks32,
            blocks16,
            blocks8,
        }
    }

    /// Number of leading `pairs` that belong to the 32-blocks.
    pub(crate) fn prefix32(&self) -> usize {
        SORT32_LEN * self.blocks32.len()
    }

    /// Number of leading `pairs` that belong to the 32- and 16-blocks.
    pub(crate) fn prefix16(&self) -> usize {
        self.prefix32() + SORT16_LEN * self.blocks16.len()
    }

    /// Number of leading `pairs` that belong to the blocks (16 and 8).
    pub(crate) fn prefix(&self) -> usize {
        self.prefix16() + SORT8.len() * self.blocks8.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pairs: &[(usize, usize)], v: &mut [u64]) {
        for &(a, b) in pairs {
            assert!(a < b);
            if v[b] < v[a] {
                v.swap(a, b);
            }
        }
    }

    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, modulo: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % modulo
        }
    }

    #[test]
    fn pruned_network_still_finds_the_median() {
        let mut rng = Lcg(99);
        for n in 1..=70 {
            let middle = [(n - 1) / 2, n / 2];
            let full = batcher(n);
            let pairs = prune_for(&full, &middle, n);
            assert!(pairs.len() <= full.len());
            for _ in 0..20 {
                let mut v: Vec<u64> = (0..n).map(|_| rng.next(1000)).collect();
                let mut sorted = v.clone();
                sorted.sort_unstable();
                run(&pairs, &mut v);
                for &m in &middle {
                    assert_eq!(v[m], sorted[m], "n = {n}");
                }
            }
        }
    }

    #[test]
    fn batcher_sorts_every_size_up_to_70() {
        let mut rng = Lcg(12345);
        for n in 1..=70 {
            let pairs = batcher(n);
            for _ in 0..20 {
                let mut v: Vec<u64> = (0..n).map(|_| rng.next(7)).collect();
                run(&pairs, &mut v);
                assert!(v.windows(2).all(|w| w[0] <= w[1]), "n = {n}: {v:?}");
            }
        }
    }

    /// Every `(n, f)` with `n >= 2f + 1` up to n = 80, both constructions (halves and pruned
    /// Batcher), on values with many ties and on distinct values; plus the sizes used in the
    /// speed benchmark and at the network limit.
    #[test]
    fn trim_network_separates_the_outer_sets() {
        let mut rng = Lcg(7);
        let mut cases: Vec<(usize, usize)> = (1..=80)
            .flat_map(|n| (0..=(n - 1) / 2).map(move |f| (n, f)))
            .collect();
        cases.extend([
            (100, 20),
            (100, 24),
            (100, 25),
            (101, 33),
            (256, 60),
            (256, 127),
        ]);
        for (n, f) in cases {
            let pairs = trim(n, f);
            for trial in 0..12 {
                let modulo = if trial % 2 == 0 { 4 } else { 1 << 40 };
                let mut v: Vec<u64> = (0..n).map(|_| rng.next(modulo)).collect();
                let mut sorted = v.clone();
                sorted.sort_unstable();
                run(&pairs, &mut v);
                let mut low = v[..f].to_vec();
                let mut high = v[n - f..].to_vec();
                low.sort_unstable();
                high.sort_unstable();
                assert_eq!(low, sorted[..f], "n = {n}, f = {f}");
                assert_eq!(high, sorted[n - f..], "n = {n}, f = {f}");
            }
        }
    }

    #[test]
    fn sort8_is_batchers_network_for_8_and_starts_batchers_16() {
        assert_eq!(batcher(8), SORT8.to_vec());
        assert_eq!(batcher(32).len(), SORT32_LEN);
        let sort16 = batcher(16);
        assert_eq!(sort16.len(), SORT16_LEN);
        let head = &sort16[..SORT16_LEN - SORT16_MERGE];
        let low: Vec<_> = head.iter().copied().filter(|&(_, b)| b < 8).collect();
        let high: Vec<_> = head
            .iter()
            .filter(|&&(a, _)| a >= 8)
            .map(|&(a, b)| (a - 8, b - 8))
            .collect();
        assert_eq!((low, high), (SORT8.to_vec(), SORT8.to_vec()));
    }

    /// Moving the blocks to the front computes the same thing (checked on values), and the
    /// blocks are found where Batcher's first three levels put them, also in the halves of the
    /// trim network (which start at wire n / 2).
    #[test]
    fn network_blocks_preserve_the_result() {
        let mut rng = Lcg(3);
        for (n, list) in [
            (100, batcher(100)),
            (100, trim(100, 20)),
            (37, trim(37, 5)),
            (100, prune_for(&batcher(100), &[49, 50], 100)),
            (13, batcher(13)),
        ] {
            let net = Network::new(&list, n, n % 2 == 0);
            assert!(
                !net.blocks32.is_empty() || !net.blocks16.is_empty() || !net.blocks8.is_empty(),
                "n = {n}"
            );
            let reordered: Vec<(usize, usize)> = net
                .pairs
                .iter()
                .map(|&(a, b)| (a.into(), b.into()))
                .collect();
            for _ in 0..50 {
                let v: Vec<u64> = (0..n).map(|_| rng.next(10)).collect();
                let (mut p, mut q) = (v.clone(), v);
                run(&list, &mut p);
                run(&reordered, &mut q);
                assert_eq!(p, q, "n = {n}");
            }
        }
        let full = Network::new(&batcher(100), 100, false);
        assert_eq!(full.blocks16, vec![0, 16, 32, 48, 64, 80]);
        assert!(full.blocks32.is_empty() && full.blocks8.is_empty());
        let trimmed = Network::new(&trim(100, 20), 100, false);
        assert_eq!(trimmed.blocks16, vec![0, 16, 32, 50, 66, 82]);
        assert!(trimmed.blocks8.is_empty());
        let wide = Network::new(&trim(100, 20), 100, true);
        assert_eq!((wide.blocks32, wide.blocks16), (vec![0, 50], vec![32, 82]));
        assert_eq!(Network::new(&batcher(13), 13, true).blocks8, vec![0]);
    }

    #[test]
    fn trim_is_smaller_than_a_full_sort_at_the_benchmark_size() {
        assert_eq!(batcher(100).len(), 1104);
        assert_eq!(trim(100, 20).len(), 830);
    }
}
