//! Canonical JSON, written straight from any `Serialize` value: object keys sorted by UTF-16 code
//! units (RFC 8785's order), no insignificant whitespace, strings and numbers as serde_json writes
//! them. The text is exactly what `serde_json::to_value` followed by sorting the keys would give,
//! without building the `Value` tree: a national draw's snapshot has millions of strings, and the
//! tree cost more than the text (a test holds the two equal).
//!
//! An object's members are written straight out while their keys come in order; an object whose
//! keys do not is written again in key order when it closes. No allocation per key or leaf.

use std::borrow::Cow;

use serde::Serialize;
use serde::ser;

/// Why a value has no canonical JSON: a map key that is not a string, a number or a bool.
#[derive(Debug)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error(e.to_string())
    }
}

/// The canonical JSON text of `value`.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let mut out = Text::default();
    value.serialize(Writer { out: &mut out })?;
    Ok(String::from_utf8(out.bytes).expect("JSON text is UTF-8"))
}

/// The text being written, and what an object whose keys came out of order needs to write its
/// members again: shared by every object of the text (each uses them only when it closes, after
/// the objects within it have closed), so an object allocates nothing of its own.
#[derive(Default)]
struct Text {
    bytes: Vec<u8>,
    /// The members of the objects open now, innermost last: (key, where its value lies in `bytes`).
    members: Vec<(Cow<'static, str>, std::ops::Range<usize>)>,
    /// An out-of-order object's members, copied aside while they are written again.
    aside: Vec<u8>,
}

/// Leaves and punctuation go to the text's bytes.
impl std::ops::Deref for Text {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.bytes
    }
}

impl std::ops::DerefMut for Text {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }
}

/// Key order: by UTF-16 code units, so a key outside the BMP (a surrogate pair) sorts before
/// U+E000–U+FFFF, unlike its UTF-8 bytes.
fn utf16_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// A leaf (string, number, bool) exactly as serde_json writes it.
fn leaf<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    serde_json::to_writer(out, value)?;
    Ok(())
}

/// `{"variant":` — the opening of an externally tagged enum variant with data.
fn open_variant(out: &mut Vec<u8>, variant: &str) -> Result<(), Error> {
    out.push(b'{');
    leaf(out, variant)?;
    out.push(b':');
    Ok(())
}

struct Writer<'a> {
    out: &'a mut Text,
}

impl<'a> ser::Serializer for Writer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Array<'a>;
    type SerializeTuple = Array<'a>;
    type SerializeTupleStruct = Array<'a>;
    type SerializeTupleVariant = Array<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        leaf(self.out, &v)
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        leaf(self.out, &v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        leaf(self.out, &v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        leaf(self.out, &v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        leaf(self.out, &v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        leaf(self.out, &v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        leaf(self.out, &v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        leaf(self.out, &v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        leaf(self.out, &v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        leaf(self.out, &v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        leaf(self.out, &v)
    }
    /// Non-finite floats are `null`, as in a `Value`.
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        leaf(self.out, &v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        leaf(self.out, &v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        leaf(self.out, &v)
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        leaf(self.out, v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        leaf(self.out, v)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        leaf(self.out, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        open_variant(self.out, variant)?;
        value.serialize(Writer {
            out: &mut *self.out,
        })?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Array<'a>, Error> {
        Ok(Array::open(self.out, false))
    }
    fn serialize_tuple(self, len: usize) -> Result<Array<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Array<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Array<'a>, Error> {
        open_variant(self.out, variant)?;
        Ok(Array::open(self.out, true))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Object<'a>, Error> {
        Ok(Object::new(self.out, false))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Object<'a>, Error> {
        Ok(Object::new(self.out, false))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Object<'a>, Error> {
        open_variant(self.out, variant)?;
        Ok(Object::new(self.out, true))
    }
}

/// An array being written; `in_variant` closes the variant's object too.
struct Array<'a> {
    out: &'a mut Text,
    first: bool,
    in_variant: bool,
}

impl<'a> Array<'a> {
    fn open(out: &'a mut Text, in_variant: bool) -> Self {
        out.push(b'[');
        Array {
            out,
            first: true,
            in_variant,
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        if !std::mem::take(&mut self.first) {
            self.out.push(b',');
        }
        value.serialize(Writer {
            out: &mut *self.out,
        })
    }

    fn close(self) -> Result<(), Error> {
        self.out.push(b']');
        if self.in_variant {
            self.out.push(b'}');
        }
        Ok(())
    }
}

/// serde's four array-like traits, each handing its elements to [`Array::element`].
macro_rules! array_like {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Array<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

array_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// An object being written. Members are written straight out as they come, while their keys
/// arrive in order (a struct whose fields are declared in key order); the first key out of order
/// or given twice makes `close` take the members back and write them again in key order.
struct Object<'a> {
    out: &'a mut Text,
    /// Where the first member starts in the text.
    start: usize,
    /// Where this object's members start in `Text::members`.
    first_member: usize,
    in_order: bool,
    key: Option<String>,
    in_variant: bool,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut Text, in_variant: bool) -> Self {
        out.push(b'{');
        Object {
            start: out.len(),
            first_member: out.members.len(),
            out,
            in_order: true,
            key: None,
            in_variant,
        }
    }

    fn member<T: Serialize + ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        value: &T,
    ) -> Result<(), Error> {
        if self.out.members.len() > self.first_member {
            let (last, _) = self.out.members.last().expect("a member before");
            self.in_order &= utf16_order(last, &key).is_lt();
            self.out.push(b',');
        }
        leaf(self.out, key.as_ref())?;
        self.out.push(b':');
        let start = self.out.len();
        value.serialize(Writer {
            out: &mut *self.out,
        })?;
        let end = self.out.len();
        self.out.members.push((key, start..end));
        Ok(())
    }

    fn close(self) -> Result<(), Error> {
        let Text {
            bytes,
            members,
            aside,
        } = self.out;
        if !self.in_order {
            aside.clear();
            aside.extend_from_slice(&bytes[self.start..]);
            bytes.truncate(self.start);
            let mine = &mut members[self.first_member..];
            // Stable: of a key given twice (a flattened map, say), the later value wins, as in a
            // `Value`.
            mine.sort_by(|a, b| utf16_order(&a.0, &b.0));
            let mut first = true;
            for (i, (key, range)) in mine.iter().enumerate() {
                if mine.get(i + 1).is_some_and(|next| next.0 == *key) {
                    continue;
                }
                if !std::mem::take(&mut first) {
                    bytes.push(b',');
                }
                leaf(bytes, key.as_ref())?;
                bytes.push(b':');
                bytes.extend_from_slice(&aside[range.start - self.start..range.end - self.start]);
            }
        }
        members.truncate(self.first_member);
        bytes.push(b'}');
        if self.in_variant {
            bytes.push(b'}');
        }
        Ok(())
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = Error;
    /// A key as serde_json makes it a string: strings as they are, numbers and bools written out.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(match serde_json::to_value(key)? {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => {
                return Err(Error(
                    "a map key must be a string, a number or a bool".into(),
                ));
            }
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .expect("serialize_value follows serialize_key");
        self.member(Cow::Owned(key), value)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// serde's two struct traits, each member by its field name.
macro_rules! struct_like {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Object<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.member(Cow::Borrowed(key), value)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

struct_like!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// The definition the streaming writer must meet: the `Value` tree, keys sorted as it is written.
    fn through_a_tree(value: &Value) -> String {
        fn write(value: &Value, out: &mut String) {
            match value {
                Value::Object(map) => {
                    let mut entries: Vec<_> = map.iter().collect();
                    entries.sort_by(|a, b| utf16_order(a.0, b.0));
                    out.push('{');
                    for (i, (k, v)) in entries.into_iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(&serde_json::to_string(k).unwrap());
                        out.push(':');
                        write(v, out);
                    }
                    out.push('}');
                }
                Value::Array(items) => {
                    out.push('[');
                    for (i, v) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        write(v, out);
                    }
                    out.push(']');
                }
                leaf => out.push_str(&serde_json::to_string(leaf).unwrap()),
            }
        }
        let mut out = String::new();
        write(value, &mut out);
        out
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            // Keys and strings outside the BMP, controls, quotes and CJK.
            "[a-zA-Z0-9\"\\\\\u{0}-\u{1f}中文\u{FF21}\u{1F600}]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z\u{FF21}\u{1F600}_]{0,4}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn keys_are_sorted_and_whitespace_dropped() {
        let v: Value =
            serde_json::from_str(r#"{ "b": [1, {"z": "中", "a": null}], "a": "x\n" }"#).unwrap();
        assert_eq!(
            to_string(&v).unwrap(),
            r#"{"a":"x\n","b":[1,{"a":null,"z":"中"}]}"#
        );
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // U+1F600 is a surrogate pair (0xD83D …) in UTF-16 and sorts before U+FF21, the reverse of
        // their UTF-8 order.
        let v: Value = serde_json::from_str("{\"\u{FF21}\": 2, \"\u{1F600}\": 1}").unwrap();
        assert_eq!(to_string(&v).unwrap(), "{\"\u{1F600}\":1,\"\u{FF21}\":2}");
    }

    proptest! {
        #[test]
        fn any_json_is_written_as_through_a_tree(value in any_json()) {
            prop_assert_eq!(to_string(&value).unwrap(), through_a_tree(&value));
        }
    }

    #[derive(Serialize)]
    enum Shape {
        Empty,
        Wrapped(u8),
        Pair(i32, String),
        Named { z: bool, a: Option<char> },
    }

    #[derive(Serialize)]
    struct Everything {
        zeta: Vec<Shape>,
        alpha: (u8, f64, f64),
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        map: std::collections::BTreeMap<u32, &'static str>,
        flags: std::collections::HashMap<bool, ()>,
        #[serde(flatten)]
        rest: std::collections::BTreeMap<String, i8>,
        date: chrono::NaiveDate,
    }

    #[test]
    fn structs_enums_maps_and_flattened_members_come_out_as_their_value_tree() {
        let value = Everything {
            zeta: vec![
                Shape::Empty,
                Shape::Wrapped(7),
                Shape::Pair(-1, "中".into()),
                Shape::Named {
                    z: true,
                    a: Some('\u{1F600}'),
                },
            ],
            alpha: (1, 0.1, f64::NAN),
            skipped: None,
            map: [(10, "ten"), (9, "nine")].into_iter().collect(),
            flags: [(true, ())].into_iter().collect(),
            rest: [("beta".to_string(), 2), ("date".to_string(), 3)]
                .into_iter()
                .collect(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        };
        let tree = serde_json::to_value(&value).unwrap();
        assert_eq!(to_string(&value).unwrap(), through_a_tree(&tree));
    }

    #[test]
    fn a_key_that_is_no_string_is_refused() {
        let map: std::collections::BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into_iter().collect();
        assert!(to_string(&map).is_err());
        assert!(serde_json::to_value(&map).is_err());
    }
}
