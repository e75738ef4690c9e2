//! How a [`Prompt`] is written to a local program's stdin; see [`render_text`].

use crate::{Message, Prompt, Role};

/// Renders messages for a command backend with `input = "text"` (the default).
///
/// A prompt that is exactly one user message is written verbatim, so that any program
/// that reads a question on stdin works unchanged (`ollama run`, `llm`, a shell script).
/// Any other prompt is written as blocks, each a header line `### <role>` (`system`,
/// `user` or `assistant`), the message's text, and a blank line; unless the last
/// message is the assistant's own (a prefill), the text ends with `### assistant\n`,
/// the cue to answer:
///
/// ```text
/// ### system
/// Answer with one word.
///
/// ### user
/// Is 17 prime?
///
/// ### assistant
/// ```
///
/// With `input = "json"` the program gets instead one line, `{"messages":[{"role":"user","content":"…"}],"max_tokens":256,
/// "deterministic":true,"seed":0}`, then a newline: for wrappers that need the roles
/// or the generation settings exactly.
pub fn render_text(messages: &[Message]) -> String {
    if let [
        Message {
            role: Role::User,
            content,
        },
    ] = messages
    {
        return content.clone();
    }
    let mut text = String::new();
    for message in messages {
        text.push_str("### ");
        text.push_str(role_name(message.role));
        text.push('\n');
        text.push_str(&message.content);
        text.push_str("\n\n");
    }
    if messages.last().is_none_or(|m| m.role != Role::Assistant) {
        text.push_str("### assistant\n");
    }
    text
}

/// The `input = "json"` line described at [`render_text`].
pub(crate) fn render_json(prompt: &Prompt) -> String {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        messages: &'a [Message],
        max_tokens: u32,
        deterministic: bool,
        seed: u64,
    }
    let line = Line {
        messages: &prompt.messages,
        max_tokens: prompt.max_tokens,
        deterministic: prompt.deterministic,
        seed: prompt.seed,
    };
    // Serializing plain strings and integers cannot fail.
    let mut text = serde_json::to_string(&line).unwrap_or_default();
    text.push('\n');
    text
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: Role, content: &str) -> Message {
        Message {
            role,
            content: content.to_string(),
        }
    }

    #[test]
    fn single_user_message_is_verbatim() {
        assert_eq!(
            render_text(&[msg(Role::User, "Is 17 prime?\n")]),
            "Is 17 prime?\n"
        );
    }

    #[test]
    fn conversation_has_role_headers_and_cue() {
        let text = render_text(&[
            msg(Role::System, "One word."),
            msg(Role::User, "Is 17 prime?"),
        ]);
        assert_eq!(
            text,
            "### system\nOne word.\n\n### user\nIs 17 prime?\n\n### assistant\n"
        );
        let prefill = render_text(&[msg(Role::User, "Q"), msg(Role::Assistant, "A:")]);
        assert_eq!(prefill, "### user\nQ\n\n### assistant\nA:\n\n");
    }

    #[test]
    fn json_carries_settings() {
        let line = render_json(&Prompt::user("hi"));
        let expected = r#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":256,"deterministic":true,"seed":0}"#;
        assert_eq!(line, format!("{expected}\n"));
    }
}
