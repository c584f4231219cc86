//! JavaScript's view of JSON values, as flagd's JSONLogic engine (`json-logic-engine` 5, run by
//! `@openfeature/flagd-core`) sees them: truthiness, `String(x)`, `Number(x)`, strict equality,
//! and the comparisons `<`, `<=`, `>`, `>=`, which coerce some mixed types and throw on others.
//!
//! flagctl answers what flagd answers on the exported file, so these follow that code, not a
//! cleaner idea of comparison: `"7" >= 5` holds, `null < 1` holds (a missing attribute is `null`,
//! and `null` is `0` to a number), and `"abc" >= 5` throws, which fails the whole evaluation.

use std::cmp::Ordering;

use std::borrow::Cow;

use serde_json::Value;

use super::context::Attr;

/// A comparison that JSONLogic refuses (it throws, and flagd answers with an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotComparable;

/// JavaScript's `String(value)`.
pub fn to_string(value: &Attr) -> String {
    let mut out = String::new();
    write_string(value, &mut out);
    out
}

/// `String(value)` without a copy where the value is a string already.
pub fn as_string<'v>(value: &'v Attr) -> Cow<'v, str> {
    match value {
        Attr::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(to_string(other)),
    }
}

/// Appends JavaScript's `String(value)` to `out`.
pub fn write_string(value: &Attr, out: &mut String) {
    match value {
        Attr::Null => out.push_str("null"),
        Attr::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Attr::Number(n) => out.push_str(&number_to_string(as_number(n))),
        Attr::String(s) => out.push_str(s),
        // `Array.prototype.join(",")`: null and undefined elements are empty.
        Attr::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !item.is_null() {
                    write_string(item, out);
                }
            }
        }
        Attr::Object(_) => out.push_str("[object Object]"),
    }
}

/// A JSON number as JavaScript holds it (`JSON.parse` reads every number as a double).
pub fn as_number(n: &serde_json::Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// `Number.prototype.toString()` (`String(4.10)` is `"4.1"`, `String(1e21)` is `"1e+21"`).
pub fn number_to_string(n: f64) -> String {
    ryu_js::Buffer::new().format(n).to_owned()
}

/// JavaScript truthiness as json-logic-engine's `truthy` judges it: empty arrays and empty plain
/// objects are false too.
pub fn truthy(value: &Attr) -> bool {
    match value {
        Attr::Null => false,
        Attr::Bool(b) => *b,
        Attr::Number(n) => {
            let n = as_number(n);
            n != 0.0 && !n.is_nan()
        }
        Attr::String(s) => !s.is_empty(),
        Attr::Array(items) => !items.is_empty(),
        Attr::Object(map) => !map.is_empty(),
    }
}

/// JavaScript's `a === b` of a context value and an operand: two arrays or objects are never the
/// same object.
pub fn strict_equals(a: &Attr, b: &Value) -> bool {
    match (a, b) {
        (Attr::Null, Value::Null) => true,
        (Attr::Bool(x), Value::Bool(y)) => x == y,
        (Attr::Number(x), Value::Number(y)) => as_number(x) == as_number(y),
        (Attr::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

/// A value as `Number(value)` reads it, for values that can be numbers without throwing.
fn to_number(value: &Attr) -> f64 {
    match value {
        Attr::Null => 0.0,
        Attr::Bool(b) => f64::from(u8::from(*b)),
        Attr::Number(n) => as_number(n),
        Attr::String(s) => string_to_number(s),
        // Not reached: json-logic-engine throws on objects before converting.
        Attr::Array(_) | Attr::Object(_) => f64::NAN,
    }
}

/// JavaScript's whitespace, which `Number("  7 ")` and `String.prototype.trim` remove.
pub fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{A}' | '\u{B}' | '\u{C}' | '\u{D}' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// JavaScript's `Number(string)`: surrounding whitespace ignored, empty is 0, decimal literals,
/// `Infinity`, and unsigned `0x`/`0o`/`0b` integers; anything else is NaN.
pub fn string_to_number(text: &str) -> f64 {
    let s = text.trim_matches(is_js_whitespace);
    if s.is_empty() {
        return 0.0;
    }
    let radix = match s.get(..2) {
        Some("0x" | "0X") => Some(16),
        Some("0o" | "0O") => Some(8),
        Some("0b" | "0B") => Some(2),
        _ => None,
    };
    if let Some(radix) = radix {
        let digits = &s[2..];
        if digits.is_empty() {
            return f64::NAN;
        }
        let mut n = 0.0f64;
        for c in digits.chars() {
            match c.to_digit(radix) {
                Some(d) => n = n * f64::from(radix) + f64::from(d),
                None => return f64::NAN,
            }
        }
        return n;
    }
    let (sign, unsigned) = match s.as_bytes()[0] {
        b'+' => (1.0, &s[1..]),
        b'-' => (-1.0, &s[1..]),
        _ => (1.0, s),
    };
    if unsigned == "Infinity" {
        return sign * f64::INFINITY;
    }
    if !is_decimal_literal(unsigned) {
        return f64::NAN;
    }
    unsigned.parse::<f64>().map_or(f64::NAN, |n| sign * n)
}

/// `digits [. digits] [e [+-] digits]`, or `. digits …`: what JavaScript reads as a decimal number
/// (Rust's parser also takes `inf` and `nan`, which JavaScript does not).
fn is_decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let whole = digits(&mut i);
    let mut fraction = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        fraction = digits(&mut i);
    }
    if whole == 0 && fraction == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// json-logic-engine's `precoerceNumber` followed by `+x`: objects and arrays that are truthy
/// throw, as does anything that is not a number.
fn coerced(value: &Attr) -> Result<f64, NotComparable> {
    if matches!(value, Attr::Array(_) | Attr::Object(_)) {
        return Err(NotComparable);
    }
    let n = to_number(value);
    if n.is_nan() {
        Err(NotComparable)
    } else {
        Ok(n)
    }
}

/// The relational operators JSONLogic offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl Relation {
    pub fn symbol(self) -> &'static str {
        match self {
            Relation::Lt => "<",
            Relation::Lte => "<=",
            Relation::Gt => ">",
            Relation::Gte => ">=",
        }
    }

    fn holds(self, ordering: Option<Ordering>) -> bool {
        match (self, ordering) {
            (_, None) => false,
            (Relation::Lt, Some(o)) => o == Ordering::Less,
            (Relation::Lte, Some(o)) => o != Ordering::Greater,
            (Relation::Gt, Some(o)) => o == Ordering::Greater,
            (Relation::Gte, Some(o)) => o != Ordering::Less,
        }
    }
}

/// `{"<": [a, b]}` (and the others) as json-logic-engine 5 compiles it: `a < compareCheck(b, a)`.
/// Two strings (or nulls) compare as JavaScript compares them; otherwise both sides must be
/// numbers or read as numbers, else the comparison throws.
pub fn compare(relation: Relation, a: &Attr, b: &Attr) -> Result<bool, NotComparable> {
    let stringish = |v: &Attr| matches!(v, Attr::String(_) | Attr::Null);
    if stringish(a) && stringish(b) {
        return Ok(relation.holds(loose_order(a, b)));
    }
    // compareCheck: the right side is coerced first (and throws unless the left is null, except
    // that an object always throws), then the left.
    if matches!(b, Attr::Array(_) | Attr::Object(_)) {
        return Err(NotComparable);
    }
    let right = coerced(b);
    if right.is_err() && !a.is_null() {
        return Err(NotComparable);
    }
    let left = coerced(a)?;
    let right = to_number(b);
    Ok(relation.holds(left.partial_cmp(&right)))
}

/// JavaScript's ordering of two primitives of which at least one is a string or null: strings
/// by UTF-16 code units, anything else as numbers (`null` is 0, a non-numeric string NaN).
fn loose_order(a: &Attr, b: &Attr) -> Option<Ordering> {
    match (a, b) {
        (Attr::String(x), Attr::String(y)) => Some(x.encode_utf16().cmp(y.encode_utf16())),
        _ => to_number(a).partial_cmp(&to_number(b)),
    }
}

/// Looks `path` up in `context` as a compiled `{"var": "a.b"}` does (`context?.a?.b ?? null`):
/// own properties of objects, indexes and `length` of arrays and strings; anything else is
/// `undefined`, which reads as `null`.
pub fn lookup<'v>(context: &'v Attr<'v>, path: &[String]) -> Lookup<'v> {
    let mut current = Lookup::Json(context);
    for key in path {
        current = match current {
            Lookup::Json(Attr::Object(map)) => match map.get(key) {
                Some(v) => Lookup::Json(v),
                None => Lookup::Missing,
            },
            Lookup::Json(Attr::Array(items)) => {
                if key == "length" {
                    Lookup::Number(items.len() as f64)
                } else {
                    match array_index(key).and_then(|i| items.get(i)) {
                        Some(v) => Lookup::Json(v),
                        None => Lookup::Missing,
                    }
                }
            }
            Lookup::Json(Attr::String(s)) => string_member(s, key),
            Lookup::Text(s) => string_member(&s, key),
            _ => Lookup::Missing,
        };
        if matches!(current, Lookup::Missing) {
            break;
        }
    }
    current
}

/// `text[key]`: its `length` in UTF-16 code units, or the code unit at an index, as a string.
fn string_member<'v>(text: &str, key: &str) -> Lookup<'v> {
    if key == "length" {
        return Lookup::Number(text.encode_utf16().count() as f64);
    }
    match array_index(key).and_then(|i| text.encode_utf16().nth(i)) {
        Some(unit) => Lookup::Text(String::from_utf16_lossy(&[unit])),
        None => Lookup::Missing,
    }
}

/// A canonical array index (`"0"`, `"12"`, not `"01"` or `"+1"`).
fn array_index(key: &str) -> Option<usize> {
    if key.is_empty() || (key.len() > 1 && key.starts_with('0')) {
        return None;
    }
    if !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse().ok()
}

/// What a path found: a JSON value of the context, or a value JavaScript made on the way.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<'v> {
    Json(&'v Attr<'v>),
    Number(f64),
    Text(String),
    Missing,
}

impl Lookup<'_> {
    /// The value as JSONLogic's `var` hands it on (`undefined` becomes `null`).
    pub fn to_value(&self) -> Cow<'_, Attr<'_>> {
        match self {
            Lookup::Json(v) => Cow::Borrowed(*v),
            Lookup::Number(n) => {
                Cow::Owned(serde_json::Number::from_f64(*n).map_or(Attr::Null, Attr::Number))
            }
            Lookup::Text(s) => Cow::Owned(Attr::String(Cow::Borrowed(s))),
            Lookup::Missing => Cow::Owned(Attr::Null),
        }
    }
}

/// json-logic-engine's `splitPath`: `.` separates, `\.` is a dot, `\\` a backslash.
pub fn split_path(path: &str) -> Vec<String> {
    let chars: Vec<char> = path.chars().collect();
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            match chars.get(i + 1) {
                Some(&next @ ('.' | '/')) => {
                    current.push(next);
                    i += 1;
                }
                Some('\\') => {
                    current.push('\\');
                    i += 1;
                }
                _ => current.push('\\'),
            }
        } else if c == '.' {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
        i += 1;
    }
    // "." is [""], not ["", ""]: one part per character at most (JavaScript counts UTF-16 units).
    if parts.len() != path.encode_utf16().count() {
        parts.push(current);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_read_as_numbers_as_javascript_reads_them() {
        for (text, n) in [
            ("7", 7.0),
            (" 7\n", 7.0),
            ("", 0.0),
            ("0x10", 16.0),
            ("1e3", 1000.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("-Infinity", f64::NEG_INFINITY),
        ] {
            assert_eq!(string_to_number(text), n, "{text:?}");
        }
        for text in ["abc", "inf", "nan", "1_0", "0x", "-0x10", "1e", "."] {
            assert!(string_to_number(text).is_nan(), "{text:?}");
        }
    }

    #[test]
    fn comparisons_follow_json_logic_engine() {
        let gte = |a: Value, b: Value| compare(Relation::Gte, &Attr::from(&a), &Attr::from(&b));
        assert_eq!(gte(json!("7"), json!(5)), Ok(true));
        assert_eq!(gte(json!(null), json!(0)), Ok(true));
        assert_eq!(gte(json!(null), json!(1)), Ok(false));
        assert_eq!(gte(json!(true), json!(1)), Ok(true));
        assert_eq!(gte(json!("abc"), json!(5)), Err(NotComparable));
        assert_eq!(gte(json!([7]), json!(5)), Err(NotComparable));
        assert_eq!(gte(json!({}), json!(5)), Err(NotComparable));
        // Two strings compare as text.
        assert_eq!(gte(json!("10"), json!("9")), Ok(false));
        assert_eq!(
            compare(Relation::Lt, &Attr::Null, &Attr::from(&json!("a"))),
            Ok(false)
        );
    }

    #[test]
    fn javascript_strings_of_values() {
        assert_eq!(to_string(&Attr::from(&json!(4.1))), "4.1");
        assert_eq!(to_string(&Attr::from(&json!(1e21))), "1e+21");
        assert_eq!(to_string(&Attr::from(&json!(42))), "42");
        assert_eq!(
            to_string(&Attr::from(&json!([1, null, [2, "a"]]))),
            "1,,2,a"
        );
        assert_eq!(to_string(&Attr::from(&json!({"a": 1}))), "[object Object]");
        assert_eq!(to_string(&Attr::from(&json!(null))), "null");
    }

    #[test]
    fn paths_split_and_look_up_like_var() {
        assert_eq!(split_path("a.b"), ["a", "b"]);
        assert_eq!(split_path("a\\.b"), ["a.b"]);
        assert_eq!(split_path("."), [""]);
        let ctx = json!({"user": {"tags": ["x", "y"], "name": "ann"}});
        let ctx = Attr::from(&ctx);
        let at = |p: &str| lookup(&ctx, &split_path(p)).to_value().to_value();
        assert_eq!(at("user.tags.1"), json!("y"));
        assert_eq!(at("user.tags.length"), json!(2.0));
        assert_eq!(at("user.name.0"), json!("a"));
        assert_eq!(at("user.missing.deeper"), json!(null));
        assert_eq!(at("user.tags.01"), json!(null));
    }
}
