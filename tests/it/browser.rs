//! Every kind of HTML page licwatch writes, opened in a real browser (headless Chromium, which
//! `scripts/test` installs when missing) at 1280 px and at a phone's 375 px: nothing overflows the
//! page sideways, no picture is broken, no table or card header a reader sees is in English.
//! Screenshots land in `target/browser/` for a person to look at.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

const AS_OF: &str = "2026-11-26";

/// The browser: `LICWATCH_CHROMIUM`, else Debian's `chromium`.
fn chromium() -> String {
    std::env::var("LICWATCH_CHROMIUM").unwrap_or_else(|_| "chromium".into())
}

fn browser_args(width: u32) -> Vec<String> {
    vec![
        "--headless".into(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--hide-scrollbars".into(),
        "--allow-file-access-from-files".into(),
        // Chromium keeps a window at least 500 px wide; the page's own width is its frame's.
        format!("--window-size={},1600", width.max(500)),
        "--virtual-time-budget=3000".into(),
    ]
}

/// What the page says of itself once loaded, measured in the browser.
#[derive(Debug, serde::Deserialize)]
struct Measured {
    overflow: i64,
    width: i64,
    broken: Vec<String>,
    images: usize,
    headers: Vec<String>,
}

/// A page beside `page` that shows it in a frame `width` px wide (Chromium's window is at least
/// 500 px, a phone is 375) and, once loaded, writes what it measured inside the frame into a
/// `<pre id="probe">`.
fn frame(page: &Path, width: u32) -> PathBuf {
    let name = page
        .file_name()
        .unwrap()
        .to_string_lossy()
        .replace('"', "%22");
    let wrapper = page.with_extension(format!("frame{width}.html"));
    std::fs::write(
        &wrapper,
        format!(
            r#"<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="f" src="{name}" style="width:{width}px;height:1600px;border:0;display:block"></iframe>
<script>
window.addEventListener('load', function () {{
  var f = document.getElementById('f'), d = f.contentDocument, w = f.contentWindow;
  var imgs = Array.prototype.slice.call(d.images);
  var heads = Array.prototype.slice.call(d.querySelectorAll('th, td > span'))
      .map(function (e) {{ return e.textContent.trim(); }});
  var out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({{
    overflow: d.documentElement.scrollWidth - w.innerWidth,
    width: w.innerWidth,
    broken: imgs.filter(function (i) {{ return !(i.complete && i.naturalWidth > 0); }})
                .map(function (i) {{ return i.getAttribute('src'); }}),
    images: imgs.length,
    headers: heads
  }});
  document.body.appendChild(out);
}});
</script></body></html>"#
        ),
    )
    .unwrap();
    wrapper
}

/// Opens `page` at `width` px in headless Chromium and reads what it measured.
fn measure(page: &Path, width: u32) -> Measured {
    let wrapper = frame(page, width);
    let out = Command::new(chromium())
        .args(browser_args(width))
        .arg("--dump-dom")
        .arg(format!("file://{}", wrapper.display()))
        .output()
        .unwrap_or_else(|e| panic!("{} cannot run ({e}); scripts/test installs it", chromium()));
    std::fs::remove_file(&wrapper).unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom
        .find("<pre id=\"probe\">")
        .unwrap_or_else(|| panic!("no probe output for {}: {dom}", page.display()))
        + "<pre id=\"probe\">".len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let text = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A screenshot of the page in its `width`-px frame, under `target/browser/`.
fn screenshot(page: &Path, width: u32, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}-{width}.png"));
    let wrapper = frame(page, width);
    let ok = Command::new(chromium())
        .args(browser_args(width))
        .arg(format!("--screenshot={}", file.display()))
        .arg(format!("file://{}", wrapper.display()))
        .output()
        .unwrap();
    std::fs::remove_file(&wrapper).unwrap();
    assert!(
        ok.status.success() && file.exists(),
        "screenshot of {}",
        page.display()
    );
}

/// The first `.html` under `dir` whose name contains `part`.
fn page(dir: &Path, part: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = walk(dir)
        .into_iter()
        .filter(|p| {
            p.extension().is_some_and(|e| e == "html")
                && p.file_name().unwrap().to_string_lossy().contains(part)
        })
        .collect();
    found.sort();
    found
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no page named *{part}* under {}", dir.display()))
}

#[tokio::test]
async fn every_page_reads_at_1280_and_375_px_in_a_real_browser() {
    if engine() != "sqlite" {
        return; // what a page looks like does not depend on the engine
    }
    let db = TestDb::new().await;
    let out = db.run(&["demo", "--as-of", AS_OF]);
    assert!(out.status.success(), "{}", stderr(&out));
    let week = db.dir.path().join("reports/out/2026-W48");

    // A drawn check's result recorded under the campaign, so the results notice has a line.
    let assignments = walk(&week)
        .into_iter()
        .find(|p| p.file_name().unwrap() == "assignments.json")
        .expect("the demo draws");
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&assignments).unwrap()).unwrap();
    let store = db.store().await;
    let category = store
        .catalogue()
        .await
        .unwrap()
        .resolve(rows[0]["category"].as_str().unwrap())
        .unwrap()
        .code
        .clone();
    let campaign = assignments
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .trim_start_matches("draw-")
        .rsplit_once('-')
        .unwrap()
        .0
        .to_string();
    store
        .upsert(&[licwatch::model::SpotCheck {
            check_id: Some("CC-BROWSER-1".into()),
            credit_code: rows[0]["credit_code"].as_str().unwrap().into(),
            category,
            check_date: d(AS_OF),
            result: licwatch::model::CheckResult::Fail,
            items: Some("标志和说明".into()),
            campaign: Some(campaign),
            disposed: None,
        }])
        .await
        .unwrap();
    store.close().await;
    let out = db.run(&["report", "results", "--as-of", AS_OF]);
    assert!(out.status.success(), "{}", stderr(&out));

    let pages = [
        ("index", page(&week, "index")),
        ("weekly-region", page(&week.join("weekly"), "全区")),
        ("weekly-bureau", page(&week.join("weekly"), "乌鲁木齐市")),
        ("alert", page(&week.join("alerts"), "")),
        ("risk", page(&week.join("risk"), "")),
        ("assignment", page(&week, "抽查任务-")),
        ("reminder", page(&week.join("reminders"), "")),
        ("plan-notice", page(&week, "抽查计划公告")),
        ("results-notice", page(&week, "抽查结果公告")),
    ];
    let english = regex_free_english;
    let mut failures = Vec::new();
    for (name, file) in &pages {
        for width in [1280u32, 375] {
            let m = measure(file, width);
            assert_eq!(
                m.width,
                i64::from(width),
                "{name}: the window is {width} px"
            );
            if m.overflow > 0 {
                failures.push(format!(
                    "{name} at {width} px overflows by {} px",
                    m.overflow
                ));
            }
            if !m.broken.is_empty() {
                failures.push(format!("{name}: broken pictures {:?}", m.broken));
            }
            for h in m.headers.iter().filter(|h| english(h)) {
                failures.push(format!("{name}: header in English: {h}"));
            }
            screenshot(file, width, name);
        }
    }
    // The pages that carry pictures show them.
    for name in ["weekly-region", "risk"] {
        let file = &pages.iter().find(|(n, _)| *n == name).unwrap().1;
        assert!(measure(file, 1280).images >= 1, "{name} has its charts");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A header with a run of three Latin letters: an English code left where a person reads.
fn regex_free_english(text: &str) -> bool {
    text.chars()
        .collect::<Vec<_>>()
        .windows(3)
        .any(|w| w.iter().all(|c| c.is_ascii_alphabetic()))
}
