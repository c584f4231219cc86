//! User text made safe for whoever reads it. Flag keys, file names, descriptions, commit
//! subjects and reasons are written by anyone who can push; printed raw, an escape sequence
//! (`\e]0;…\a`, `\e[2J`) drives the reader's terminal, a line break forges a CI workflow command
//! (`\n::error::…`) and a carriage return hides what came before it. Every reporter and every
//! message passes user text through here, once, as git and ripgrep do: invisible characters are
//! written as Rust escapes (`\u{1b}`, `\n`, `\r`), so nothing is lost and nothing acts.

use std::borrow::Cow;

/// Characters that act instead of showing: C0 and C1 controls, DEL, and the bidirectional and
/// zero-width format characters that reorder or hide text.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// How one character is shown: itself, or its escape (`\n`, `\t`, `\u{1b}`).
pub fn push_shown(out: &mut String, c: char) {
    if is_invisible(c) {
        out.extend(c.escape_default());
    } else {
        out.push(c);
    }
}

/// `text` for a terminal, a log or a CI annotation: on one line, every invisible character
/// escaped. Borrowed when there was nothing to escape.
pub fn terminal(text: &str) -> Cow<'_, str> {
    let printable_ascii = text.bytes().all(|b| matches!(b, b' '..=b'~'));
    if printable_ascii || !text.chars().any(is_invisible) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_shown(&mut out, c);
    }
    Cow::Owned(out)
}

/// Where in a markup document (HTML, XML) text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    /// Between tags: line breaks and tabs stay.
    Text,
    /// Inside a quoted attribute: line breaks and tabs as character references, so attribute
    /// normalisation keeps them.
    Attribute,
}

/// `text` safe in HTML or XML 1.0 `mode`: markup characters as entities, and invisible
/// characters (which XML 1.0 cannot hold at all) escaped as [`terminal`] shows them.
pub fn markup(text: &str, mode: Markup) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match (c, mode) {
            ('&', _) => out.push_str("&amp;"),
            ('<', _) => out.push_str("&lt;"),
            ('>', _) => out.push_str("&gt;"),
            ('"', _) => out.push_str("&quot;"),
            ('\'', _) => out.push_str("&#39;"),
            ('\n' | '\t', Markup::Text) => out.push(c),
            ('\n', Markup::Attribute) => out.push_str("&#10;"),
            ('\t', Markup::Attribute) => out.push_str("&#9;"),
            // Noncharacters XML 1.0 forbids.
            ('\u{fffe}' | '\u{ffff}', _) => out.extend(c.escape_default()),
            (c, _) => push_shown(&mut out, c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_shows_every_control_character() {
        assert_eq!(
            terminal("a\u{1b}]0;x\u{7}b\u{1b}[2J\r\n::error::x\t"),
            "a\\u{1b}]0;x\\u{7}b\\u{1b}[2J\\r\\n::error::x\\t"
        );
        assert_eq!(terminal("é ✓ plain"), "é ✓ plain");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(terminal("\u{202e}cod"), "\\u{202e}cod");
        assert_eq!(terminal("\u{9b}2J"), "\\u{9b}2J");
    }

    #[test]
    fn markup_escapes_markup_and_controls() {
        assert_eq!(
            markup(r#"<b a="x">'&'</b>"#, Markup::Text),
            "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
        assert_eq!(
            markup("a\nb\tc\u{1b}[2J\r", Markup::Text),
            "a\nb\tc\\u{1b}[2J\\r"
        );
        assert_eq!(
            markup("a\nb\tc\u{1}", Markup::Attribute),
            "a&#10;b&#9;c\\u{1}"
        );
    }
}
