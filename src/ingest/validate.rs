//! Validation, row by row: required fields, credit-code check characters, categories known and in
//! scope, divisions known, dates real and consistent, references resolving. A row either becomes a
//! record or is rejected with every bad field and its reason.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;

use super::kinds::{HeaderMap, Kind};
use super::read::{Cell, MAX_FIELD_CHARS, RawRow};
use crate::calendar::in_span;
use crate::catalogue::Catalogue;
use crate::credit_code::CreditCode;
use crate::dates::{normalise, parse_date};
use crate::divisions::Divisions;
use crate::mail::{is_address, split_addresses};
use crate::model::{
    CheckResult, Conflict, Enterprise, Inspector, Licence, LicenceStatus, MEASURES_IN_FORCE,
    OPEN_ENDED, OnsiteReview, Procedure, ReviewOutcome, SpotCheck, Violation, ViolationKind,
    parse_yes_no,
};
use crate::store::Record;

/// A rejected field of a row, or the whole row when `field` is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    pub row: usize,
    pub field: String,
    pub value: String,
    pub reason: String,
}

/// What references resolve against: the store's keys plus those landed by earlier files of the
/// same command.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub enterprises: HashSet<String>,
    /// Licence number → grant date.
    pub licences: HashMap<String, NaiveDate>,
    pub inspectors: HashSet<String>,
}

/// The reference data validation reads.
pub struct Validator<'a> {
    pub catalogue: &'a Catalogue,
    pub divisions: &'a Divisions,
    pub known: &'a Known,
}

/// A record kind that can be read from a row.
pub trait Ingest: Record + Sized {
    const KIND: Kind;
    fn from_row(row: &Row, v: &Validator) -> Self;
    /// Makes the record known to later files of the same command.
    fn register(&self, known: &mut Known);
}

/// One row being read, collecting what is wrong with it.
pub struct Row<'a> {
    raw: &'a RawRow,
    map: &'a HeaderMap,
    rejects: std::cell::RefCell<Vec<Reject>>,
}

impl<'a> Row<'a> {
    pub fn new(raw: &'a RawRow, map: &'a HeaderMap) -> Self {
        Row {
            raw,
            map,
            rejects: Default::default(),
        }
    }

    /// Reads the row as `T`, or every reason it cannot be.
    pub fn read<T: Ingest>(self, v: &Validator, width: usize) -> Result<T, Vec<Reject>> {
        if self.raw.cells.len() > width && self.raw.cells[width..].iter().any(|c| *c != Cell::Empty)
        {
            self.reject(
                "",
                "",
                format!(
                    "row has {} fields, the header {width}",
                    self.raw.cells.len()
                ),
            );
        }
        let record = T::from_row(&self, v);
        let rejects = self.rejects.into_inner();
        if rejects.is_empty() {
            Ok(record)
        } else {
            Err(rejects)
        }
    }

    fn reject(&self, field: &str, value: &str, reason: impl Into<String>) {
        self.rejects.borrow_mut().push(Reject {
            row: self.raw.number,
            field: field.to_string(),
            value: value.chars().take(200).collect(),
            reason: reason.into(),
        });
    }

    /// The field's cell: the first non-empty one where the column appears more than once.
    fn cell(&self, field: &str) -> &Cell {
        static EMPTY: Cell = Cell::Empty;
        self.map
            .positions(field)
            .iter()
            .filter_map(|&i| self.raw.cells.get(i))
            .find(|c| **c != Cell::Empty)
            .unwrap_or(&EMPTY)
    }

    /// The trimmed text of an optional field; too long or undecodable text is rejected.
    fn text(&self, field: &str) -> Option<String> {
        let text = self.cell(field).text();
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        // A byte count bounds the characters: most cells need no count.
        if text.len() > MAX_FIELD_CHARS && text.chars().count() > MAX_FIELD_CHARS {
            self.reject(
                field,
                text,
                format!("longer than {MAX_FIELD_CHARS} characters"),
            );
            return None;
        }
        // U+FFFD is EF BF BD in UTF-8: ASCII text skips the search.
        if !text.is_ascii() && text.contains('\u{fffd}') {
            self.reject(
                field,
                text,
                "holds bytes that are not text in the file's encoding (try --encoding)",
            );
            return None;
        }
        Some(text.to_string())
    }

    /// A required field's text; an empty one is rejected.
    fn required(&self, field: &str) -> String {
        self.text(field).unwrap_or_else(|| {
            if self.rejects.borrow().iter().all(|r| r.field != field) {
                self.reject(field, "", "required");
            }
            String::new()
        })
    }

    /// A required identifier: full-width characters and spaces folded away (see [`Row::identifier`]).
    fn code(&self, field: &str) -> String {
        let text = normalise(&self.required(field));
        self.check_identifier(field, &text);
        text
    }

    /// An optional identifier, folded as [`Row::code`]. Identifiers name files and folders
    /// (an inspector's list, a campaign's draw), so one holding a path separator or a control
    /// character is refused.
    fn identifier(&self, field: &str) -> Option<String> {
        let text = normalise(&self.text(field)?);
        self.check_identifier(field, &text);
        Some(text)
    }

    fn check_identifier(&self, field: &str, text: &str) {
        if text.contains(['/', '\\']) || text.contains(char::is_control) {
            self.reject(
                field,
                text,
                "holds a path separator (/ \\) or a control character, which no identifier has",
            );
        }
    }

    /// A date the calendar can reach: a real day of 1949–2199, as written or as a workbook date.
    fn date(&self, field: &str) -> Option<NaiveDate> {
        let date = match self.cell(field) {
            Cell::Date(d) => Some(*d),
            Cell::Empty => None,
            _ => {
                let text = self.text(field)?;
                let parsed = parse_date(&text);
                if parsed.is_none() {
                    self.reject(
                        field,
                        &text,
                        "not a date (YYYY-MM-DD, YYYY/M/D or YYYY年M月D日)",
                    );
                }
                parsed
            }
        }?;
        if !in_span(date) {
            self.reject(
                field,
                &date.to_string(),
                "outside 1949–2199, the years the working-day calendar covers: check the year",
            );
            return None;
        }
        Some(date)
    }

    /// An expiry: a date, or open-ended — 长期 and its usual spellings, or 9999-12-31 as many
    /// systems export it — kept as [`OPEN_ENDED`].
    fn expiry(&self, field: &str) -> Option<NaiveDate> {
        const SPELLINGS: &[&str] = &["长期", "长期有效", "永久", "永久有效", "无期限"];
        let text = normalise(&self.cell(field).text());
        if SPELLINGS.contains(&text.as_str()) || parse_date(&text) == Some(OPEN_ENDED) {
            return Some(OPEN_ENDED);
        }
        self.date(field)
    }

    fn required_date(&self, field: &str) -> NaiveDate {
        if *self.cell(field) == Cell::Empty {
            self.reject(field, "", "required");
        }
        self.date(field).unwrap_or_default()
    }

    /// A closed set of values, read with `parse`; `default` when empty (None: required).
    fn choice<T: Copy>(
        &self,
        field: &str,
        parse: impl Fn(&str) -> Option<T>,
        allowed: &str,
        default: Option<T>,
    ) -> Option<T> {
        let Some(text) = self.text(field) else {
            if default.is_none() {
                self.reject(field, "", "required");
            }
            return default;
        };
        let parsed = parse(&text);
        if parsed.is_none() {
            self.reject(field, &text, format!("must be one of {allowed}"));
        }
        parsed
    }

    fn credit_code(&self, field: &str) -> String {
        let text = self.code(field);
        if text.is_empty() {
            return text;
        }
        match CreditCode::parse(&text) {
            Ok(code) => code.to_string(),
            Err(e) => {
                self.reject(field, &text, e.to_string());
                text
            }
        }
    }

    /// A credit code that must name an enterprise already known.
    fn enterprise_ref(&self, field: &str, v: &Validator) -> String {
        let code = self.credit_code(field);
        let valid = self.rejects.borrow().iter().all(|r| r.field != field);
        if valid && !code.is_empty() && !v.known.enterprises.contains(&code) {
            self.reject(
                field,
                &code,
                "no such enterprise in the store or in the enterprises files of this command",
            );
        }
        code
    }

    fn category(&self, field: &str, v: &Validator) -> String {
        let text = self.required(field);
        if text.is_empty() {
            return text;
        }
        match v.catalogue.resolve(&text) {
            Ok(c) => c.code.clone(),
            Err(e) => {
                self.reject(field, &text, e.to_string());
                text
            }
        }
    }

    /// (prefecture code, county code), the county checked to lie in the prefecture.
    fn divisions(&self, v: &Validator) -> (String, String) {
        let prefecture = self.required("prefecture");
        let county = self.required("county");
        if prefecture.is_empty() {
            return (prefecture, county);
        }
        let p = match v.divisions.prefecture(&prefecture) {
            Ok(p) => p.code.clone(),
            Err(e) => {
                self.reject("prefecture", &prefecture, e.to_string());
                return (prefecture, county);
            }
        };
        if county.is_empty() {
            return (p, county);
        }
        match v.divisions.county(&county, &p) {
            Ok(c) => (p, c.code.clone()),
            Err(e) => {
                self.reject("county", &county, e.to_string());
                (p, county)
            }
        }
    }

    /// E-mail addresses, each checked with the parser the mailer uses (lettre), so an address that
    /// lands is one the mailer accepts. Several in one cell (`;` `,` `、` or spaces between) are
    /// each checked and kept, joined by `; `.
    /// The issuing bureau (发证机关): the region (None, also when the cell is empty) or a prefecture
    /// bureau it delegated to, by division code or name.
    fn issuer(&self, field: &str, v: &Validator) -> Option<String> {
        let text = self.text(field)?;
        if v.divisions
            .province()
            .is_some_and(|p| p.code == text || p.name == text)
        {
            return None;
        }
        match v.divisions.prefecture(&text) {
            Ok(p) => Some(p.code.clone()),
            Err(_) => {
                self.reject(
                    field,
                    &text,
                    "not the region's bureau nor a prefecture (by name or division code)",
                );
                None
            }
        }
    }

    fn email(&self, field: &str) -> Option<String> {
        let text = self.text(field)?;
        let addresses = split_addresses(&text);
        for a in addresses.iter().filter(|a| !is_address(a)) {
            self.reject(field, a, "not an e-mail address the mailer accepts");
        }
        Some(addresses.join("; "))
    }

    fn later_than(&self, field: &str, date: Option<NaiveDate>, start: NaiveDate, what: &str) {
        if let Some(d) = date.filter(|d| *d < start) {
            self.reject(
                field,
                &d.to_string(),
                format!("is before the {what} ({start})"),
            );
        }
    }
}

impl Ingest for Enterprise {
    const KIND: Kind = Kind::Enterprises;
    fn from_row(row: &Row, v: &Validator) -> Self {
        let (prefecture, county) = row.divisions(v);
        Enterprise {
            credit_code: row.credit_code("credit_code"),
            name: row.required("name"),
            prefecture,
            county,
            address: row.text("address"),
            email: row.email("email"),
        }
    }
    fn register(&self, known: &mut Known) {
        known.enterprises.insert(self.credit_code.clone());
    }
}

impl Ingest for Licence {
    const KIND: Kind = Kind::Licences;
    fn from_row(row: &Row, v: &Validator) -> Self {
        let grant_date = row.required_date("grant_date");
        let expiry = row.expiry("expiry");
        if let Some(e) = expiry.filter(|e| *e <= grant_date) {
            row.reject(
                "expiry",
                &e.to_string(),
                format!("is not after the grant date ({grant_date})"),
            );
        }
        let decision_date = row.date("decision_date");
        let e_cert_date = row.date("e_cert_date");
        row.later_than(
            "e_cert_date",
            e_cert_date,
            decision_date.unwrap_or(grant_date),
            "decision",
        );
        let procedure = row
            .choice(
                "procedure",
                Procedure::parse,
                "简化/simplified, 常规/standard",
                None,
            )
            .unwrap_or(Procedure::Standard);
        if procedure == Procedure::Simplified && grant_date < MEASURES_IN_FORCE {
            row.reject(
                "grant_date",
                &grant_date.to_string(),
                format!(
                    "the simplified procedure applies from {MEASURES_IN_FORCE} (the measures' closing \
                     line): a licence granted before was granted by the standard procedure"
                ),
            );
        }
        let licence_no = row.code("licence_no");
        let renews = row.identifier("renews");
        if renews.as_ref() == Some(&licence_no) {
            row.reject("renews", &licence_no, "a licence cannot renew itself");
        }
        Licence {
            licence_no,
            credit_code: row.enterprise_ref("credit_code", v),
            category: row.category("category", v),
            procedure,
            grant_date,
            expiry,
            decision_date,
            e_cert_date,
            status: row
                .choice(
                    "status",
                    LicenceStatus::parse,
                    "有效, 注销, 撤销, 吊销, 过期",
                    Some(LicenceStatus::Active),
                )
                .unwrap_or(LicenceStatus::Active),
            renewal_filed: row.date("renewal_filed"),
            renewal_direct: row
                .choice("renewal_direct", parse_yes_no, "是/否", Some(false))
                .unwrap_or(false),
            renews,
            major_change: row
                .choice("major_change", parse_yes_no, "是/否", Some(false))
                .unwrap_or(false),
            issuer: row.issuer("issuer", v),
        }
    }
    fn register(&self, known: &mut Known) {
        known
            .licences
            .insert(self.licence_no.clone(), self.grant_date);
    }
}

impl Ingest for OnsiteReview {
    const KIND: Kind = Kind::OnsiteReviews;
    fn from_row(row: &Row, v: &Validator) -> Self {
        let licence_no = row.code("licence_no");
        let review_date = row.required_date("review_date");
        match v.known.licences.get(&licence_no) {
            Some(grant) => row.later_than("review_date", Some(review_date), *grant, "grant"),
            None if !licence_no.is_empty() => row.reject(
                "licence_no",
                &licence_no,
                "no such licence in the store or in the licences files of this command",
            ),
            None => {}
        }
        OnsiteReview {
            licence_no,
            review_date,
            outcome: row
                .choice("outcome", ReviewOutcome::parse, "合格, 整改, 不合格", None)
                .unwrap_or(ReviewOutcome::Pass),
        }
    }
    fn register(&self, _: &mut Known) {}
}

impl Ingest for Inspector {
    const KIND: Kind = Kind::Inspectors;
    fn from_row(row: &Row, v: &Validator) -> Self {
        let (prefecture, county) = row.divisions(v);
        let qualifications_text = row.required("qualifications");
        let mut qualifications = Vec::new();
        for part in qualifications_text
            .split([';', '；', '、', ',', '，'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match v.catalogue.resolve(part) {
                Ok(c) => qualifications.push(c.code.clone()),
                Err(e) => row.reject("qualifications", part, e.to_string()),
            }
        }
        qualifications.sort();
        qualifications.dedup();
        Inspector {
            inspector_id: row.code("inspector_id"),
            name: row.required("name"),
            prefecture,
            county,
            qualifications,
            email: row.email("email"),
            active: row
                .choice("active", parse_yes_no, "是/否", Some(true))
                .unwrap_or(true),
        }
    }
    fn register(&self, known: &mut Known) {
        known.inspectors.insert(self.inspector_id.clone());
    }
}

impl Ingest for SpotCheck {
    const KIND: Kind = Kind::SpotChecks;
    fn from_row(row: &Row, v: &Validator) -> Self {
        SpotCheck {
            check_id: row.identifier("check_id"),
            credit_code: row.enterprise_ref("credit_code", v),
            category: row.category("category", v),
            check_date: row.required_date("check_date"),
            result: row
                .choice("result", CheckResult::parse, "合格, 不合格", None)
                .unwrap_or(CheckResult::Pass),
            items: row.text("items"),
            campaign: row.identifier("campaign"),
            disposed: row.date("disposed"),
        }
    }
    fn register(&self, _: &mut Known) {}
}

impl Ingest for Conflict {
    const KIND: Kind = Kind::Conflicts;
    fn from_row(row: &Row, v: &Validator) -> Self {
        let inspector_id = row.code("inspector_id");
        if !inspector_id.is_empty() && !v.known.inspectors.contains(&inspector_id) {
            row.reject(
                "inspector_id",
                &inspector_id,
                "no such inspector in the store or in the inspectors files of this command",
            );
        }
        Conflict {
            inspector_id,
            credit_code: row.enterprise_ref("credit_code", v),
            reason: row.text("reason"),
        }
    }
    fn register(&self, _: &mut Known) {}
}

impl Ingest for Violation {
    const KIND: Kind = Kind::Violations;
    fn from_row(row: &Row, v: &Validator) -> Self {
        Violation {
            credit_code: row.enterprise_ref("credit_code", v),
            date: row.required_date("date"),
            kind: row
                .choice(
                    "kind",
                    ViolationKind::parse,
                    "违法/violation, 严重违法失信/黑名单/serious_dishonesty, 骗取/贿赂取得/improper_grant, 拒绝监督检查/refused_supervision",
                    None,
                )
                .unwrap_or(ViolationKind::Violation),
            description: row.text("description").unwrap_or_default(),
        }
    }
    fn register(&self, _: &mut Known) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::kinds::Kind;

    fn header(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|c| c.to_string()).collect()
    }

    fn row(cells: &[&str]) -> RawRow {
        RawRow {
            number: 7,
            cells: cells
                .iter()
                .map(|c| {
                    if c.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(c.to_string())
                    }
                })
                .collect(),
        }
    }

    fn read<T: Ingest>(
        kind: Kind,
        h: &[&str],
        cells: &[&str],
        known: &Known,
    ) -> Result<T, Vec<Reject>> {
        let catalogue = Catalogue::builtin();
        let divisions = Divisions::builtin();
        let v = Validator {
            catalogue: &catalogue,
            divisions: &divisions,
            known,
        };
        let map = kind.map_header(&header(h));
        Row::new(&row(cells), &map).read::<T>(&v, h.len())
    }

    const E_HEADER: &[&str] = &[
        "统一社会信用代码",
        "企业名称",
        "所属地州市",
        "所属区县",
        "联系邮箱",
    ];

    #[test]
    fn a_good_enterprise_row_normalises_codes_and_names_divisions_by_code() {
        let e: Enterprise = read(
            Kind::Enterprises,
            E_HEADER,
            &[
                "９１３５０１００m000100y43",
                " 天山电缆厂 ",
                "乌鲁木齐市",
                "650102",
                "",
            ],
            &Known::default(),
        )
        .unwrap();
        assert_eq!(e.credit_code, "91350100M000100Y43");
        assert_eq!(e.name, "天山电缆厂");
        assert_eq!(
            (e.prefecture.as_str(), e.county.as_str()),
            ("650100", "650102")
        );
    }

    #[test]
    fn every_bad_field_of_a_row_is_reported() {
        let err = read::<Enterprise>(
            Kind::Enterprises,
            E_HEADER,
            &["91350100M000100Y44", "", "乌鲁木齐", "天山区", "not-mail"],
            &Known::default(),
        )
        .unwrap_err();
        let fields: Vec<&str> = err.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(fields, vec!["prefecture", "credit_code", "name", "email"]);
        assert!(err.iter().all(|r| r.row == 7));
        assert!(err[1].reason.contains("check character"));
    }

    const L_HEADER: &[&str] = &[
        "许可证编号",
        "统一社会信用代码",
        "产品类别",
        "审批程序",
        "发证日期",
        "有效期至",
    ];

    fn known_enterprise() -> Known {
        let mut known = Known::default();
        known.enterprises.insert("91350100M000100Y43".into());
        known
    }

    #[test]
    fn licences_check_category_scope_dates_and_references() {
        let known = known_enterprise();
        let l: Licence = read(
            Kind::Licences,
            L_HEADER,
            &[
                "XK13-001",
                "91350100M000100Y43",
                "钢丝绳",
                "简化",
                "2024年1月19日",
                "2029/1/18",
            ],
            &known,
        )
        .unwrap();
        assert_eq!(
            (l.category.as_str(), l.procedure),
            ("wire-rope", Procedure::Simplified)
        );
        assert_eq!(l.expiry, NaiveDate::from_ymd_opt(2029, 1, 18));

        let err = read::<Licence>(
            Kind::Licences,
            L_HEADER,
            &[
                "XK13-002",
                "91110108551385082Q",
                "危险化学品",
                "快速",
                "2024-02-30",
                "",
            ],
            &known,
        )
        .unwrap_err();
        let reasons: Vec<String> = err
            .iter()
            .map(|r| format!("{}: {}", r.field, r.reason))
            .collect();
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with("grant_date: not a date")),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with("credit_code: no such enterprise")),
            "{reasons:?}"
        );
        assert!(
            reasons.iter().any(|r| r.contains("不适用简化审批程序")),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with("procedure: must be one of")),
            "{reasons:?}"
        );

        let err = read::<Licence>(
            Kind::Licences,
            L_HEADER,
            &[
                "XK13-003",
                "91350100M000100Y43",
                "钢丝绳",
                "简化",
                "2024-01-19",
                "2023-01-01",
            ],
            &known,
        )
        .unwrap_err();
        assert_eq!(err[0].field, "expiry");
    }

    #[test]
    fn a_review_before_its_grant_or_of_an_unknown_licence_is_rejected() {
        let mut known = Known::default();
        known
            .licences
            .insert("XK-1".into(), NaiveDate::from_ymd_opt(2024, 1, 19).unwrap());
        let h = &["licence_no", "review_date", "outcome"];
        assert!(
            read::<OnsiteReview>(
                Kind::OnsiteReviews,
                h,
                &["XK-1", "2024-02-01", "整改"],
                &known
            )
            .is_ok()
        );
        let err = read::<OnsiteReview>(
            Kind::OnsiteReviews,
            h,
            &["XK-1", "2024-01-01", "合格"],
            &known,
        )
        .unwrap_err();
        assert!(err[0].reason.contains("before the grant"), "{err:?}");
        let err = read::<OnsiteReview>(
            Kind::OnsiteReviews,
            h,
            &["XK-9", "2024-01-01", "合格"],
            &known,
        )
        .unwrap_err();
        assert_eq!(err[0].field, "licence_no");
    }

    #[test]
    fn inspector_qualifications_split_on_any_separator() {
        let h = &[
            "执法证号",
            "姓名",
            "所属地州市",
            "所属区县",
            "专业类别",
            "在岗",
        ];
        let i: Inspector = read(
            Kind::Inspectors,
            h,
            &[
                "65010001",
                "王伟",
                "650100",
                "天山区",
                "钢丝绳、电线电缆; 化肥",
                "否",
            ],
            &Known::default(),
        )
        .unwrap();
        assert_eq!(
            i.qualifications,
            vec!["fertilizer", "wire-cable", "wire-rope"]
        );
        assert!(!i.active);
    }

    #[test]
    fn too_many_fields_long_fields_and_undecodable_text_are_row_errors() {
        let known = known_enterprise();
        let h = &["credit_code", "date", "kind"];
        let err = read::<Violation>(
            Kind::Violations,
            h,
            &["91350100M000100Y43", "2024-01-01", "违法", "extra"],
            &known,
        )
        .unwrap_err();
        assert!(err[0].reason.contains("4 fields"), "{err:?}");
        let long = "x".repeat(MAX_FIELD_CHARS + 1);
        let err = read::<Violation>(
            Kind::Violations,
            &["credit_code", "date", "kind", "description"],
            &["91350100M000100Y43", "2024-01-01", "违法", &long],
            &known,
        )
        .unwrap_err();
        assert!(err[0].reason.contains("longer than"), "{err:?}");
        assert_eq!(err[0].value.chars().count(), 200);
        let err = read::<Violation>(
            Kind::Violations,
            h,
            &["91350100M000100Y43", "2024-01-01", "违\u{fffd}"],
            &known,
        )
        .unwrap_err();
        assert!(err[0].reason.contains("encoding"), "{err:?}");
    }
}
