//! byzvote-dkg
