//! Real-weight tests. They run when the models are fetched (`BYZVOTE_MODELS_DIR` or the user
//! data dir) and print a SKIPPED line otherwise. They run one at a time: on a small machine
//! parallel model runs only fight for the cores.

// Each test owns its runtime and thread, so holding the serialising std mutex across an
// await blocks nothing but the other model tests, which is the point.
#![allow(clippy::await_holding_lock)]

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, Once};

use byzvote_builtin::{
    BuiltinBackend, Embedder, MiniLm, ModelSpec, catalog, cosine, list, models_dir,
};
use byzvote_models::{ModelBackend, Prompt};

static SERIAL: Mutex<()> = Mutex::new(());
static THREADS: Once = Once::new();

/// The models dir if `model` is installed there; `None` (after printing why) otherwise.
fn setup(model: &str) -> Option<(PathBuf, MutexGuard<'static, ()>)> {
    THREADS.call_once(|| {
        if std::env::var_os("RAYON_NUM_THREADS").is_none() {
            // SAFETY: set before any candle call in this process (candle reads it once, at
            // first use, under this Once) and no foreign code reads the environment concurrently.
            unsafe { std::env::set_var("RAYON_NUM_THREADS", "1") };
        }
    });
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = models_dir(None).ok()?;
    let present = list(&dir).into_iter().any(|m| m.name == model && m.present);
    if !present {
        eprintln!(
            "SKIPPED: {model} is not installed in {} (run `byzvote models fetch` or set BYZVOTE_MODELS_DIR)",
            dir.display()
        );
        return None;
    }
    Some((dir, guard))
}

fn load(spec: &ModelSpec) -> Option<(BuiltinBackend, MutexGuard<'static, ()>)> {
    let (dir, guard) = setup(spec.name)?;
    let backend = BuiltinBackend::load(spec, &dir).unwrap();
    eprintln!("{} loaded in {:?}", spec.name, backend.load_time());
    Some((backend, guard))
}

#[tokio::test]
async fn qwen_answers_simple_arithmetic_and_reports_usage() {
    let Some((qwen, _g)) = load(&catalog::QWEN25_CODER) else {
        return;
    };
    assert_eq!(qwen.info().vendor, "alibaba");
    assert_eq!(qwen.info().price_out_per_1k, 0.0);
    let mut prompt = Prompt::user("What is 2+2? Answer with a number only.");
    prompt.max_tokens = 16;
    let c = qwen.complete(&prompt).await.unwrap();
    eprintln!("qwen: {:?} {:?} {:?}", c.text, c.usage, c.confidence);
    assert!(c.text.contains('4'), "{:?}", c.text);
    // A one-token arithmetic answer: the model is sure of it.
    let confidence = c
        .confidence
        .expect("the built-in models report a confidence");
    assert!((0.5..=1.0).contains(&confidence), "{confidence}");
    assert!(c.usage.prompt_tokens > 10, "{:?}", c.usage);
    assert!(
        (1..=16).contains(&c.usage.completion_tokens),
        "{:?}",
        c.usage
    );
}

#[tokio::test]
async fn greedy_decoding_is_deterministic_and_respects_the_token_limit() {
    let Some((smol, _g)) = load(&catalog::SMOLLM2) else {
        return;
    };
    let mut prompt = Prompt::user("Name three colours.");
    prompt.max_tokens = 24;
    let a = smol.complete(&prompt).await.unwrap();
    let b = smol.complete(&prompt).await.unwrap();
    eprintln!("smollm2: {:?} {:?}", a.text, a.confidence);
    assert_eq!(a.text, b.text);
    assert_eq!(a.confidence, b.confidence);
    assert!(a.confidence.is_some_and(|c| c > 0.0 && c <= 1.0));
    assert!(!a.text.is_empty());
    prompt.max_tokens = 3;
    let short = smol.complete(&prompt).await.unwrap();
    assert!(short.usage.completion_tokens <= 3, "{:?}", short.usage);
}

#[tokio::test]
async fn concurrent_requests_queue_on_one_model_and_all_answer() {
    let Some((smol, _g)) = load(&catalog::SMOLLM2) else {
        return;
    };
    let smol = std::sync::Arc::new(smol);
    let mut prompt = Prompt::user("Say hello.");
    prompt.max_tokens = 8;
    let (a, b) = tokio::join!(smol.complete(&prompt), smol.complete(&prompt));
    assert_eq!(a.unwrap().text, b.unwrap().text);
}

#[tokio::test]
async fn gemma_base_model_completes_a_factual_question() {
    let Some((gemma, _g)) = load(&catalog::GEMMA3) else {
        return;
    };
    assert_eq!(gemma.info().vendor, "google");
    let mut prompt = Prompt::user("What is the capital of France?");
    prompt.max_tokens = 16;
    let c = gemma.complete(&prompt).await.unwrap();
    eprintln!("gemma: {:?} {:?}", c.text, c.usage);
    assert!(c.text.contains("Paris"), "{:?}", c.text);
    assert!(
        !c.text.contains("Question:"),
        "the stop string must cut the next question: {:?}",
        c.text
    );
}

#[test]
fn minilm_separates_paraphrases_from_unrelated_text_and_matches_the_reference() {
    let Some((dir, _g)) = setup(catalog::MINILM.name) else {
        return;
    };
    let e = MiniLm::load(&dir).unwrap();
    let texts = [
        "17 is a prime number.",
        "17 is not a prime number.",
        "The cat sat on the mat.",
        "A cat was sitting on the mat.",
        "Stock markets fell sharply on Monday.",
    ];
    let v = e.embed(&texts).unwrap();
    assert_eq!(v.len(), 5);
    assert!(v.iter().all(|x| x.len() == 384));
    for x in &v {
        let norm: f32 = x.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    }
    let prime = cosine(&v[0], &v[1]);
    let para = cosine(&v[2], &v[3]);
    let unrelated = cosine(&v[2], &v[4]);
    eprintln!("prime/not prime {prime:.4}  paraphrase {para:.4}  unrelated {unrelated:.4}");
    assert!((prime - 0.96).abs() < 1e-2, "{prime}");
    assert!(para > unrelated + 0.3, "{para} vs {unrelated}");
    // Padding must not change a text's vector: batch and alone agree.
    let alone = e.embed(&[texts[4]]).unwrap();
    assert!(cosine(&alone[0], &v[4]) > 0.99999);
    let yes_no = e.embed(&["Yes", "No"]).unwrap();
    let yn = cosine(&yes_no[0], &yes_no[1]);
    assert!((yn - 0.73).abs() < 2e-2, "{yn}");
}

#[tokio::test]
async fn sampling_with_a_seed_is_reproducible() {
    let Some((smol, _g)) = load(&catalog::SMOLLM2) else {
        return;
    };
    let mut prompt = Prompt::user("Write one sentence about the sea.");
    prompt.max_tokens = 16;
    prompt.deterministic = false;
    prompt.seed = 7;
    let a = smol.complete(&prompt).await.unwrap();
    let b = smol.complete(&prompt).await.unwrap();
    assert_eq!(a.text, b.text, "same seed, same sample");
}

#[test]
fn the_default_cluster_has_four_backends_and_names_its_repeated_vendor() {
    let Some((dir, _g)) = setup(catalog::GEMMA3.name) else {
        return;
    };
    if !list(&dir).iter().all(|m| m.present) {
        eprintln!(
            "SKIPPED: not every built-in model is installed in {}",
            dir.display()
        );
        return;
    }
    let backends = byzvote_builtin::default_backends(&dir).unwrap();
    let vendors: Vec<&str> = backends.iter().map(|b| b.info().vendor.as_str()).collect();
    assert_eq!(
        vendors,
        [
            "alibaba",
            "google",
            "huggingface",
            byzvote_builtin::REPEATED_VENDOR
        ]
    );
    let mut names: Vec<&str> = backends.iter().map(|b| b.info().name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        4,
        "coordinators need distinct names: {names:?}"
    );
}

/// Compares candle's MiniLM with an independent numpy BERT (`testdata/minilm_reference.py`,
/// own WordPiece tokenizer, float64), in one padded batch and one text at a time.
#[test]
fn minilm_matches_the_numpy_reference() {
    let Some((dir, _g)) = setup(catalog::MINILM.name) else {
        return;
    };
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/minilm_reference.json"
    );
    let reference: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let texts: Vec<&str> = reference
        .iter()
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    let want: Vec<Vec<f32>> = reference
        .iter()
        .map(|r| {
            r["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect()
        })
        .collect();
    let e = MiniLm::load(&dir).unwrap();
    let batch = e.embed(&texts).unwrap();
    let mut worst = 0f32;
    for (i, text) in texts.iter().enumerate() {
        let alone = e.embed(&[text]).unwrap().remove(0);
        for (label, got) in [("batch", &batch[i]), ("alone", &alone)] {
            let max = got
                .iter()
                .zip(&want[i])
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(max < 1e-5, "{label} {text:?}: max |diff| {max}");
            worst = worst.max(max);
        }
    }
    eprintln!("largest difference from the numpy reference: {worst:e}");
}

/// The packed engine (the default) against candle's padded BERT (the previous implementation):
/// a batch of very different lengths, every component within 1e-5, and the measured
/// cosines ("17 is prime"/"not prime" 0.96, "Yes"/"No" 0.73) within 2e-2 and within 1e-3 of the
/// padded engine's.
#[test]
fn minilm_packed_engine_matches_the_padded_baseline() {
    let Some((dir, _g)) = setup(catalog::MINILM.name) else {
        return;
    };
    let texts = [
        "Yes",
        "17 is a prime number.",
        "17 is not a prime number.",
        "A verbal agreement can be a legally binding contract, although it is harder to prove, \
         and many jurisdictions require certain contracts, such as those for the sale of land, \
         to be in writing.",
        "No",
    ];
    let packed = MiniLm::load_with(&dir, byzvote_builtin::Engine::Packed).unwrap();
    let padded = MiniLm::load_with(&dir, byzvote_builtin::Engine::Padded).unwrap();
    let (a, b) = (packed.embed(&texts).unwrap(), padded.embed(&texts).unwrap());
    let worst = a
        .iter()
        .flatten()
        .zip(b.iter().flatten())
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    eprintln!("packed vs padded: max |diff| {worst:e}");
    assert!(worst < 1e-5, "{worst}");
    for (i, j, want) in [(1, 2, 0.96f32), (0, 4, 0.73)] {
        let got = cosine(&a[i], &a[j]);
        assert!(
            (got - want).abs() < 2e-2,
            "{:?} / {:?}: {got}",
            texts[i],
            texts[j]
        );
        assert!((got - cosine(&b[i], &b[j])).abs() < 1e-3);
    }
}
