//! The product catalogue of the simplified procedure (DESIGN.md section 1): the 17 categories of the
//! 2018 catalogue, plus the products named to be outside it (危险化学品, 食品相关产品) so that input
//! naming them is refused with that reason. The catalogue is data: a later one is loaded, not coded.
//!
//! Names match exactly after trimming, never by substring: 危险化学品 is out, 危险化学品包装物容器 is in.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The 2018 catalogue shipped with the binary; `init` seeds the store from it.
pub const CATALOGUE_2018: &str = include_str!("../data/catalogue/catalogue-2018.csv");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Position in the catalogue, from 1 (the order reports list categories in).
    pub ordinal: i64,
    /// Stable code, e.g. `wire-cable`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub in_scope: bool,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    /// Why an out-of-scope product is refused.
    pub note: Option<String>,
}

impl Category {
    /// Whether the category is in the catalogue on `date`.
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        date >= self.effective_from && self.effective_to.is_none_or(|to| date <= to)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CategoryError {
    #[error("产品类别 '{name}' is outside the simplified procedure: {reason}")]
    OutOfScope { name: String, reason: String },
    #[error("产品类别 '{0}' is not in the catalogue (give the exact Chinese name or the code)")]
    Unknown(String),
    #[error("catalogue row {row}: {message}")]
    BadRow { row: usize, message: String },
}

#[derive(Debug, Clone)]
pub struct Catalogue {
    categories: Vec<Category>,
}

impl Catalogue {
    pub fn new(categories: Vec<Category>) -> Self {
        Catalogue { categories }
    }

    /// The built-in 2018 catalogue.
    pub fn builtin() -> Self {
        Self::parse_csv(CATALOGUE_2018).expect("the built-in catalogue parses")
    }

    /// Reads `code,name_zh,name_en,in_scope,effective_from,effective_to,note`.
    pub fn parse_csv(text: &str) -> Result<Self, CategoryError> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let mut categories = Vec::new();
        for (i, row) in reader.deserialize::<CsvRow>().enumerate() {
            let row = row.map_err(|e| CategoryError::BadRow {
                row: i + 2,
                message: e.to_string(),
            })?;
            categories.push(Category {
                ordinal: i as i64 + 1,
                code: row.code,
                name_zh: row.name_zh,
                name_en: row.name_en,
                in_scope: row.in_scope,
                effective_from: row.effective_from,
                effective_to: row.effective_to,
                note: row.note.filter(|n| !n.is_empty()),
            });
        }
        Ok(Catalogue { categories })
    }

    pub fn all(&self) -> &[Category] {
        &self.categories
    }

    /// The categories the simplified procedure covers.
    pub fn in_scope(&self) -> impl Iterator<Item = &Category> {
        self.categories.iter().filter(|c| c.in_scope)
    }

    /// Finds a category by its exact Chinese name or code (after trimming). Out-of-scope products are
    /// refused with their reason.
    pub fn resolve(&self, text: &str) -> Result<&Category, CategoryError> {
        let key = text.trim();
        let found = self
            .categories
            .iter()
            .find(|c| c.name_zh == key || c.code == key)
            .ok_or_else(|| CategoryError::Unknown(key.to_string()))?;
        if !found.in_scope {
            return Err(CategoryError::OutOfScope {
                name: found.name_zh.clone(),
                reason: found
                    .note
                    .clone()
                    .unwrap_or_else(|| "不在简化审批程序目录内 (not in the catalogue)".into()),
            });
        }
        Ok(found)
    }

    /// Looks a category up by code, in scope or not (for display of stored rows).
    pub fn by_code(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }
}

#[derive(Deserialize)]
struct CsvRow {
    code: String,
    name_zh: String,
    name_en: String,
    in_scope: bool,
    effective_from: NaiveDate,
    effective_to: Option<NaiveDate>,
    note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2018_catalogue_has_17_products_in_scope() {
        let cat = Catalogue::builtin();
        assert_eq!(cat.in_scope().count(), 17);
        let on = NaiveDate::from_ymd_opt(2018, 7, 10).unwrap();
        assert!(cat.in_scope().all(|c| c.in_force_on(on)));
        assert!(
            !cat.in_scope()
                .any(|c| c.in_force_on(on.pred_opt().unwrap()))
        );
    }

    #[test]
    fn names_match_exactly_never_by_substring() {
        let cat = Catalogue::builtin();
        assert_eq!(
            cat.resolve(" 危险化学品包装物容器 ").unwrap().code,
            "hazchem-packaging"
        );
        assert!(matches!(
            cat.resolve("危险化学品"),
            Err(CategoryError::OutOfScope { .. })
        ));
        assert!(matches!(
            cat.resolve("食品相关产品"),
            Err(CategoryError::OutOfScope { .. })
        ));
        assert!(matches!(
            cat.resolve("电线"),
            Err(CategoryError::Unknown(_))
        ));
        assert!(matches!(
            cat.resolve("电线电缆及附件"),
            Err(CategoryError::Unknown(_))
        ));
    }

    #[test]
    fn codes_resolve_too() {
        let cat = Catalogue::builtin();
        assert_eq!(cat.resolve("wire-rope").unwrap().name_zh, "钢丝绳");
    }

    #[test]
    fn out_of_scope_reason_is_given() {
        let err = Catalogue::builtin().resolve("危险化学品").unwrap_err();
        assert!(err.to_string().contains("不适用简化审批程序"), "{err}");
    }
}
