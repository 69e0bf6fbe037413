//! A row's CSV cells straight from its struct: the cells `csv_cell` makes of the row's
//! `serde_json::Value` object, without building that object — its keys, its strings and the map
//! itself for each of 300,000 rows were 9 % of a national `deadlines`' instructions (callgrind).

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::Value;

use super::csv_cell;

/// Why a row was not written this way; the caller then goes through its `Value`.
#[derive(Debug)]
pub(super) enum NotCells {
    /// The row is not a struct, or a field holds a list, a map, a struct or a variant with data:
    /// their cells are JSON text, which `Value` writes.
    Compound,
    Custom(String),
}

impl std::fmt::Display for NotCells {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotCells::Compound => f.write_str("a compound value"),
            NotCells::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for NotCells {}

impl ser::Error for NotCells {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        NotCells::Custom(message.to_string())
    }
}

/// The row's field names and cells, in order; `Err(Compound)` when the row is not a struct of
/// plain values.
pub(super) fn cells<T: Serialize>(row: &T) -> Result<(Vec<&'static str>, Vec<String>), NotCells> {
    row.serialize(Row::default())
}

#[derive(Default)]
struct Row {
    keys: Vec<&'static str>,
    cells: Vec<String>,
}

impl ser::SerializeStruct for Row {
    type Ok = (Vec<&'static str>, Vec<String>);
    type Error = NotCells;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), NotCells> {
        self.keys.push(key);
        self.cells.push(value.serialize(Cell)?);
        Ok(())
    }

    fn end(self) -> Result<Self::Ok, NotCells> {
        Ok((self.keys, self.cells))
    }
}

/// Serializer methods for the kinds of value not written here: a method named with `<T>` also
/// takes the value inside (`&T`).
macro_rules! compound {
    ($($method:ident $(<$t:ident>)? ($($arg:ty),*) -> $ok:ty;)*) => {
        $(fn $method $(<$t: Serialize + ?Sized>)? (self, $(_: $arg,)* $(_: &$t)?) -> Result<$ok, NotCells> {
            Err(NotCells::Compound)
        })*
    };
}

impl ser::Serializer for Row {
    type Ok = (Vec<&'static str>, Vec<String>);
    type Error = NotCells;
    type SerializeSeq = Impossible<Self::Ok, NotCells>;
    type SerializeTuple = Impossible<Self::Ok, NotCells>;
    type SerializeTupleStruct = Impossible<Self::Ok, NotCells>;
    type SerializeTupleVariant = Impossible<Self::Ok, NotCells>;
    type SerializeMap = Impossible<Self::Ok, NotCells>;
    type SerializeStruct = Row;
    type SerializeStructVariant = Impossible<Self::Ok, NotCells>;

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Row, NotCells> {
        Ok(Row {
            keys: Vec::with_capacity(len),
            cells: Vec::with_capacity(len),
        })
    }

    // Only a struct is a row here.
    compound! {
        serialize_some<T>() -> Self::Ok;
        serialize_newtype_struct<T>(&'static str) -> Self::Ok;
        serialize_newtype_variant<T>(&'static str, u32, &'static str) -> Self::Ok;
        serialize_bool(bool) -> Self::Ok;
        serialize_i8(i8) -> Self::Ok;
        serialize_i16(i16) -> Self::Ok;
        serialize_i32(i32) -> Self::Ok;
        serialize_i64(i64) -> Self::Ok;
        serialize_u8(u8) -> Self::Ok;
        serialize_u16(u16) -> Self::Ok;
        serialize_u32(u32) -> Self::Ok;
        serialize_u64(u64) -> Self::Ok;
        serialize_f32(f32) -> Self::Ok;
        serialize_f64(f64) -> Self::Ok;
        serialize_char(char) -> Self::Ok;
        serialize_str(&str) -> Self::Ok;
        serialize_bytes(&[u8]) -> Self::Ok;
        serialize_none() -> Self::Ok;
        serialize_unit() -> Self::Ok;
        serialize_unit_struct(&'static str) -> Self::Ok;
        serialize_unit_variant(&'static str, u32, &'static str) -> Self::Ok;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}

/// One field's cell: what `csv_cell` makes of the `Value` serde_json would make of it.
struct Cell;

impl Cell {
    fn of(value: impl Into<Value>) -> Result<String, NotCells> {
        Ok(csv_cell(&value.into()))
    }
}

impl ser::Serializer for Cell {
    type Ok = String;
    type Error = NotCells;
    type SerializeSeq = Impossible<String, NotCells>;
    type SerializeTuple = Impossible<String, NotCells>;
    type SerializeTupleStruct = Impossible<String, NotCells>;
    type SerializeTupleVariant = Impossible<String, NotCells>;
    type SerializeMap = Impossible<String, NotCells>;
    type SerializeStruct = Impossible<String, NotCells>;
    type SerializeStructVariant = Impossible<String, NotCells>;

    fn serialize_bool(self, v: bool) -> Result<String, NotCells> {
        Cell::of(v)
    }
    fn serialize_i8(self, v: i8) -> Result<String, NotCells> {
        Cell::of(v)
    }
    fn serialize_i16(self, v: i16) -> Result<String, NotCells> {
        Cell::of(v)
    }
    fn serialize_i32(self, v: i32) -> Result<String, NotCells> {
        Cell::of(v)
    }
    fn serialize_i64(self, v: i64) -> Result<String, NotCells> {
        Cell::of(v)
    }
    fn serialize_u8(self, v: u8) -> Result<String, NotCells> {
        Cell::of(v)
    }
    fn serialize_u16(self, v: u16) -> Result<String, NotCells> {
        Cell::of(v)
    }
    fn serialize_u32(self, v: u32) -> Result<String, NotCells> {
        Cell::of(v)
    }
    fn serialize_u64(self, v: u64) -> Result<String, NotCells> {
        Cell::of(v)
    }
    fn serialize_f32(self, v: f32) -> Result<String, NotCells> {
        Cell::of(v)
    }
    fn serialize_f64(self, v: f64) -> Result<String, NotCells> {
        Cell::of(v)
    }
    fn serialize_char(self, v: char) -> Result<String, NotCells> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, NotCells> {
        Ok(v.to_string())
    }
    fn serialize_none(self) -> Result<String, NotCells> {
        Ok(String::new())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String, NotCells> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<String, NotCells> {
        Ok(String::new())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, NotCells> {
        Ok(String::new())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, NotCells> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, NotCells> {
        value.serialize(self)
    }

    compound! {
        serialize_newtype_variant<T>(&'static str, u32, &'static str) -> String;
        serialize_bytes(&[u8]) -> String;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Clone, Copy)]
    #[serde(rename_all = "snake_case")]
    enum Status {
        DueSoon,
    }

    #[derive(Serialize)]
    struct Wrapped(i32);

    #[derive(Serialize)]
    struct Plain {
        text: &'static str,
        #[serde(rename = "renamed")]
        chinese: String,
        #[serde(skip)]
        _skipped: u8,
        none: Option<i64>,
        some: Option<u32>,
        yes: bool,
        negative: i64,
        large: u64,
        half: f64,
        whole: f64,
        tiny: f32,
        nan: f64,
        day: chrono::NaiveDate,
        status: Status,
        wrapped: Wrapped,
        letter: char,
        nothing: (),
    }

    /// The cells the `Value` path makes.
    fn through_value<T: Serialize>(row: &T) -> (Vec<String>, Vec<String>) {
        let object = super::super::to_object(row).unwrap();
        (
            object.keys().cloned().collect(),
            object.values().map(csv_cell).collect(),
        )
    }

    #[test]
    fn a_struct_of_plain_values_has_the_cells_its_json_object_has() {
        let row = Plain {
            text: "a,\"b\"",
            chinese: "乌鲁木齐市".into(),
            _skipped: 1,
            none: None,
            some: Some(7),
            yes: true,
            negative: -12,
            large: u64::MAX,
            half: 0.5,
            whole: 3.0,
            tiny: 0.1,
            nan: f64::NAN,
            day: chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            status: Status::DueSoon,
            wrapped: Wrapped(4),
            letter: '证',
            nothing: (),
        };
        let (keys, cells) = cells(&row).unwrap();
        let (value_keys, value_cells) = through_value(&row);
        assert_eq!(keys, value_keys);
        assert_eq!(cells, value_cells);
        assert_eq!(cells[0], "a,\"b\"");
        assert_eq!(&cells[8..11], ["3.0", "0.10000000149011612", ""]);
    }

    #[test]
    fn lists_maps_and_variants_with_data_are_left_to_the_json_object() {
        #[derive(Serialize)]
        enum Kind {
            Some(u8),
        }
        #[derive(Serialize)]
        struct Listed {
            codes: Vec<&'static str>,
        }
        #[derive(Serialize)]
        struct Tagged {
            kind: Kind,
        }
        assert!(matches!(
            cells(&Listed { codes: vec!["a"] }),
            Err(NotCells::Compound)
        ));
        assert!(matches!(
            cells(&Tagged {
                kind: Kind::Some(1)
            }),
            Err(NotCells::Compound)
        ));
        assert!(matches!(cells(&"a bare value"), Err(NotCells::Compound)));
    }
}
