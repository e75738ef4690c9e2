//! byzvote-aggregate
