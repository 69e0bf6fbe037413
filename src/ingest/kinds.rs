//! The kinds of input (DESIGN.md section 4): their columns under English and Chinese names, which
//! are required, and telling a file's kind from its header.

use clap::ValueEnum;
use serde::Serialize;

/// The kinds, in load order: enterprises before the licences that name them, licences before their
/// reviews, inspectors before their conflicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Enterprises,
    Licences,
    OnsiteReviews,
    Inspectors,
    SpotChecks,
    Conflicts,
    Violations,
}

/// One column of a kind.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    /// Chinese header names accepted for it.
    pub zh: &'static [&'static str],
    pub required: bool,
    /// An empty cell keeps the stored value (a new row gets the default): empty is not a
    /// deliberate blank here, so a blank 证书状态 never re-activates a revoked licence.
    pub blank_keeps: bool,
}

const fn req(name: &'static str, zh: &'static [&'static str]) -> Column {
    Column {
        name,
        zh,
        required: true,
        blank_keeps: false,
    }
}

const fn opt(name: &'static str, zh: &'static [&'static str]) -> Column {
    Column {
        name,
        zh,
        required: false,
        blank_keeps: false,
    }
}

/// An optional column whose empty cell keeps the stored value.
const fn kept(name: &'static str, zh: &'static [&'static str]) -> Column {
    Column {
        blank_keeps: true,
        ..opt(name, zh)
    }
}

const CREDIT_CODE: Column = req("credit_code", &["统一社会信用代码"]);
const LICENCE_NO: Column = req("licence_no", &["许可证编号"]);
const INSPECTOR_ID: Column = req("inspector_id", &["执法证号"]);
const CATEGORY: Column = req("category", &["产品类别"]);

const ENTERPRISES: &[Column] = &[
    CREDIT_CODE,
    req("name", &["企业名称"]),
    req("prefecture", &["所属地州市"]),
    req("county", &["所属区县"]),
    opt("address", &["地址"]),
    opt("email", &["联系邮箱"]),
];
const LICENCES: &[Column] = &[
    LICENCE_NO,
    CREDIT_CODE,
    CATEGORY,
    req("procedure", &["审批程序"]),
    req("grant_date", &["发证日期"]),
    opt("expiry", &["有效期至"]),
    opt("decision_date", &["决定日期"]),
    opt("e_cert_date", &["电子证书生成日期"]),
    kept("status", &["证书状态"]),
    opt("renewal_filed", &["延续申请日期"]),
    kept("renewal_direct", &["直接延续"]),
    opt("renews", &["原许可证编号"]),
    kept("major_change", &["生产条件重大变化"]),
    opt("issuer", &["发证机关"]),
];
const ONSITE_REVIEWS: &[Column] = &[
    LICENCE_NO,
    req("review_date", &["审查日期"]),
    req("outcome", &["审查结论"]),
];
const INSPECTORS: &[Column] = &[
    INSPECTOR_ID,
    req("name", &["姓名"]),
    req("prefecture", &["所属地州市"]),
    req("county", &["所属区县"]),
    req("qualifications", &["专业类别"]),
    opt("email", &["邮箱"]),
    kept("active", &["在岗"]),
];
const SPOT_CHECKS: &[Column] = &[
    opt("check_id", &["抽查编号"]),
    CREDIT_CODE,
    CATEGORY,
    req("check_date", &["抽查日期"]),
    req("result", &["检验结论"]),
    opt("items", &["不合格项目"]),
    opt("campaign", &["任务编号"]),
    opt("disposed", &["后处理完成日期", "处置日期"]),
];
const CONFLICTS: &[Column] = &[INSPECTOR_ID, CREDIT_CODE, opt("reason", &["回避原因"])];
const VIOLATIONS: &[Column] = &[
    CREDIT_CODE,
    req("date", &["日期"]),
    req("kind", &["类型"]),
    opt("description", &["说明"]),
];

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Enterprises,
        Kind::Licences,
        Kind::OnsiteReviews,
        Kind::Inspectors,
        Kind::SpotChecks,
        Kind::Conflicts,
        Kind::Violations,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Enterprises => "enterprises",
            Kind::Licences => "licences",
            Kind::OnsiteReviews => "onsite-reviews",
            Kind::Inspectors => "inspectors",
            Kind::SpotChecks => "spot-checks",
            Kind::Conflicts => "conflicts",
            Kind::Violations => "violations",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Kind::Enterprises => ENTERPRISES,
            Kind::Licences => LICENCES,
            Kind::OnsiteReviews => ONSITE_REVIEWS,
            Kind::Inspectors => INSPECTORS,
            Kind::SpotChecks => SPOT_CHECKS,
            Kind::Conflicts => CONFLICTS,
            Kind::Violations => VIOLATIONS,
        }
    }

    /// Maps a file's header onto this kind's columns.
    pub fn map_header(self, header: &[String]) -> HeaderMap {
        let normalised: Vec<String> = header.iter().map(|h| normalise_header(h)).collect();
        let index = self
            .columns()
            .iter()
            .map(|c| {
                normalised
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| *h == c.name || c.zh.contains(&h.as_str()))
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        HeaderMap { kind: self, index }
    }
}

/// Where each of a kind's columns sits in a file (by the kind's column order). A column may sit in
/// several places — a JSON file whose objects name it in English in some and in Chinese in others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMap {
    pub kind: Kind,
    pub index: Vec<Vec<usize>>,
}

impl HeaderMap {
    pub fn matched(&self) -> usize {
        self.index.iter().filter(|i| !i.is_empty()).count()
    }

    /// Required columns the file lacks.
    pub fn missing(&self) -> Vec<&'static str> {
        self.kind
            .columns()
            .iter()
            .zip(&self.index)
            .filter(|(c, i)| c.required && i.is_empty())
            .map(|(c, _)| c.name)
            .collect()
    }

    /// The positions in a row of the column `name`.
    pub fn positions(&self, name: &str) -> &[usize] {
        self.kind
            .columns()
            .iter()
            .position(|c| c.name == name)
            .map_or(&[], |i| &self.index[i])
    }
}

/// Trims, drops a BOM and spaces, lower-cases ASCII, and reads full-width brackets as ASCII.
fn normalise_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error(
        "header names no known column (expected the columns of one of: {})",
        kind_names()
    )]
    NoKnownColumns,
    #[error("header fits no kind completely: as {kind} it lacks {}", .missing.join(", "))]
    Incomplete {
        kind: &'static str,
        missing: Vec<&'static str>,
    },
    #[error("header fits {0} and {1} equally; give --kind")]
    Ambiguous(&'static str, &'static str),
    #[error("as {kind} the header lacks the required column(s) {}", .missing.join(", "))]
    Missing {
        kind: &'static str,
        missing: Vec<&'static str>,
    },
}

fn kind_names() -> String {
    Kind::ALL.map(Kind::name).join(", ")
}

/// The kind whose required columns the header has, preferring the one that explains most of it.
pub fn detect(header: &[String]) -> Result<HeaderMap, HeaderError> {
    let maps: Vec<HeaderMap> = Kind::ALL.iter().map(|k| k.map_header(header)).collect();
    let mut complete: Vec<&HeaderMap> = maps.iter().filter(|m| m.missing().is_empty()).collect();
    // Most columns explained first; among equals, the kind with fewer columns left unexplained.
    complete.sort_by_key(|m| {
        (
            std::cmp::Reverse(m.matched()),
            m.kind.columns().len() - m.matched(),
        )
    });
    match complete.as_slice() {
        [] => {
            let best = maps
                .iter()
                .max_by_key(|m| m.matched())
                .expect("there are kinds");
            if best.matched() == 0 {
                Err(HeaderError::NoKnownColumns)
            } else {
                Err(HeaderError::Incomplete {
                    kind: best.kind.name(),
                    missing: best.missing(),
                })
            }
        }
        [only] => Ok((*only).clone()),
        [a, b, ..] => {
            let score = |m: &HeaderMap| (m.matched(), m.kind.columns().len() - m.matched());
            if score(a) == score(b) {
                Err(HeaderError::Ambiguous(a.kind.name(), b.kind.name()))
            } else {
                Ok((*a).clone())
            }
        }
    }
}

/// The header mapped as `kind`, with every required column present.
pub fn map_as(kind: Kind, header: &[String]) -> Result<HeaderMap, HeaderError> {
    let map = kind.map_header(header);
    if map.matched() == 0 {
        return Err(HeaderError::NoKnownColumns);
    }
    let missing = map.missing();
    if !missing.is_empty() {
        return Err(HeaderError::Missing {
            kind: kind.name(),
            missing,
        });
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn chinese_and_english_headers_detect_the_same_kind() {
        let zh = header(&[
            "\u{feff}许可证编号",
            "统一社会信用代码",
            "产品类别",
            "审批程序",
            "发证日期",
        ]);
        let en = header(&[
            "licence_no",
            "credit_code",
            "category",
            "procedure",
            "Grant_Date ",
        ]);
        assert_eq!(detect(&zh).unwrap().kind, Kind::Licences);
        assert_eq!(detect(&en).unwrap().kind, Kind::Licences);
        assert_eq!(detect(&zh).unwrap().positions("grant_date"), &[4]);
    }

    #[test]
    fn every_kind_is_told_apart_by_its_full_header() {
        for kind in Kind::ALL {
            let h: Vec<String> = kind.columns().iter().map(|c| c.zh[0].to_string()).collect();
            assert_eq!(detect(&h).unwrap().kind, kind, "{h:?}");
            let h: Vec<String> = kind.columns().iter().map(|c| c.name.to_string()).collect();
            assert_eq!(detect(&h).unwrap().kind, kind, "{h:?}");
        }
    }

    #[test]
    fn conflicts_and_spot_checks_need_no_optional_columns() {
        assert_eq!(
            detect(&header(&["执法证号", "统一社会信用代码"]))
                .unwrap()
                .kind,
            Kind::Conflicts
        );
    }

    #[test]
    fn unknown_and_incomplete_headers_say_what_is_missing() {
        assert_eq!(
            detect(&header(&["foo", "bar"])),
            Err(HeaderError::NoKnownColumns)
        );
        let err = detect(&header(&["许可证编号", "审查日期"])).unwrap_err();
        assert_eq!(
            err,
            HeaderError::Incomplete {
                kind: "onsite-reviews",
                missing: vec!["outcome"]
            }
        );
        let err = map_as(Kind::Licences, &header(&["licence_no", "credit_code"])).unwrap_err();
        assert!(
            err.to_string().contains("category, procedure, grant_date"),
            "{err}"
        );
    }
}
