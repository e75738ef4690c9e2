//! The `tier` field: a fixed tier (1 to 5) or `auto` (the router chooses, DESIGN.md §3).

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use std::{fmt, str::FromStr};

/// What the client asked for: one tier, or the router's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierChoice {
    /// This tier, 1 to 5 (checked by [`VoteRequest::validate`](super::VoteRequest::validate)).
    Fixed(u8),
    /// The router picks from importance, the risk rules, the budget and the cluster size, and
    /// escalates one tier after a split (bounded by the cluster).
    Auto,
}

impl Default for TierChoice {
    /// Tier 3: a committee of 4 tolerating 1 faulty coordinator.
    fn default() -> Self {
        TierChoice::Fixed(3)
    }
}

impl fmt::Display for TierChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TierChoice::Fixed(t) => write!(f, "{t}"),
            TierChoice::Auto => f.write_str("auto"),
        }
    }
}

impl FromStr for TierChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "auto" => Ok(TierChoice::Auto),
            t => t
                .parse()
                .map(TierChoice::Fixed)
                .map_err(|_| format!("a tier is a number from 1 to 5 or `auto`, got {s:?}")),
        }
    }
}

impl Serialize for TierChoice {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TierChoice::Fixed(t) => s.serialize_u8(*t),
            TierChoice::Auto => s.serialize_str("auto"),
        }
    }
}

impl<'de> Deserialize<'de> for TierChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = TierChoice;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a tier from 1 to 5, or \"auto\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TierChoice, E> {
                u8::try_from(v)
                    .map(TierChoice::Fixed)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TierChoice, E> {
                Err(E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TierChoice, E> {
                match v {
                    "auto" => Ok(TierChoice::Auto),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_auto_round_trip() {
        for (json, tier) in [("3", TierChoice::Fixed(3)), ("\"auto\"", TierChoice::Auto)] {
            let parsed: TierChoice = serde_json::from_str(json).unwrap();
            assert_eq!(parsed, tier);
            assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
        }
        for bad in ["\"three\"", "300", "-1", "1.5", "null"] {
            let e = serde_json::from_str::<TierChoice>(bad).unwrap_err();
            assert!(e.to_string().contains("1 to 5"), "{bad}: {e}");
        }
        assert_eq!("auto".parse(), Ok(TierChoice::Auto));
        assert_eq!("4".parse(), Ok(TierChoice::Fixed(4)));
        assert!("x".parse::<TierChoice>().is_err());
    }
}
