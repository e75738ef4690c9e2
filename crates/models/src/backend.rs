//! The trait every model implements.

use crate::{BackendInfo, Completion, ModelError, Prompt};

/// One AI model behind a coordinator.
///
/// Implementations must be cheap to share (`Arc<dyn ModelBackend>`) and safe to call
/// concurrently; a backend that can only run one inference at a time queues internally.
#[async_trait::async_trait]
pub trait ModelBackend: Send + Sync + 'static {
    /// Static facts about this backend.
    fn info(&self) -> &BackendInfo;

    /// Run the model on `prompt`.
    async fn complete(&self, prompt: &Prompt) -> Result<Completion, ModelError>;
}
