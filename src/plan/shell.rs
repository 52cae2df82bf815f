//! Splitting a shell command line (as make prints it) into words, the way `sh` would for simple commands.
//!
//! Only simple commands are split: a line with unquoted operators (`;`, `|`, `&`, redirections,
//! command substitution, globs are fine) is reported as compound and left to the caller.

/// Words of `line`, or `None` when the line is not a simple command.
pub fn split(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(n) => {
                    in_word = true;
                    cur.push(n);
                }
                None => return None,
            },
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(n) => cur.push(n),
                        None => return None,
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(n @ ('"' | '\\' | '$' | '`')) => cur.push(n),
                            Some('\n') => {}
                            Some(n) => {
                                cur.push('\\');
                                cur.push(n);
                            }
                            None => return None,
                        },
                        Some('$' | '`') => return None,
                        Some(n) => cur.push(n),
                        None => return None,
                    }
                }
            }
            ';' | '|' | '&' | '<' | '>' | '`' | '(' | ')' => return None,
            '$' => return None,
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Some(words)
}

/// Quote a word for display so that `sh` would read it back unchanged.
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// A command line for display.
pub fn join(argv: &[String]) -> String {
    argv.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(v: &[&str]) -> Option<Vec<String>> {
        Some(v.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn splits_like_sh() {
        assert_eq!(
            split("gcc -c -o a.o  a.c"),
            w(&["gcc", "-c", "-o", "a.o", "a.c"])
        );
        assert_eq!(
            split(r#"gcc -DV="2.3.1" '-DNAME="x y"' a\ b.c"#),
            w(&["gcc", "-DV=2.3.1", "-DNAME=\"x y\"", "a b.c"])
        );
        assert_eq!(split("a \\\n b"), w(&["a", "b"]));
        assert_eq!(split("\"\""), w(&[""]));
    }

    #[test]
    fn compound_commands_are_not_split() {
        assert_eq!(split("a && b"), None);
        assert_eq!(split("a | b"), None);
        assert_eq!(split("x=$(ls)"), None);
        assert_eq!(split("echo > f"), None);
        assert_eq!(split("echo \"$HOME\""), None);
        assert_eq!(split("unterminated 'quote"), None);
    }

    #[test]
    fn quote_round_trips() {
        for word in ["plain", "with space", "it's", "-DX=\"y\"", ""] {
            assert_eq!(split(&quote(word)), w(&[word]));
        }
    }
}
