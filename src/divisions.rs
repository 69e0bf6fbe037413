//! Administrative divisions (行政区划): prefectures and counties, by code or Chinese name. The table is
//! data — Xinjiang's ships with the binary and another province loads its own.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Xinjiang's 14 prefecture-level divisions and their counties.
pub const XINJIANG: &str = include_str!("../data/divisions/xinjiang.csv");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    Prefecture,
    County,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::Prefecture => "prefecture",
            Level::County => "county",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "province" => Some(Level::Province),
            "prefecture" => Some(Level::Prefecture),
            "county" => Some(Level::County),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Division {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DivisionError {
    #[error("{what} '{text}' is not a known division (give its Chinese name or 6-digit code)")]
    Unknown { what: &'static str, text: String },
    #[error("county '{county}' does not belong to prefecture '{prefecture}'")]
    Mismatch { county: String, prefecture: String },
    #[error("division table row {row}: {message}")]
    BadRow { row: usize, message: String },
}

#[derive(Debug, Clone, Default)]
pub struct Divisions {
    all: Vec<Division>,
    /// Code or name → the positions in `all` of the divisions so named, in table order: ingest
    /// looks two up for each enterprise row, and the reports name one for each licence.
    by_text: HashMap<String, Vec<usize>>,
}

impl Divisions {
    pub fn new(all: Vec<Division>) -> Self {
        let mut by_text: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, d) in all.iter().enumerate() {
            by_text.entry(d.code.clone()).or_default().push(i);
            if d.name != d.code {
                by_text.entry(d.name.clone()).or_default().push(i);
            }
        }
        Divisions { all, by_text }
    }

    /// The divisions whose code or name is `text`, in table order.
    fn named(&self, text: &str) -> impl Iterator<Item = &Division> {
        self.by_text
            .get(text)
            .into_iter()
            .flatten()
            .map(|&i| &self.all[i])
    }

    pub fn builtin() -> Self {
        Self::parse_csv(XINJIANG).expect("the built-in division table parses")
    }

    /// Reads `code,name,level,parent_code`.
    pub fn parse_csv(text: &str) -> Result<Self, DivisionError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let mut all = Vec::new();
        for (i, row) in reader.deserialize::<Division>().enumerate() {
            let mut row = row.map_err(|e| DivisionError::BadRow {
                row: i + 2,
                message: e.to_string(),
            })?;
            row.parent_code = row.parent_code.filter(|p| !p.is_empty());
            all.push(row);
        }
        Ok(Divisions::new(all))
    }

    pub fn all(&self) -> &[Division] {
        &self.all
    }

    pub fn prefectures(&self) -> impl Iterator<Item = &Division> {
        self.all.iter().filter(|d| d.level == Level::Prefecture)
    }

    pub fn counties_of<'a>(&'a self, prefecture: &'a str) -> impl Iterator<Item = &'a Division> {
        self.all.iter().filter(move |d| {
            d.level == Level::County && d.parent_code.as_deref() == Some(prefecture)
        })
    }

    pub fn by_code(&self, code: &str) -> Option<&Division> {
        self.named(code).find(|d| d.code == code)
    }

    fn find(&self, level: Level, text: &str) -> Option<&Division> {
        self.named(text.trim()).find(|d| d.level == level)
    }

    /// The province-level division (the autonomous region itself), when the table has one.
    pub fn province(&self) -> Option<&Division> {
        self.all.iter().find(|d| d.level == Level::Province)
    }

    /// A prefecture-level division by code or exact name.
    pub fn prefecture(&self, text: &str) -> Result<&Division, DivisionError> {
        self.find(Level::Prefecture, text)
            .ok_or_else(|| DivisionError::Unknown {
                what: "所属地州市 prefecture",
                text: text.trim().to_string(),
            })
    }

    /// A county by code or exact name, in whichever prefecture.
    pub fn any_county(&self, text: &str) -> Option<&Division> {
        self.find(Level::County, text)
    }

    /// A county by code or exact name, checked to lie in `prefecture` (a code).
    pub fn county(&self, text: &str, prefecture: &str) -> Result<&Division, DivisionError> {
        let county = self
            .find(Level::County, text)
            .ok_or_else(|| DivisionError::Unknown {
                what: "所属区县 county",
                text: text.trim().to_string(),
            })?;
        if county.parent_code.as_deref() != Some(prefecture) {
            return Err(DivisionError::Mismatch {
                county: county.name.clone(),
                prefecture: prefecture.to_string(),
            });
        }
        Ok(county)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xinjiang_has_14_prefectures_each_with_counties() {
        let d = Divisions::builtin();
        assert_eq!(d.prefectures().count(), 14);
        for p in d.prefectures() {
            assert!(d.counties_of(&p.code).count() > 0, "{}", p.name);
        }
    }

    #[test]
    fn prefectures_resolve_by_name_or_code() {
        let d = Divisions::builtin();
        assert_eq!(d.prefecture("伊犁哈萨克自治州").unwrap().code, "654000");
        assert_eq!(d.prefecture("650100").unwrap().name, "乌鲁木齐市");
        assert!(d.prefecture("乌鲁木齐").is_err());
    }

    #[test]
    fn a_county_must_lie_in_its_prefecture() {
        let d = Divisions::builtin();
        assert_eq!(d.county("天山区", "650100").unwrap().code, "650102");
        assert!(matches!(
            d.county("天山区", "650200"),
            Err(DivisionError::Mismatch { .. })
        ));
    }

    #[test]
    fn a_name_shared_across_levels_finds_the_division_of_the_level_asked() {
        let division = |code: &str, name: &str, level, parent: Option<&str>| Division {
            code: code.into(),
            name: name.into(),
            level,
            parent_code: parent.map(str::to_string),
        };
        let d = Divisions::new(vec![
            division("650000", "新疆", Level::Province, None),
            division("659000", "直辖", Level::Prefecture, Some("650000")),
            division("659001", "直辖", Level::County, Some("659000")),
            division("659002", "直辖", Level::County, Some("659000")),
        ]);
        assert_eq!(d.prefecture(" 直辖 ").unwrap().code, "659000");
        // The first of two counties of one name, as the table lists them.
        assert_eq!(d.any_county("直辖").unwrap().code, "659001");
        assert_eq!(d.county("659002", "659000").unwrap().code, "659002");
        assert_eq!(d.by_code("659001").unwrap().level, Level::County);
        assert!(
            d.by_code("直辖").is_none(),
            "a code lookup never matches a name"
        );
        assert!(d.prefecture("659001").is_err());
    }
}
