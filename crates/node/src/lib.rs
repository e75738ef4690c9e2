//! byzvote-node
