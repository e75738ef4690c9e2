//! byzvote-core
