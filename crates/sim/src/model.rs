//! The simulated model behind each member: answers by [`Behaviour::answer`], on the
//! runtime's clock.
//!
//! Prompts are [`crate::scenario::prompt`]s, whose true answer is known, so the simulation
//! knows what every honest member gives. This is the sim's own backend rather than
//! `byzvote_models::Scripted` so that linking the simulation into the `byzvote` binary does
//! not switch on the models crate's `testing` feature.

use crate::behaviour::Behaviour;
use byzvote_models::{BackendInfo, Completion, ModelBackend, ModelError, Prompt, Role, Usage};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Sleeps on the simulation's clock.
pub type Sleeper = Box<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// One member's model.
pub struct SimModel {
    info: BackendInfo,
    member: u32,
    behaviour: Behaviour,
    sleep: Sleeper,
}

impl SimModel {
    pub fn new(member: u32, behaviour: Behaviour, sleep: Sleeper) -> Self {
        let name = format!("sim-{member}");
        Self {
            info: BackendInfo {
                name: name.clone(),
                vendor: name,
                family: "sim".into(),
                price_in_per_1k: 0.0,
                price_out_per_1k: 0.0,
            },
            member,
            behaviour,
            sleep,
        }
    }
}

fn last_user_message(prompt: &Prompt) -> &str {
    prompt
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map_or("", |m| m.content.as_str())
}

#[async_trait::async_trait]
impl ModelBackend for SimModel {
    fn info(&self) -> &BackendInfo {
        &self.info
    }

    async fn complete(&self, prompt: &Prompt) -> Result<Completion, ModelError> {
        let question = last_user_message(prompt);
        let truth = crate::scenario::truth(question).ok_or_else(|| {
            ModelError::BadResponse(format!("not a simulation prompt: {question:?}"))
        })?;
        let delay = match &self.behaviour {
            Behaviour::Slow { delay } => *delay,
            _ => Duration::ZERO,
        };
        if !delay.is_zero() {
            (self.sleep)(delay).await;
        }
        let Some(text) = self.behaviour.answer(self.member, question, &truth) else {
            return std::future::pending().await;
        };
        Ok(Completion {
            usage: Usage {
                prompt_tokens: 8,
                completion_tokens: 1,
            },
            text,
            model: self.info.name.clone(),
            latency: delay,
            confidence: None,
        })
    }
}
