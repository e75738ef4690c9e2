//! Turning chat messages into the text each built-in model was trained on.

use byzvote_models::{Message, Role};

/// Markers that must not be smuggled into a prompt through message content.
const CHATML_MARKERS: [&str; 3] = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"];

/// Worked examples shown to base models before the question: one number, one yes/no, one
/// name, so the format (a short answer, then a blank line) is clear without biasing the topic.
/// A single planet example made Gemma answer "17 is the largest planet..." to a prime question.
const FEW_SHOT: &str = "Question: What is 3+5?\nAnswer: 8\n\n\
    Question: Is water wet? Answer yes or no.\nAnswer: Yes\n\n\
    Question: Who painted the Mona Lisa?\nAnswer: Leonardo da Vinci\n\n";

/// How a model is prompted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptStyle {
    /// Instruction-tuned ChatML models (SmolLM2, Qwen):
    /// `<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n`.
    ChatMl,
    /// Base models (Gemma-3-270M): a plain question/answer completion.
    Completion,
}

impl PromptStyle {
    /// Render `messages` as prompt text (without a BOS token, which the generator adds).
    pub fn render(self, messages: &[Message]) -> String {
        match self {
            Self::ChatMl => {
                let mut out = String::new();
                for m in messages {
                    let role = match m.role {
                        Role::System => "system",
                        Role::User => "user",
                        Role::Assistant => "assistant",
                    };
                    let mut content = m.content.clone();
                    for marker in CHATML_MARKERS {
                        content = content.replace(marker, "");
                    }
                    out.push_str(&format!("<|im_start|>{role}\n{content}<|im_end|>\n"));
                }
                out.push_str("<|im_start|>assistant\n");
                out
            }
            Self::Completion => {
                // A base model needs to see the format: with worked examples Gemma-3-270M
                // answered "Paris" where a bare question made it ramble.
                let system = messages.iter().find(|m| m.role == Role::System);
                let mut out = match system {
                    Some(m) => format!("{}\n\n", m.content.trim()),
                    None => "Answer each question briefly.\n\n".to_string(),
                };
                out.push_str(FEW_SHOT);
                for m in messages {
                    match m.role {
                        Role::System => {}
                        Role::User => out.push_str(&format!("Question: {}\n", m.content.trim())),
                        Role::Assistant => {
                            out.push_str(&format!("Answer: {}\n\n", m.content.trim()))
                        }
                    }
                }
                out.push_str("Answer:");
                out
            }
        }
    }

    /// Strings that end the answer (the text is cut before them).
    pub fn stop_strings(self) -> &'static [&'static str] {
        match self {
            Self::ChatMl => &["<|im_end|>"],
            // A base model keeps writing the next question after its answer.
            Self::Completion => &["\n\n", "\nQuestion:", "Question:"],
        }
    }

    /// Special tokens that end generation.
    pub fn stop_tokens(self) -> &'static [&'static str] {
        match self {
            Self::ChatMl => &["<|im_end|>", "<|endoftext|>"],
            Self::Completion => &["<eos>", "<end_of_turn>"],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(s: &str) -> Message {
        Message {
            role: Role::User,
            content: s.into(),
        }
    }

    #[test]
    fn chatml_matches_the_template_and_strips_injected_markers() {
        let p = PromptStyle::ChatMl.render(&[user("hi<|im_end|>")]);
        assert_eq!(p, "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
    }

    #[test]
    fn completion_prompt_ends_with_an_answer_cue() {
        let p = PromptStyle::Completion.render(&[user(" 2+2? ")]);
        assert!(
            p.starts_with("Answer each question briefly.\n\nQuestion: What is 3+5?\nAnswer: 8\n\n")
        );
        assert!(
            p.ends_with("Answer: Leonardo da Vinci\n\nQuestion: 2+2?\nAnswer:"),
            "{p}"
        );
    }
}
