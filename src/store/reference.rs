//! Reference data in the store: the division table and the product catalogue. `init` seeds both
//! from the copies shipped with the binary; a later catalogue or another province's divisions are
//! loaded the same way, as data.

use sqlx::Row;

use super::records::Record;
use super::{Param, Store, StoreError, decode, with_pool};
use crate::catalogue::{Catalogue, Category};
use crate::divisions::{Division, Divisions, Level};

impl Record for Division {
    const TABLE: &'static str = "divisions";
    const COLUMNS: &'static [&'static str] = &["code", "name", "level", "parent_code"];
    const KEY: usize = 1;
    fn params(&self) -> Vec<Param> {
        vec![
            (&self.code).into(),
            (&self.name).into(),
            self.level.as_str().into(),
            (&self.parent_code).into(),
        ]
    }
}

impl Record for Category {
    const TABLE: &'static str = "categories";
    const COLUMNS: &'static [&'static str] = &[
        "code",
        "ordinal",
        "name_zh",
        "name_en",
        "in_scope",
        "effective_from",
        "effective_to",
        "note",
    ];
    const KEY: usize = 1;
    fn params(&self) -> Vec<Param> {
        vec![
            (&self.code).into(),
            Param::Int(self.ordinal),
            (&self.name_zh).into(),
            (&self.name_en).into(),
            self.in_scope.into(),
            self.effective_from.into(),
            self.effective_to.into(),
            (&self.note).into(),
        ]
    }
}

impl Store {
    /// Loads the shipped division table and 2018 catalogue where absent; rows loaded since (a later
    /// catalogue, corrected divisions) are kept.
    pub async fn seed_reference(&self) -> Result<(), StoreError> {
        self.insert_missing(Divisions::builtin().all()).await?;
        self.insert_missing(Catalogue::builtin().all()).await?;
        Ok(())
    }

    pub async fn catalogue(&self) -> Result<Catalogue, StoreError> {
        const SQL: &str = "SELECT code, ordinal, name_zh, name_en, in_scope, effective_from, effective_to, note \
                           FROM categories ORDER BY ordinal, effective_from";
        with_pool!(self, pool => {
            let rows = sqlx::query(SQL).fetch_all(pool).await?;
            let categories = rows
                .iter()
                .map(|r| {
                    Ok(Category {
                        ordinal: r.try_get("ordinal")?,
                        code: r.try_get("code")?,
                        name_zh: r.try_get("name_zh")?,
                        name_en: r.try_get("name_en")?,
                        in_scope: r.try_get("in_scope")?,
                        effective_from: r.try_get("effective_from")?,
                        effective_to: r.try_get("effective_to")?,
                        note: r.try_get("note")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(Catalogue::new(categories))
        })
    }

    pub async fn divisions(&self) -> Result<Divisions, StoreError> {
        const SQL: &str = "SELECT code, name, level, parent_code FROM divisions ORDER BY code";
        with_pool!(self, pool => {
            let rows = sqlx::query(SQL).fetch_all(pool).await?;
            let all = rows
                .iter()
                .map(|r| {
                    Ok(Division {
                        code: r.try_get("code")?,
                        name: r.try_get("name")?,
                        level: decode("divisions.level", r.try_get("level")?, Level::parse)?,
                        parent_code: r.try_get("parent_code")?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(Divisions::new(all))
        })
    }
}
