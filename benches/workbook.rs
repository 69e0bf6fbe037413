//! The assignment mails' workbooks alone: 20,000 workbooks of one or two checks each, as a national
//! draw's mails carry, one after another on one core. Run: `cargo bench --bench workbook`.

use std::collections::HashMap;
use std::time::Instant;

use licwatch::report::assignments::COLUMNS;
use licwatch::report::{Table, xlsx};

fn main() {
    let tables: Vec<Table> = (0..20_000)
        .map(|i| {
            // A check as an assignment mail's table holds it, cell by column.
            let lines: Vec<HashMap<&str, String>> = (0..1 + i % 2)
                .map(|j| {
                    let cells = [
                        format!("新疆第{i}号电线电缆有限公司"),
                        format!("91650100{i:09}X"),
                        format!("乌鲁木齐市经济技术开发区第{j}路{i}号"),
                        "乌鲁木齐市".into(),
                        "米东区".into(),
                        "电线电缆".into(),
                        if j == 0 { "组长" } else { "组员" }.into(),
                        format!("张{i}（65{i:06}）"),
                        format!("李{i}（65{:06}）", i + 1),
                    ];
                    COLUMNS.iter().copied().zip(cells).collect()
                })
                .collect();
            let mut table = Table::from_rows("我的检查任务", &lines, COLUMNS);
            table.shown = 0;
            table
        })
        .collect();
    let started = Instant::now();
    let mut bytes = 0;
    for table in &tables {
        bytes += xlsx::workbook(&[table], "双随机抽查任务通知 张三 同志")
            .expect("a workbook")
            .len();
    }
    let took = started.elapsed();
    println!(
        "{} workbooks, {:.1} MB: {:.2} s, {:.3} ms each",
        tables.len(),
        bytes as f64 / 1e6,
        took.as_secs_f64(),
        took.as_secs_f64() * 1e3 / tables.len() as f64
    );
}
