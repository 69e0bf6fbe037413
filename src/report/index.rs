//! The week's index, `reports/out/<period>/index.html`: one page linking every report of the period
//! with its headline figures, so a person who opens the folder has one place to start. Each run
//! adds what it wrote to `index.json` beside it (a later run of the same report replaces its line)
//! and the page is written again from that. Per-person mail (assignments, reminders, corrections)
//! is one line per kind with its count, not thousands.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::{Card, Document, Field, ReportKind};

/// One line of the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Where the kind sorts: the order of [`ReportKind`].
    pub order: u8,
    /// Within a kind, the region-wide document (scope `all`) first.
    pub region_first: u8,
    pub kind: String,
    pub title: String,
    /// The page, relative to the week's folder.
    pub link: String,
    /// (label, value) of the headline figures.
    pub figures: Vec<(String, String)>,
    /// What a later run's line replaces this one by: the page of a document, the folder of a
    /// kind's per-person mail.
    pub key: String,
}

/// The lines for documents written to `pages` (each document's HTML file), relative to `week`.
pub fn entries(docs: &[(&Document, &Path)], week: &Path) -> Vec<Entry> {
    let relative = |p: &Path| {
        p.strip_prefix(week)
            .unwrap_or(p)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    // Per-person mail: (kind, folder) → (the folder's first page, how many).
    let mut grouped: BTreeMap<(ReportKind, String), (String, usize)> = BTreeMap::new();
    let mut out = Vec::new();
    for (doc, page) in docs {
        if doc.kind.per_person() {
            let folder = page.parent().map(relative).unwrap_or_default();
            grouped
                .entry((doc.kind, folder))
                .or_insert_with(|| (relative(page), 0))
                .1 += 1;
            continue;
        }
        let link = relative(page);
        out.push(Entry {
            order: doc.kind as u8,
            region_first: u8::from(doc.scope != "all"),
            kind: doc.kind.label().into(),
            title: doc.title.clone(),
            figures: doc
                .headline
                .iter()
                .map(|f| (f.label.clone(), f.value.clone()))
                .collect(),
            key: link.clone(),
            link,
        });
    }
    out.extend(
        grouped
            .into_iter()
            .map(|((kind, folder), (link, count))| Entry {
                order: kind as u8,
                region_first: 1,
                kind: kind.label().into(),
                title: format!("{}（{count} 份，{folder}）", kind.label()),
                link,
                figures: Vec::new(),
                key: folder,
            }),
    );
    out
}

/// Adds `new` to the week's `index.json` (replacing lines with the same kind and key) and writes
/// `index.html` from it; returns the page's path.
pub fn update(week: &Path, period: &str, new: Vec<Entry>, footer: &str) -> anyhow::Result<PathBuf> {
    let json = week.join("index.json");
    let mut all: Vec<Entry> = match std::fs::read(&json) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!(file = %json.display(), error = %e, "the week's index does not parse: started afresh");
            Vec::new()
        }),
        Err(_) => Vec::new(),
    };
    for entry in new {
        all.retain(|e| (e.order, &e.key) != (entry.order, &entry.key));
        all.push(entry);
    }
    all.sort_by(|a, b| {
        (a.order, a.region_first, &a.title).cmp(&(b.order, b.region_first, &b.title))
    });
    std::fs::create_dir_all(week).with_context(|| format!("creating {}", week.display()))?;
    std::fs::write(&json, serde_json::to_vec_pretty(&all)?)
        .with_context(|| format!("writing {}", json.display()))?;
    let doc = Document {
        kind: ReportKind::Index,
        period: period.into(),
        scope: "all".into(),
        title: format!("{period} 报告索引"),
        subtitle: format!("本周期（{period}）生成的全部报告，共 {} 项", all.len()),
        paragraphs: vec!["点击标题打开报告；数字为各报告的要点。每个报告文件夹中另有工作簿（xlsx）与纯文本版本。".into()],
        headline: Vec::new(),
        tables: Vec::new(),
        charts: Vec::new(),
        cards: all
            .iter()
            .map(|e| Card {
                title: e.title.clone(),
                link: Some(e.link.clone()),
                fields: std::iter::once(Field::new("类型", &e.kind))
                    .chain((!e.figures.is_empty()).then(|| {
                        let figures: Vec<String> = e
                            .figures
                            .iter()
                            .map(|(label, value)| format!("{label} {value}"))
                            .collect();
                        Field::new("要点", figures.join(" · "))
                    }))
                    .collect(),
            })
            .collect(),
        files: Vec::new(),
        stem: "index".into(),
        recipients: Vec::new(),
    };
    let rendered = super::render(&doc, footer)?;
    let page = week.join("index.html");
    std::fs::write(&page, rendered.page).with_context(|| format!("writing {}", page.display()))?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Figure;

    fn doc(kind: ReportKind, title: &str) -> Document {
        Document {
            kind,
            period: "2026-W48".into(),
            scope: "x".into(),
            title: title.into(),
            subtitle: String::new(),
            paragraphs: Vec::new(),
            headline: vec![Figure::new("现场审查逾期", 3, true)],
            tables: Vec::new(),
            charts: Vec::new(),
            cards: Vec::new(),
            files: Vec::new(),
            stem: title.into(),
            recipients: Vec::new(),
        }
    }

    #[test]
    fn the_index_lists_reports_with_figures_and_groups_personal_mail() {
        let week = tempfile::tempdir().unwrap();
        let (weekly, a, b) = (
            doc(ReportKind::Weekly, "全区 周报"),
            doc(ReportKind::Assignment, "任务 甲"),
            doc(ReportKind::Assignment, "任务 乙"),
        );
        let pages = [
            week.path().join("weekly/全区.html"),
            week.path().join("draw-1/任务甲.html"),
            week.path().join("draw-1/任务乙.html"),
        ];
        let docs = [
            (&weekly, pages[0].as_path()),
            (&a, pages[1].as_path()),
            (&b, pages[2].as_path()),
        ];
        let page = update(week.path(), "2026-W48", entries(&docs, week.path()), "f").unwrap();
        let html = std::fs::read_to_string(&page).unwrap();
        assert!(
            html.contains(r#"href="weekly&#x2f;全区.html""#)
                || html.contains(r#"href="weekly/全区.html""#),
            "{html}"
        );
        assert!(html.contains("要点：</span>现场审查逾期 3"), "{html}");
        assert!(html.contains("抽查任务通知（2 份，draw-1）"), "{html}");
        // A second run of the weekly report replaces its line rather than adding one.
        update(
            week.path(),
            "2026-W48",
            entries(&docs[..1], week.path()),
            "f",
        )
        .unwrap();
        let all: Vec<Entry> =
            serde_json::from_slice(&std::fs::read(week.path().join("index.json")).unwrap())
                .unwrap();
        assert_eq!(all.len(), 2, "{all:?}");
    }
}
