//! The vocabulary of the synthetic data: names, roads, failure items, and how common and how
//! failure-prone each category is and how much industry each prefecture holds.

use chrono::NaiveDate;

/// The day the 2018 measures took effect; no simplified-procedure grant predates it.
pub(super) fn measures_effective() -> NaiveDate {
    NaiveDate::from_ymd_opt(2018, 7, 10).expect("valid")
}

pub(super) const TRADE_NAMES: &[&str] = &[
    "天山", "金丰", "宏达", "华信", "西域", "瑞祥", "恒通", "昆仑", "丝路", "博源", "新运", "鑫隆",
    "众诚", "汇丰", "德润", "晨光", "雪莲", "胡杨", "天润", "广汇",
];
pub(super) const COMPANY_FORMS: &[&str] =
    &["有限公司", "有限责任公司", "股份有限公司", "制造有限公司"];
pub(super) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "马", "周", "吴", "徐", "孙", "胡", "朱", "高",
];
pub(super) const GIVEN: &[&str] = &[
    "伟", "芳", "军", "静", "磊", "敏", "强", "丽", "洋", "艳", "勇", "娟", "涛", "明", "超", "霞",
];
pub(super) const UYGHUR_NAMES: &[&str] = &[
    "艾力·买买提",
    "阿不都·热合曼",
    "古丽·艾山",
    "买买提·吐尔逊",
    "热依拉·阿布都",
    "努尔兰·哈力克",
];
pub(super) const ROADS: &[&str] = &[
    "人民", "解放", "新华", "友好", "建设", "团结", "光明", "长江", "黄河", "北京",
];
pub(super) const FAILED_ITEMS: &[&str] = &[
    "标志和说明",
    "外观质量",
    "尺寸偏差",
    "力学性能",
    "化学成分",
    "耐久性能",
    "安全性能",
];
pub(super) const CONFLICT_REASONS: &[&str] =
    &["亲属关系", "曾在该企业任职", "近两年内与该企业有经济往来"];
pub(super) const VIOLATION_TEXTS: &[&str] = &[
    "无证生产",
    "抽查不合格拒不整改",
    "伪造检验报告",
    "超范围生产",
];

/// A short trade word for a category, as it would appear in a company name.
pub(super) fn trade_word(code: &str) -> &'static str {
    match code {
        "ppe" => "劳保用品",
        "wire-cable" => "电线电缆",
        "refractory" => "耐火材料",
        "scaffold-coupler" => "建筑器材",
        "waterproof-membrane" => "防水材料",
        "hazchem-packaging" => "包装容器",
        "brake-fluid" => "化工",
        "wood-panel" => "木业",
        "fertilizer" => "化肥",
        "grinding-wheel" => "磨料磨具",
        "feed-grinder" => "农牧机械",
        "construction-winch" => "起重机械",
        "wire-rope" => "钢丝绳",
        "light-lifting" => "起重设备",
        "prestressing-steel" => "钢材",
        "concrete-sleeper" => "轨枕",
        "lifesaving" => "救生器材",
        _ => "实业",
    }
}

/// How often a category's products fail a spot check, in percent: some trades are harder.
pub(super) fn failure_percent(code: &str) -> u32 {
    match code {
        "wire-cable" | "waterproof-membrane" | "ppe" => 12,
        "fertilizer" | "wood-panel" | "scaffold-coupler" => 9,
        "lifesaving" | "wire-rope" | "prestressing-steel" => 5,
        _ => 7,
    }
}

/// How common a category is among licensed enterprises (relative weight). Three are deliberately
/// rare, so the demo's ranking shows 数据不足 beside categories ranked on their own data.
pub(super) fn prevalence(code: &str) -> u32 {
    match code {
        "wire-cable" | "waterproof-membrane" | "fertilizer" => 10,
        "wood-panel" | "refractory" | "scaffold-coupler" | "prestressing-steel" => 6,
        "ppe" | "hazchem-packaging" | "light-lifting" => 4,
        "feed-grinder" | "concrete-sleeper" | "construction-winch" => 1,
        _ => 3,
    }
}

/// The category whose failures rise in the demo's last week, so the ranking's change columns and
/// its 【预警】 show something.
pub(super) const RISING: &str = "lifesaving";

/// How much of the province's industry sits in a prefecture (relative weight).
pub(super) fn economic_weight(code: &str) -> u32 {
    match code {
        "650100" => 12,
        "652300" => 8,
        "654000" | "652800" => 6,
        "650200" | "652900" | "653100" => 4,
        _ => 2,
    }
}
