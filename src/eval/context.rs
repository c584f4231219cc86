//! The evaluation context as targeting reads it: JSON whose text is borrowed from the request where
//! it has no escapes, so a batch line is read without a copy of every key and string.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// One JSON value of a context.
#[derive(Debug, Clone, PartialEq)]
pub enum Attr<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Attr<'a>>),
    Object(Context<'a>),
}

/// A JSON object of a context, keys in the order written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Context<'a>(Vec<(Cow<'a, str>, Attr<'a>)>);

impl<'a> Context<'a> {
    /// The value of `key`: the last one written, as `JSON.parse` (and `serde_json`) keep it.
    pub fn get(&self, key: &str) -> Option<&Attr<'a>> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each key and its value, in the order written.
    pub fn iter(&self) -> impl Iterator<Item = &(Cow<'a, str>, Attr<'a>)> {
        self.0.iter()
    }

    pub fn from_pairs(pairs: Vec<(Cow<'a, str>, Attr<'a>)>) -> Context<'a> {
        Context(pairs)
    }
}

impl<'a> From<&'a Map<String, Value>> for Context<'a> {
    fn from(map: &'a Map<String, Value>) -> Context<'a> {
        Context(
            map.iter()
                .map(|(k, v)| (Cow::Borrowed(k.as_str()), Attr::from(v)))
                .collect(),
        )
    }
}

impl<'a> From<&'a Value> for Attr<'a> {
    fn from(value: &'a Value) -> Attr<'a> {
        match value {
            Value::Null => Attr::Null,
            Value::Bool(b) => Attr::Bool(*b),
            Value::Number(n) => Attr::Number(n.clone()),
            Value::String(s) => Attr::String(Cow::Borrowed(s)),
            Value::Array(items) => Attr::Array(items.iter().map(Attr::from).collect()),
            Value::Object(map) => Attr::Object(Context::from(map)),
        }
    }
}

impl Attr<'_> {
    /// The value as `serde_json` holds it (an object's keys sorted, the last of a repeated key).
    pub fn to_value(&self) -> Value {
        match self {
            Attr::Null => Value::Null,
            Attr::Bool(b) => Value::Bool(*b),
            Attr::Number(n) => Value::Number(n.clone()),
            Attr::String(s) => Value::String(s.clone().into_owned()),
            Attr::Array(items) => Value::Array(items.iter().map(Attr::to_value).collect()),
            Attr::Object(Context(pairs)) => Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.clone().into_owned(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// What the value is, in words (`a string`), for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Attr::Null => "null",
            Attr::Bool(_) => "a boolean",
            Attr::Number(_) => "a number",
            Attr::String(_) => "a string",
            Attr::Array(_) => "an array",
            Attr::Object(_) => "an object",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Attr::Null)
    }
}

/// As `serde_json` shows the same value (compact JSON).
impl fmt::Display for Attr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_value().fmt(f)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Attr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AttrVisitor(PhantomData))
    }
}

/// Reads values as `serde_json::Value` reads them (a non-finite float is `null`), borrowing text.
struct AttrVisitor<'a>(PhantomData<Attr<'a>>);

impl<'de: 'a, 'a> Visitor<'de> for AttrVisitor<'a> {
    type Value = Attr<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Attr<'a>, E> {
        Ok(Attr::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Attr<'a>, E> {
        Ok(Attr::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Attr<'a>, E> {
        Ok(Attr::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Attr<'a>, E> {
        Ok(Number::from_f64(n).map_or(Attr::Null, Attr::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Attr<'a>, E> {
        Ok(Attr::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Attr<'a>, E> {
        Ok(Attr::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Attr<'a>, E> {
        Ok(Attr::String(Cow::Owned(s)))
    }

    fn visit_none<E>(self) -> Result<Attr<'a>, E> {
        Ok(Attr::Null)
    }

    fn visit_unit<E>(self) -> Result<Attr<'a>, E> {
        Ok(Attr::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Attr<'a>, D::Error> {
        Attr::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Attr<'a>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Attr::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attr<'a>, A::Error> {
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some((Key(key), value)) = map.next_entry()? {
            pairs.push((key, value));
        }
        Ok(Attr::Object(Context(pairs)))
    }
}

/// An object key, borrowed where it has no escapes (`Cow<str>`'s own `Deserialize` always copies).
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor<'a>(PhantomData<Key<'a>>);
        impl<'de: 'a, 'a> Visitor<'de> for KeyVisitor<'a> {
            type Value = Key<'a>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }

            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }

            fn visit_str<E>(self, s: &str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }

            fn visit_string<E>(self, s: String) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(KeyVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read from text, a context holds what `serde_json::Value` holds: numbers, escapes, nesting,
    /// and the last of a repeated key.
    #[test]
    fn contexts_read_as_serde_json_reads_them() {
        for text in [
            r#"{"targetingKey":"u-1","n":7,"f":4.10,"neg":-3,"big":18446744073709551615}"#,
            r#"{"esc":"a\"b\\c\u00e9\n","nested":{"a":[1,null,true,{"b":"x"}]},"a":1,"a":2}"#,
            r#"{"e":1e300,"z":[],"o":{}}"#,
        ] {
            let ours: Attr = serde_json::from_str(text).expect("reads");
            let theirs: Value = serde_json::from_str(text).expect("reads");
            assert_eq!(ours.to_value(), theirs, "{text}");
            assert_eq!(ours.to_string(), theirs.to_string());
        }
        let Ok(Attr::Object(context)) = serde_json::from_str(r#"{"a":1,"b":"x","a":"last"}"#)
        else {
            panic!("an object reads as one");
        };
        assert_eq!(context.get("a"), Some(&Attr::String(Cow::Borrowed("last"))));
        assert_eq!(context.get("c"), None);
    }
}
