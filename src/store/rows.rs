//! Reading a query's rows as they arrive, each column by the name the SQL gives it.

use futures_util::TryStreamExt;
use sqlx::{Column, ColumnIndex, Decode, Row, Type, ValueRef};

use super::StoreError;

/// Decodes each row of a `fetch` as it arrives, so decoding overlaps the database producing the
/// rest; several such reads can run at once on their own connections (`tokio::try_join!`).
pub(crate) async fn decode_rows<R: Row, T>(
    rows: impl futures_util::Stream<Item = Result<R, sqlx::Error>>,
    mut each: impl FnMut(&mut Cells<'_, R>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError>
where
    for<'n> &'n str: ColumnIndex<R>,
{
    let mut positions = Vec::new();
    rows.map_err(StoreError::from)
        .and_then(|row| {
            let mut cells = Cells {
                row: &row,
                positions: &mut positions,
                next: 0,
            };
            std::future::ready(each(&mut cells))
        })
        .try_collect()
        .await
}

/// One row of a read, its columns asked for by name. A column is first found by its name and its
/// type checked, as `Row::try_get` does; once a row has held a value there (not NULL, whose type
/// is not checked), later rows find it at the same position unchecked, while the same names are
/// asked for in the same order (a name asked for out of that order is found and checked again). A
/// national read of the licences asks for 16 columns of 320,000 rows: finding and checking each
/// every time was 14 % of `deadlines`' instructions (callgrind). SQLite types each value, not the
/// column: there, a later row's value is decoded as the first's type was checked, as text for a
/// text column (licwatch writes each column's one type).
pub(crate) struct Cells<'r, R> {
    row: &'r R,
    /// The columns asked for, in order: each name, where it was found, whether its type was
    /// checked.
    positions: &'r mut Vec<(&'static str, usize, bool)>,
    next: usize,
}

impl<'r, R: Row> Cells<'r, R>
where
    for<'n> &'n str: ColumnIndex<R>,
{
    /// The column `name`, decoded as `T`.
    pub fn get<T>(&mut self, name: &'static str) -> Result<T, sqlx::Error>
    where
        T: Decode<'r, R::Database> + Type<R::Database>,
        usize: ColumnIndex<R>,
    {
        let at = self.next;
        self.next += 1;
        if let Some(&(seen, position, true)) = self.positions.get(at)
            && seen == name
        {
            return self.row.try_get_unchecked(position);
        }
        let position = self.row.try_column(name)?.ordinal();
        let value = self.row.try_get(position)?;
        let checked = !self.row.try_get_raw(position)?.is_null();
        // The list grows a column at a time, so a column not yet in it is the next one.
        match self.positions.get_mut(at) {
            Some(entry) if entry.0 == name => entry.2 = checked,
            Some(_) => {}
            None => self.positions.push((name, position, checked)),
        }
        Ok(value)
    }
}
