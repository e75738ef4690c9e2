//! byzvote-builtin
