//! Property tests: extraction accepts any text; grouping is a partition that ignores order.

use super::*;
use crate::MemberId;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn extraction_never_panics_on_any_string(text in any::<String>()) {
        let f = extract(&text);
        prop_assert!(f.numbers.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(f.entities.iter().all(|e| f.mentions(e)));
    }

    #[test]
    fn extraction_never_panics_on_number_like_text(
        text in "[0-9.,\\-−' a-zA-Z’]{0,64}( (hundred|thousand|million|and|twenty|one|nine|No|not),?)*"
    ) {
        let f = extract(&text);
        // The same text always gives the same features.
        prop_assert_eq!(f, extract(&text));
    }

    #[test]
    fn the_rule_is_symmetric_and_reflexive(
        a in "[A-Za-z0-9 ,.'-]{0,60}",
        b in "[A-Za-z0-9 ,.'-]{0,60}",
        cos in 0.0f32..=1.0,
    ) {
        let config = SemanticConfig::default();
        let (fa, fb) = (extract(&a), extract(&b));
        prop_assert_eq!(
            judge_features(&config, &fa, &fb, cos).agree,
            judge_features(&config, &fb, &fa, cos).agree
        );
        prop_assert!(judge_features(&config, &fa, &fa, 1.0).agree);
    }

    #[test]
    fn grouping_is_a_partition_independent_of_input_order(
        edges in proptest::collection::vec(any::<bool>(), 45),
        rot in 0usize..10,
    ) {
        // A random symmetric relation on 10 members.
        let agree = |a: MemberId, b: MemberId| {
            let (i, j) = (a.min(b) as usize, a.max(b) as usize);
            edges[i * (19 - i) / 2 + j - i - 1]
        };
        let ids: Vec<MemberId> = (0..10).collect();
        let groups = group_by(&ids, agree);
        let mut all: Vec<MemberId> = groups.concat();
        all.sort_unstable();
        prop_assert_eq!(&all, &ids);
        for g in &groups {
            for (k, &a) in g.iter().enumerate() {
                for &b in &g[k + 1..] {
                    prop_assert!(agree(a, b), "group {:?} is not a clique", g);
                }
            }
        }
        prop_assert!(groups.windows(2).all(|w| w[0].len() >= w[1].len()));
        let mut shuffled = ids.clone();
        shuffled.rotate_left(rot);
        shuffled.reverse();
        prop_assert_eq!(group_by(&shuffled, agree), groups);
    }
}
