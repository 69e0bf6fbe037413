//! Reading the dates people write: YYYY-MM-DD, YYYY/M/D, YYYY年M月D日, with full-width digits and
//! stray spaces tolerated.

use chrono::NaiveDate;
use serde::Deserialize as _;

/// Folds full-width digits and punctuation to ASCII and drops spaces (including the ideographic one).
pub fn normalise(text: &str) -> String {
    // Most cells are plain ASCII already: copied as they are.
    if text.bytes().all(|b| b.is_ascii_graphic()) {
        return text.to_string();
    }
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '－' => '-',
            '／' => '/',
            other => other,
        })
        .collect()
}

/// Parses one of the accepted forms; `None` if it is none of them or not a real day.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    // YYYY-MM-DD, as exports write nearly every date, read without splitting.
    if let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *text.as_bytes() {
        let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
        if digits.iter().all(u8::is_ascii_digit) {
            let n = |ds: &[u8]| ds.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
            return NaiveDate::from_ymd_opt(
                n(&digits[..4]) as i32,
                n(&digits[4..6]),
                n(&digits[6..]),
            );
        }
    }
    let t = normalise(text);
    let t = t.strip_suffix('日').unwrap_or(&t);
    let parts: Vec<&str> = t.split(['-', '/', '年', '月']).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 || m.is_empty() || m.len() > 2 || d.is_empty() || d.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// Reads an optional date from configuration: a TOML date (`2019-01-01`) or text in any accepted
/// form (`"2019年1月1日"`).
pub fn optional_config_date<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<NaiveDate>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Given {
        Toml(toml::value::Datetime),
        Text(String),
    }
    let text = match Option::<Given>::deserialize(d)? {
        None => return Ok(None),
        Some(Given::Toml(t)) => t.to_string(),
        Some(Given::Text(t)) => t,
    };
    parse_date(&text)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("'{text}' is not a date (YYYY-MM-DD)")))
}

/// A clap value parser for dates in any accepted form.
pub fn arg(text: &str) -> Result<NaiveDate, String> {
    parse_date(text)
        .ok_or_else(|| format!("'{text}' is not a date (use YYYY-MM-DD, YYYY/M/D or YYYY年M月D日)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_form() {
        let want = NaiveDate::from_ymd_opt(2024, 3, 5);
        for text in [
            "2024-03-05",
            "2024/3/5",
            "2024年3月5日",
            " ２０２４－０３－０５ ",
            "2024年03月05日",
        ] {
            assert_eq!(parse_date(text), want, "{text}");
        }
    }

    #[test]
    fn plain_text_is_kept_and_spaces_and_full_width_forms_folded() {
        assert_eq!(normalise("91350100M000100Y43"), "91350100M000100Y43");
        assert_eq!(normalise(" C-0 01\t"), "C-001");
        assert_eq!(normalise("Ａ１　２／３"), "Ａ12/3");
    }

    #[test]
    fn impossible_or_malformed_dates_are_refused() {
        for text in [
            "2024-02-30",
            "2024-13-05",
            "2024-00-05",
            "2024-02-00",
            "2024-0a-05",
            "24-03-05",
            "2024-3",
            "20240305",
            "2024.03.05",
            "",
        ] {
            assert_eq!(parse_date(text), None, "{text}");
        }
    }
}
