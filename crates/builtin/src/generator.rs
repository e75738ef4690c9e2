//! Running one generative model: load the GGUF, tokenize, decode token by token, stop.
//!
//! A [`Generator`] is single-threaded and stateful (the KV cache lives in the weights); the
//! backend gives each one its own thread and feeds it one request at a time.

use std::path::Path;

use byzvote_models::Message;
use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use candle_transformers::models::{quantized_llama, quantized_qwen2};

use crate::catalog::{Arch, ModelSpec};
use crate::error::BuiltinError;
use crate::gemma3::Gemma3;
use crate::prompt::PromptStyle;
use crate::store::require;
use crate::tokenizer::TextTokenizer;

/// Positions the generators support (prompt plus answer). candle's llama tables stop at 4096;
/// Gemma's are capped here (see `gemma3`).
pub const CONTEXT: usize = 4096;

/// Repeat penalty for base models and the window of recent tokens it looks at.
const REPEAT_PENALTY: f32 = 1.1;
const REPEAT_WINDOW: usize = 64;

enum Net {
    Llama(quantized_llama::ModelWeights),
    Qwen2(quantized_qwen2::ModelWeights),
    Gemma3(Gemma3),
}

impl Net {
    fn forward(&mut self, x: &Tensor, pos: usize) -> candle_core::Result<Tensor> {
        match self {
            Self::Llama(m) => m.forward(x, pos),
            Self::Qwen2(m) => m.forward(x, pos),
            Self::Gemma3(m) => m.forward(x, pos),
        }
    }
}

/// What one generation produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    pub text: String,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    /// The geometric mean of the chosen tokens' probabilities (under the logits the token was
    /// picked from), in [0, 1]: how sure the model was of its own answer, token by token.
    /// `None` when it generated nothing.
    pub confidence: Option<f32>,
}

/// A loaded generative model.
pub struct Generator {
    name: &'static str,
    net: Net,
    tokenizer: TextTokenizer,
    style: PromptStyle,
    bos: Option<u32>,
    stop_ids: Vec<u32>,
}

impl Generator {
    /// Load `spec`'s weights from `dir` (they must have been fetched).
    pub fn load(spec: &ModelSpec, dir: &Path) -> Result<Self, BuiltinError> {
        let name = spec.name;
        let size = spec
            .requantized
            .map_or_else(|| spec.artifacts.first().map_or(0, |a| a.size), |r| r.size);
        let path = require(dir, name, spec.weights_file(), size)?;
        let merr = BuiltinError::model(name);
        let mut file = std::io::BufReader::new(
            std::fs::File::open(&path).map_err(BuiltinError::io("cannot open", &path))?,
        );
        let ct = gguf_file::Content::read(&mut file).map_err(merr)?;
        let tokenizer = TextTokenizer::from_gguf(&ct, spec.arch).map_err(|message| {
            BuiltinError::Tokenizer {
                model: name.into(),
                message,
            }
        })?;
        let dev = Device::Cpu;
        let merr = BuiltinError::model(name);
        let (net, style) = match spec.arch {
            Arch::Llama => (
                Net::Llama(
                    quantized_llama::ModelWeights::from_gguf(ct, &mut file, &dev).map_err(merr)?,
                ),
                PromptStyle::ChatMl,
            ),
            Arch::Qwen2 => (
                Net::Qwen2(
                    quantized_qwen2::ModelWeights::from_gguf(ct, &mut file, &dev).map_err(merr)?,
                ),
                PromptStyle::ChatMl,
            ),
            Arch::Gemma3 => (
                Net::Gemma3(Gemma3::from_gguf(&ct, &mut file, CONTEXT, &dev).map_err(merr)?),
                PromptStyle::Completion,
            ),
            Arch::Bert => {
                return Err(BuiltinError::Model {
                    model: name.into(),
                    message: "an embedder cannot generate text".into(),
                });
            }
        };
        let stop_ids = style
            .stop_tokens()
            .iter()
            .filter_map(|t| tokenizer.token_id(t))
            .collect();
        let bos = match style {
            PromptStyle::Completion => tokenizer.token_id("<bos>"),
            PromptStyle::ChatMl => None,
        };
        Ok(Self {
            name,
            net,
            tokenizer,
            style,
            bos,
            stop_ids,
        })
    }

    /// Generate an answer to `messages`: at most `max_tokens` tokens, greedy when `seed` is
    /// `None` (deterministic), else sampled at temperature 0.7 from `seed`.
    pub fn generate(
        &mut self,
        messages: &[Message],
        max_tokens: u32,
        seed: Option<u64>,
    ) -> Result<Generated, BuiltinError> {
        let text = self.style.render(messages);
        self.generate_raw(&text, max_tokens, seed)
    }

    /// Like [`Self::generate`] on an already rendered prompt (BOS is still added when the
    /// model wants one). For experiments with prompt formats.
    pub fn generate_raw(
        &mut self,
        text: &str,
        max_tokens: u32,
        seed: Option<u64>,
    ) -> Result<Generated, BuiltinError> {
        let name = self.name;
        let terr = |message: String| BuiltinError::Tokenizer {
            model: name.into(),
            message,
        };
        let merr = BuiltinError::model(name);
        let mut prompt: Vec<u32> = self.bos.into_iter().collect();
        prompt.extend(self.tokenizer.encode(text).map_err(terr)?);
        let room = CONTEXT.saturating_sub(prompt.len());
        if room < 2 {
            return Err(BuiltinError::Model {
                model: name.into(),
                message: format!(
                    "the prompt has {} tokens; this model takes at most {CONTEXT}",
                    prompt.len()
                ),
            });
        }
        let max_new = (max_tokens as usize).min(room - 1);
        let sampling = match seed {
            None => Sampling::ArgMax,
            Some(_) => Sampling::All { temperature: 0.7 },
        };
        let mut logits_proc = LogitsProcessor::from_sampling(seed.unwrap_or(0), sampling);
        let mut out: Vec<u32> = Vec::new();
        let mut input = prompt.clone();
        let mut pos = 0;
        let mut answer = String::new();
        let mut log_prob_sum = 0f64;
        while out.len() < max_new {
            let x = Tensor::new(input.as_slice(), &Device::Cpu)
                .and_then(|t| t.unsqueeze(0))
                .map_err(merr)?;
            let logits = self.net.forward(&x, pos).map_err(merr)?;
            let mut logits = logits.squeeze(0).map_err(merr)?;
            if self.style == PromptStyle::Completion && !out.is_empty() {
                // Greedy decoding of a base model falls into loops ("very, very, very, ...");
                // a mild penalty on recent tokens, as llama.cpp applies, keeps it
                // deterministic and readable.
                let recent = &out[out.len().saturating_sub(REPEAT_WINDOW)..];
                logits = candle_transformers::utils::apply_repeat_penalty(
                    &logits,
                    REPEAT_PENALTY,
                    recent,
                )
                .map_err(merr)?;
            }
            let next = logits_proc.sample(&logits).map_err(merr)?;
            pos += input.len();
            if self.stop_ids.contains(&next) {
                break;
            }
            log_prob_sum += f64::from(log_prob(&logits, next).map_err(merr)?);
            out.push(next);
            input = vec![next];
            answer = self.tokenizer.decode(&out).map_err(terr)?;
            if let Some(cut) = self.stop_cut(&answer) {
                answer.truncate(cut);
                break;
            }
        }
        let confidence = (!out.is_empty())
            .then(|| (log_prob_sum / out.len() as f64).exp().clamp(0.0, 1.0) as f32);
        Ok(Generated {
            text: answer.trim().to_string(),
            prompt_tokens: u32::try_from(prompt.len()).unwrap_or(u32::MAX),
            completion_tokens: u32::try_from(out.len()).unwrap_or(u32::MAX),
            confidence,
        })
    }

    /// Where the answer ends, if a stop string has appeared after some non-blank text.
    fn stop_cut(&self, answer: &str) -> Option<usize> {
        let start = answer.len() - answer.trim_start().len();
        self.style
            .stop_strings()
            .iter()
            .filter_map(|s| {
                answer[start..]
                    .find(s)
                    .filter(|&i| i > 0)
                    .map(|i| i + start)
            })
            .min()
    }
}

/// `log softmax(logits)[token]`, computed stably (max-shifted log-sum-exp).
fn log_prob(logits: &Tensor, token: u32) -> candle_core::Result<f32> {
    let v: Vec<f32> = logits.to_dtype(candle_core::DType::F32)?.to_vec1()?;
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = v.iter().map(|x| (x - max).exp()).sum();
    let chosen = v.get(token as usize).copied().unwrap_or(f32::NEG_INFINITY);
    Ok(chosen - max - sum.ln())
}

#[cfg(test)]
mod log_prob_tests {
    use super::*;

    #[test]
    fn log_prob_is_the_log_softmax() {
        let logits = Tensor::new(&[1.0f32, 2.0, 3.0], &Device::Cpu).unwrap();
        let z: f32 = [1.0f32, 2.0, 3.0].iter().map(|x| x.exp()).sum();
        for t in 0..3u32 {
            let want = ((t + 1) as f32).exp() / z;
            let got = log_prob(&logits, t).unwrap().exp();
            assert!((got - want).abs() < 1e-6, "{t}: {got} vs {want}");
        }
        // Large logits do not overflow.
        let big = Tensor::new(&[1000.0f32, 1000.0], &Device::Cpu).unwrap();
        assert!((log_prob(&big, 0).unwrap().exp() - 0.5).abs() < 1e-6);
    }
}
