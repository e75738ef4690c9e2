//! A model wrapper that sanitises every output with the node's privacy rules before the
//! protocol canonicalises and commits to it: a model that leaks an identifier has it masked
//! before it becomes this member's vote.

use byzvote_core::privacy::Redactor;
use byzvote_models::{BackendInfo, Completion, ModelBackend, ModelError, Prompt};
use std::sync::Arc;

pub struct Sanitised {
    inner: Arc<dyn ModelBackend>,
    redactor: Redactor,
}

impl Sanitised {
    /// `inner` as is when there are no rules, else wrapped.
    pub fn wrap(inner: Arc<dyn ModelBackend>, redactor: Redactor) -> Arc<dyn ModelBackend> {
        if redactor.is_empty() {
            inner
        } else {
            Arc::new(Self { inner, redactor })
        }
    }
}

#[async_trait::async_trait]
impl ModelBackend for Sanitised {
    fn info(&self) -> &BackendInfo {
        self.inner.info()
    }

    async fn complete(&self, prompt: &Prompt) -> Result<Completion, ModelError> {
        let mut completion = self.inner.complete(prompt).await?;
        completion.text = self.redactor.sanitise(&completion.text);
        Ok(completion)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use byzvote_core::privacy::PrivacyRules;
    use byzvote_models::Scripted;

    #[test]
    fn outputs_are_masked_before_the_protocol_sees_them() {
        let rules = PrivacyRules {
            builtin: vec!["email".into()],
            ..Default::default()
        };
        let model = Sanitised::wrap(
            Arc::new(Scripted::constant("leaky", "Write to ceo@corp.example now")),
            Redactor::new(&rules).unwrap(),
        );
        let prompt = Prompt {
            messages: vec![],
            max_tokens: 8,
            deterministic: true,
            seed: 0,
        };
        let out = futures::executor::block_on(model.complete(&prompt)).unwrap();
        assert_eq!(out.text, "Write to [EMAIL] now");
    }
}
