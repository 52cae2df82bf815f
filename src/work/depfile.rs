//! Reading the make-syntax dependency files gcc writes with `-MD -MF`: the prerequisites of the first rule.

use std::path::{Path, PathBuf};

/// Prerequisites of the first rule in `text`, resolved against `cwd`. `None` if it has no rule.
pub fn parse(text: &str, cwd: &Path) -> Option<Vec<PathBuf>> {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut seen_colon = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some('\n') => {
                    chars.next();
                    flush(&mut cur, &mut words, seen_colon);
                }
                Some('\r') => {
                    chars.next();
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    flush(&mut cur, &mut words, seen_colon);
                }
                Some(' ') | Some('#') | Some('\\') => {
                    cur.push(chars.next().expect("peeked"));
                }
                _ => cur.push('\\'),
            },
            '$' if chars.peek() == Some(&'$') => {
                chars.next();
                cur.push('$');
            }
            ':' if !seen_colon && matches!(chars.peek(), Some(' ' | '\t' | '\n' | '\r') | None) => {
                seen_colon = true;
                cur.clear();
            }
            ' ' | '\t' | '\r' => flush(&mut cur, &mut words, seen_colon),
            '\n' => {
                flush(&mut cur, &mut words, seen_colon);
                if seen_colon {
                    break;
                }
            }
            _ => cur.push(c),
        }
    }
    flush(&mut cur, &mut words, seen_colon);
    seen_colon.then(|| {
        words
            .iter()
            .map(|w| crate::paths::resolve(cwd, w))
            .collect()
    })
}

fn flush(cur: &mut String, words: &mut Vec<String>, after_colon: bool) {
    if !cur.is_empty() {
        if after_colon {
            words.push(std::mem::take(cur));
        } else {
            cur.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_rule_only_with_continuations_and_escapes() {
        let text = "obj/a.o.tmp: src/a.c inc/a.h \\\n  ../inc/with\\ space.h\n\ninc/a.h:\n\n../inc/with\\ space.h:\n";
        let deps = parse(text, Path::new("/t/lib")).unwrap();
        assert_eq!(
            deps,
            vec![
                PathBuf::from("/t/lib/src/a.c"),
                PathBuf::from("/t/lib/inc/a.h"),
                PathBuf::from("/t/inc/with space.h"),
            ]
        );
    }

    #[test]
    fn no_rule_is_none() {
        assert_eq!(parse("", Path::new("/")), None);
        assert_eq!(parse("garbage without colon", Path::new("/")), None);
    }

    #[test]
    fn dollar_escape() {
        assert_eq!(
            parse("a.o: b$$c.h\n", Path::new("/x")).unwrap(),
            vec![PathBuf::from("/x/b$c.h")]
        );
    }
}
