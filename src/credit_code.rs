//! The unified social credit code (统一社会信用代码) of GB 32100-2015: 18 characters from a 31-character
//! alphabet (no I, O, S, V, Z); the last is a check character computed over the first 17 with fixed
//! weights modulo 31.

use std::fmt;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("统一社会信用代码 '{0}' must have 18 characters, has {1}")]
    Length(String, usize),
    #[error(
        "统一社会信用代码 '{code}': character {position} '{ch}' is not allowed (GB 32100-2015)"
    )]
    Character {
        code: String,
        position: usize,
        ch: char,
    },
    #[error(
        "统一社会信用代码 '{code}': check character is '{found}', GB 32100-2015 requires '{expected}'"
    )]
    Check {
        code: String,
        found: char,
        expected: char,
    },
}

/// A validated credit code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

impl CreditCode {
    /// Validates `text` (trimmed, ASCII letters upper-cased).
    pub fn parse(text: &str) -> Result<Self, CreditCodeError> {
        let code = text.trim().to_ascii_uppercase();
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 18 {
            return Err(CreditCodeError::Length(code, chars.len()));
        }
        let mut values = [0u32; 18];
        for (i, &ch) in chars.iter().enumerate() {
            values[i] = value_of(ch).ok_or_else(|| CreditCodeError::Character {
                code: code.clone(),
                position: i + 1,
                ch,
            })?;
        }
        let expected = check_character(&values[..17]);
        if chars[17] != expected {
            return Err(CreditCodeError::Check {
                code,
                found: chars[17],
                expected,
            });
        }
        Ok(CreditCode(code))
    }

    /// Completes 17 valid characters with their check character.
    pub fn complete(first17: &str) -> Result<Self, CreditCodeError> {
        let values: Vec<u32> = first17
            .chars()
            .enumerate()
            .map(|(i, ch)| {
                value_of(ch).ok_or_else(|| CreditCodeError::Character {
                    code: first17.to_string(),
                    position: i + 1,
                    ch,
                })
            })
            .collect::<Result<_, _>>()?;
        if values.len() != 17 {
            return Err(CreditCodeError::Length(
                first17.to_string(),
                values.len() + 1,
            ));
        }
        Ok(CreditCode(format!("{first17}{}", check_character(&values))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The administrative division code the issuing authority registered the entity in
    /// (characters 3–8).
    pub fn division(&self) -> &str {
        &self.0[2..8]
    }

    /// One character of the alphabet, for generating codes.
    pub fn alphabet_char(index: usize) -> char {
        ALPHABET[index % ALPHABET.len()] as char
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn value_of(ch: char) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&c| c as char == ch)
        .map(|p| p as u32)
}

fn check_character(values: &[u32]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    ALPHABET[((31 - sum % 31) % 31) as usize] as char
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_published_codes() {
        // Codes printed on public business licences.
        for code in [
            "91350100M000100Y43",
            "91110108551385082Q",
            "91440300708461136T",
        ] {
            assert!(CreditCode::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn normalises_case_and_spaces() {
        let code = CreditCode::parse(" 91350100m000100y43 ").unwrap();
        assert_eq!(code.as_str(), "91350100M000100Y43");
        assert_eq!(code.division(), "350100");
    }

    #[test]
    fn rejects_a_wrong_check_character() {
        let err = CreditCode::parse("91350100M000100Y44").unwrap_err();
        assert!(
            matches!(err, CreditCodeError::Check { expected: '3', .. }),
            "{err}"
        );
    }

    #[test]
    fn rejects_letters_outside_the_alphabet_and_wrong_lengths() {
        assert!(matches!(
            CreditCode::parse("91350100I000100Y43"),
            Err(CreditCodeError::Character {
                position: 9,
                ch: 'I',
                ..
            })
        ));
        assert!(matches!(
            CreditCode::parse("9135010"),
            Err(CreditCodeError::Length(_, 7))
        ));
    }

    #[test]
    fn complete_produces_codes_that_parse() {
        let code = CreditCode::complete("91650100MA7ABCD12").unwrap();
        assert!(CreditCode::parse(code.as_str()).is_ok());
    }
}
