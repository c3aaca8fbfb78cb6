//! Ordinary official prose, for throughput benchmarks: most of what agencies write holds no
//! personal data at all, so a realistic corpus is mostly sentences like these with a templated
//! document (and its planted values) every few kilobytes.

use crate::generate;
use fastrand::Rng;

const SUBJECTS: &[&str] = &[
    "本府",
    "本局",
    "各機關",
    "承辦單位",
    "本案",
    "本計畫",
    "該公所",
    "本處",
    "各區公所",
    "本委員會",
    "主管機關",
    "本部",
    "各級學校",
    "相關單位",
    "本中心",
    "業務單位",
    "本署",
    "各分局",
];
const VERBS: &[&str] = &[
    "業已完成",
    "將於近期辦理",
    "應依規定辦理",
    "持續推動",
    "已函請",
    "擬具",
    "配合辦理",
    "積極協調",
    "彙整",
    "檢討修正",
    "賡續執行",
    "陳報",
    "審慎評估",
    "召開會議研商",
    "督導",
    "研擬",
];
const OBJECTS: &[&str] = &[
    "年度預算執行情形",
    "道路養護工程",
    "社會福利補助方案",
    "資訊安全管理制度",
    "防災演練計畫",
    "都市更新審議事項",
    "環境品質監測報告",
    "公共設施維護作業",
    "人員教育訓練",
    "採購作業程序",
    "文書檔案管理",
    "為民服務品質",
    "長期照顧服務",
    "交通改善措施",
    "節能減碳政策",
    "數位轉型推動事宜",
    "公有房舍修繕",
    "觀光發展策略",
];
const TAILS: &[&str] = &[
    "，請查照。",
    "，以利後續作業。",
    "，並副知相關單位。",
    "，俾利執行。",
    "，請於期限內回復。",
    "。",
    "，敬請配合。",
    "，並將辦理情形列入管考。",
    "，以維公共利益。",
    "，提升行政效能。",
];

fn sentence(r: &mut Rng, out: &mut String) {
    out.push_str(SUBJECTS[r.usize(..SUBJECTS.len())]);
    out.push_str(VERBS[r.usize(..VERBS.len())]);
    out.push_str(OBJECTS[r.usize(..OBJECTS.len())]);
    match r.usize(..6) {
        0 => out.push_str(&format!("，經費計新臺幣{}萬元", r.u32(10..9999))),
        1 => out.push_str(&format!(
            "，預定於{}年{}月底前完成",
            r.u32(113..116),
            r.u32(1..=12)
        )),
        2 => out.push_str(&format!("，目前執行率{}%", r.u32(10..100))),
        _ => {}
    }
    out.push_str(TAILS[r.usize(..TAILS.len())]);
}

/// About `bytes` bytes of prose with a templated document every 2-8 KB.
pub fn corpus(seed: u64, bytes: usize) -> String {
    let mut r = Rng::with_seed(seed);
    let mut out = String::with_capacity(bytes + 4096);
    let mut docs = generate(seed, 4096).into_iter().cycle();
    while out.len() < bytes {
        let para_end = out.len() + r.usize(2048..8192);
        while out.len() < para_end {
            for _ in 0..r.usize(2..6) {
                sentence(&mut r, &mut out);
            }
            out.push('\n');
        }
        if let Some(d) = docs.next() {
            out.push_str(&d.text);
            out.push('\n');
        }
    }
    out
}
