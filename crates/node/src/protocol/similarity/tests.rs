use super::*;
use byzvote_core::semantic::{BagOfWords, evidence::quantise};
use byzvote_core::{EmbedError, Embedder};
use futures::executor::block_on;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn counted() -> BTreeMap<MemberId, Canonical> {
    [
        "Paris is the capital of France.",
        "The capital of France is Paris.",
        "Paris is not the capital of France.",
    ]
    .iter()
    .enumerate()
    .map(|(i, t)| (i as MemberId, Canonical(t.to_string())))
    .collect()
}

fn encoded(s: &Similarities) -> Vec<u8> {
    Tx::Similarities(s.clone()).encode().to_vec()
}

fn inline(embedder: impl Embedder + 'static) -> Checker {
    Checker::new(Some(Embeddings::inline(Arc::new(embedder))))
}

#[test]
fn honest_evidence_is_accepted_and_forged_cosines_are_refused() {
    let checker = inline(BagOfWords);
    let id = Digest::from([3u8; 32]);
    let honest = block_on(checker.compute(id, &counted())).unwrap();
    assert_eq!(honest.cosines.len(), 3);
    assert!(block_on(checker.check(&encoded(&honest))));

    // Within the tolerance (0.01 off): accepted.
    let mut near = honest.clone();
    near.cosines[1] -= 100;
    assert!(block_on(checker.check(&encoded(&near))));

    // The contradiction's cosine pushed down by 0.05: beyond the tolerance, refused.
    let mut forged = honest.clone();
    forged.cosines[1] -= 500;
    assert!(!block_on(checker.check(&encoded(&forged))));
    // Refused again from the cache, and by a fresh checker.
    assert!(!block_on(checker.check(&encoded(&forged))));
    assert!(!block_on(inline(BagOfWords).check(&encoded(&forged))));

    // Texts swapped under the same cosines: refused.
    let mut swapped = honest.clone();
    swapped.texts[0] = Canonical("Lyon is the largest city of France.".into());
    assert!(!block_on(checker.check(&encoded(&swapped))));
}

#[test]
fn a_node_without_embedder_accepts_well_formed_evidence_and_computes_none() {
    let checker = Checker::new(None);
    assert!(!checker.has_embedder());
    let id = Digest::from([4u8; 32]);
    assert!(block_on(checker.compute(id, &counted())).is_none());
    let s = Similarities {
        request: id,
        members: vec![0, 1],
        texts: vec![Canonical("a".into()), Canonical("b".into())],
        cosines: vec![quantise(0.5)],
    };
    assert!(block_on(checker.check(&encoded(&s))));
}

#[test]
fn malformed_evidence_never_decodes() {
    let id = Digest::from([5u8; 32]);
    let good = Similarities {
        request: id,
        members: vec![0, 1],
        texts: vec![Canonical("a".into()), Canonical("b".into())],
        cosines: vec![100],
    };
    let bytes = encoded(&good);
    assert!(Tx::decode(&bytes).is_some());
    assert!(Checker::concerns(&bytes));
    // Out-of-range cosine, unsorted members, one member, truncated: all refused.
    let mut out_of_range = good.clone();
    out_of_range.cosines = vec![10_001];
    let mut unsorted = good.clone();
    unsorted.members = vec![1, 0];
    let mut single = good.clone();
    single.members = vec![0];
    single.texts.truncate(1);
    single.cosines.clear();
    for bad in [out_of_range, unsorted, single] {
        assert!(Tx::decode(&encoded(&bad)).is_none(), "{bad:?}");
    }
    assert!(Tx::decode(&bytes[..bytes.len() - 1]).is_none());
    // Non-similarity transactions need no deep check and pass it untouched.
    assert!(!Checker::concerns(&[9, 9]));
    assert!(block_on(Checker::new(None).check(&[9, 9])));
}

/// Counts the texts it embeds, and records the thread it ran on.
#[derive(Default)]
struct Seen {
    texts: AtomicUsize,
    thread: std::sync::Mutex<Option<std::thread::ThreadId>>,
}

#[derive(Clone, Default)]
struct Counting(Arc<Seen>);

impl Embedder for Counting {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.0.texts.fetch_add(texts.len(), Ordering::SeqCst);
        *self.0.thread.lock().unwrap() = Some(std::thread::current().id());
        BagOfWords.embed(texts)
    }
}

/// A vote's answers are embedded once: this node's own evidence, then a peer's evidence on the
/// same answers (other cosines, within the tolerance) and a block carrying it again reuse the
/// vectors; only a text never seen before is embedded.
#[test]
fn checking_a_peers_evidence_reuses_the_vectors_of_the_same_texts() {
    let counting = Counting::default();
    let checker = inline(counting.clone());
    let id = Digest::from([6u8; 32]);
    let own = block_on(checker.compute(id, &counted())).unwrap();
    assert_eq!(counting.0.texts.load(Ordering::SeqCst), 3);
    let mut peer = own.clone();
    peer.cosines[0] -= 50;
    assert!(block_on(checker.check(&encoded(&peer))));
    let mut other = own.clone();
    other.cosines[2] += 50;
    assert!(block_on(checker.check(&encoded(&other))));
    assert_eq!(
        counting.0.texts.load(Ordering::SeqCst),
        3,
        "no text embedded twice"
    );
    let mut new_text = own.clone();
    new_text.texts[2] = Canonical("Paris is a city in France.".into());
    block_on(checker.check(&encoded(&new_text)));
    assert_eq!(
        counting.0.texts.load(Ordering::SeqCst),
        4,
        "only the new text"
    );
}

/// Under the tokio runtime with a single async worker thread, the embedder runs on the
/// embedding worker's own thread, never on the thread that awaits the check.
#[test]
fn the_embedder_runs_off_the_async_workers() {
    use commonware_runtime::{Runner as _, Supervisor as _, tokio};
    let counting = Counting::default();
    let embedder = counting.clone();
    let runner = tokio::Runner::new(tokio::Config::new().with_worker_threads(1));
    let awaited_on = runner.start(|context| async move {
        let checker = Checker::new(Some(Embeddings::spawn(
            context.child("embedder"),
            Arc::new(embedder),
        )));
        let id = Digest::from([7u8; 32]);
        let own = checker.compute(id, &counted()).await.unwrap();
        assert!(checker.check(&encoded(&own)).await);
        std::thread::current().id()
    });
    let embedded_on = counting.0.thread.lock().unwrap().expect("embedded");
    assert_eq!(counting.0.texts.load(Ordering::SeqCst), 3);
    assert_ne!(embedded_on, awaited_on);
}
