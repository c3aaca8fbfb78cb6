//! Document templates. Each plants values with labels and mixes in hard negatives.

use crate::values::{self, pick};
use crate::{Doc, Kind};
use baomi_inspect::Level;
use fastrand::Rng;

/// Document types, in the order `generate` cycles through them.
pub const DOC_TYPES: [&str; 8] = [
    "陳情書",
    "網站回覆",
    "會議紀錄",
    "公文",
    "採購",
    "聊天訊息",
    "宣導文件",
    "統計報表",
];

fn districts() -> Vec<(String, Vec<String>)> {
    // The same township data the detector uses; the generator only reads facts from it.
    include_str!("../../inspect/data/districts.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut it = l.split_whitespace();
            let city = it.next().unwrap_or_default().to_string();
            (city, it.map(str::to_string).collect())
        })
        .collect()
}

/// Generates `n` documents from `seed`, cycling through the document types.
pub fn generate(seed: u64, n: usize) -> Vec<Doc> {
    let mut r = Rng::with_seed(seed);
    let d = districts();
    (0..n)
        .map(|i| one(&mut r, &d, DOC_TYPES[i % DOC_TYPES.len()]))
        .collect()
}

fn one(r: &mut Rng, d: &[(String, Vec<String>)], ty: &'static str) -> Doc {
    let mut doc = Doc::new(ty);
    match ty {
        "陳情書" => petition(r, d, &mut doc),
        "網站回覆" => web_reply(r, d, &mut doc),
        "會議紀錄" => minutes(r, d, &mut doc),
        "公文" => letter(r, d, &mut doc),
        "採購" => procurement(r, d, &mut doc),
        "聊天訊息" => chat(r, d, &mut doc),
        "宣導文件" => awareness(r, &mut doc),
        _ => statistics(r, &mut doc),
    }
    doc
}

fn date(r: &mut Rng) -> String {
    let (y, m, dd) = (r.u32(100..=114), r.u32(1..=12), r.u32(1..=28));
    match r.usize(..4) {
        0 => format!("{y}年{m}月{dd}日"),
        1 => format!("{y}.{m:02}.{dd:02}"),
        2 => format!("{}-{m:02}-{dd:02}", y + 1911),
        _ => format!("民國{y}年{m}月{dd}日"),
    }
}

/// Hard negatives: numbers and words that look like findings and are not.
fn distractor(r: &mut Rng, doc: &mut Doc) {
    let y = r.u32(105..=114);
    let s = match r.usize(..34) {
        30 => "請洽陳先生或林小姐".to_string(),
        31 => "本件非屬機密，得公開".to_string(),
        32 => "機密文件處理要點第5點".to_string(),
        33 => format!("王科長已於{}核閱", date(r)),
        16 => "申請人應檢附身分證明文件影本".to_string(),
        17 => "請出席委員會議之人員準時與會".to_string(),
        18 => "陳情人所陳事項，業經本局查明".to_string(),
        19 => "聯絡人：本局秘書室".to_string(),
        20 => format!("電話費{}元已繳納", fmt_amount(r.u64(100..99999))),
        21 => "高雄市政府與林口區公所召開協調會".to_string(),
        22 => format!("車輛編號第{}號", r.u32(1..99)),
        23 => format!("主席致詞後，由承辦人員報告{}年度業務", r.u32(105..114)),
        24 => format!("中山路與民生路口，約{}公尺處", r.u32(10..500)),
        25 => format!(
            "Tel: 1999 或 0800-{:03}-{:03} 服務專線",
            r.u32(0..999),
            r.u32(0..999)
        ),
        26 => format!(
            "版本 v{}.{}.{}，序號 SN{}",
            r.u32(1..9),
            r.u32(0..20),
            r.u32(0..99),
            r.u64(10_000_000..99_999_999)
        ),
        27 => format!(
            "經緯度 {}.{:06}, {}.{:06}",
            r.u32(21..26),
            r.u32(0..999999),
            r.u32(119..123),
            r.u32(0..999999)
        ),
        28 => "負責人員應於期限內完成，委員會另行通知".to_string(),
        29 => format!(
            "IP 位址 10.{}.{}.{}，MAC 00-1A-2B-3C-4D-5E",
            r.u8(0..255),
            r.u8(0..255),
            r.u8(1..255)
        ),
        0 => format!("本府{}府授秘字第{y}{:06}號函", date(r), r.u32(0..999999)),
        1 => format!("{y}年度偵字第{}號", r.u32(100..99999)),
        2 => format!("新臺幣{}元", fmt_amount(r.u64(1000..99_999_999))),
        3 => format!(
            "依刑法第{}條及個人資料保護法第{}條規定",
            r.u32(100..360),
            r.u32(1..56)
        ),
        4 => format!(
            "身分證字號欄位請勿填寫錯誤（例：{}為錯誤格式）",
            values::national_id(r, false)
        ),
        5 => format!("訂單編號{}", r.u32(10_000_000..99_999_999)),
        6 => format!("產品型號ABC-{}，請依規格採購", r.u32(1000..9999)),
        7 => "陳情人陳述略以，林業及自然保育署已派員張貼公告".to_string(),
        8 => format!("通過ISO-{}認證", r.u32(9000..9999)),
        9 => format!("統計至{}止，共計{}件", date(r), r.u32(1..999)),
        10 => "請同仁注意公務機密維護，機密文件不得以通訊軟體傳送".to_string(),
        11 => format!("會議室編號第{}號", r.u32(1..30)),
        12 => format!("案號：{y}{:07}", r.u32(0..9_999_999)),
        13 => format!("統一編號{}（檢核碼錯誤）", values::business_id(r, false)),
        14 => format!("分機{}", r.u32(100..9999)),
        _ => format!("第{}頁，共{}頁", r.u32(1..9), r.u32(9..20)),
    };
    doc.push(&s);
}

fn fmt_amount(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn classification_head(r: &mut Rng, doc: &mut Doc) {
    let levels = [Level::Mi, Level::Jimi, Level::Jijimi, Level::Juedui];
    let l = levels[r.usize(..4)];
    match r.usize(..5) {
        0 => {
            doc.plant_level(
                Kind::Classification,
                &format!("密等及解密條件或保密期限：{}", l.as_str()),
                Some(l),
            );
            doc.push(&format!("（{}解密）\n", date(r)));
        }
        1 => {
            doc.plant_level(
                Kind::Classification,
                &format!("密等：{}", l.as_str()),
                Some(l),
            );
            doc.push("\n");
        }
        2 => {
            doc.plant_level(Kind::Classification, l.as_str(), Some(l));
            doc.push("（限閱）\n");
        }
        3 => {
            doc.push("【");
            doc.plant_level(Kind::Classification, l.as_str(), Some(l));
            doc.push("】\n");
        }
        _ => {
            doc.plant_level(Kind::Classification, "密", Some(Level::Mi));
            doc.push("件\n");
        }
    }
}

fn unclassified_head(r: &mut Rng, doc: &mut Doc) {
    if r.bool() {
        doc.push("密等及解密條件或保密期限：普通\n");
    } else {
        doc.push("速別：普通件\n");
    }
}

fn head(r: &mut Rng, doc: &mut Doc, p_classified: usize) {
    if r.usize(..100) < p_classified {
        classification_head(r, doc);
    } else {
        unclassified_head(r, doc);
    }
    doc.push(&format!("發文日期：{}\n", date(r)));
    distractor(r, doc);
    doc.push("\n");
}

fn petition(r: &mut Rng, d: &[(String, Vec<String>)], doc: &mut Doc) {
    doc.push("陳情書\n");
    let ctx = pick(
        r,
        &["陳情人", "陳情人：", "陳情人姓名：", "申訴人", "檢舉人"],
    );
    doc.push(ctx)
        .plant(Kind::PersonName, &values::name(r))
        .push("\n身分證統一編號：");
    let id = values::national_id(r, true);
    let id = if r.usize(..10) == 0 {
        values::full_width(&id)
    } else {
        id
    };
    doc.plant(Kind::TwNationalId, &id).push("\n住址：");
    doc.plant(Kind::Address, &values::address(r, d))
        .push("\n聯絡電話：");
    doc.plant(Kind::Phone, &values::phone(r))
        .push("\n電子郵件：");
    doc.plant(Kind::Email, &values::email(r))
        .push("\n陳情事項：本人於");
    doc.push(&date(r)).push("發現住家附近路燈損壞，");
    distractor(r, doc);
    doc.push("，請貴府儘速處理。\n");
    if r.bool() {
        doc.push("另車牌號碼")
            .plant(Kind::LicensePlate, &values::plate(r))
            .push("之車輛長期違規停車。\n");
    }
    if r.usize(..4) == 0 {
        doc.push("鄰居")
            .plant(Kind::PersonName, &values::name(r))
            .push("先生亦可作證。\n");
    }
    doc.push("此致\n臺北市政府\n");
}

fn web_reply(r: &mut Rng, d: &[(String, Vec<String>)], doc: &mut Doc) {
    doc.push("親愛的").plant(Kind::PersonName, &values::name(r));
    doc.push(pick(r, &["先生", "女士", "小姐"]))
        .push("您好：\n");
    doc.push("有關您");
    doc.push(&date(r));
    doc.push("來信反映之事項，");
    distractor(r, doc);
    doc.push("，本局已派員查處。\n");
    if r.usize(..3) == 0 {
        doc.push("您所提供之地址")
            .plant(Kind::Address, &values::address(r, d))
            .push("經查");
    }
    doc.push("如有疑問，請洽承辦人")
        .plant(Kind::PersonName, &values::name(r));
    doc.push("，電話")
        .plant(Kind::Phone, &values::phone(r))
        .push("。\n");
    if r.usize(..3) == 0 {
        doc.push("回覆信箱：")
            .plant(Kind::Email, &values::email(r))
            .push("\n");
    }
    doc.push("臺北市政府環境保護局 敬上\n");
}

fn minutes(r: &mut Rng, d: &[(String, Vec<String>)], doc: &mut Doc) {
    head(r, doc, 30);
    doc.push("會議紀錄\n時間：")
        .push(&date(r))
        .push("上午10時\n主席：");
    doc.plant(Kind::PersonName, &values::name(r))
        .push("　　紀錄：")
        .plant(Kind::PersonName, &values::name(r));
    doc.push("\n出席委員：");
    for i in 0..r.usize(2..6) {
        if i > 0 {
            doc.push("、");
        }
        doc.plant(Kind::PersonName, &values::name(r));
    }
    doc.push("\n討論事項：\n一、");
    distractor(r, doc);
    doc.push("。\n二、");
    if r.usize(..4) == 0 {
        doc.push("本案")
            .plant(Kind::Keyword, "雷霆專案")
            .push("勤務部署事宜，");
        doc.labels.last_mut().expect("just planted").level = Some(Level::Jijimi);
    }
    doc.push("會議資料請勿外流。\n");
    if r.usize(..3) == 0 {
        doc.push("三、聯絡窗口：")
            .plant(Kind::PersonName, &values::name(r));
        doc.push("，地址")
            .plant(Kind::Address, &values::address(r, d))
            .push("。\n");
    }
}

fn letter(r: &mut Rng, d: &[(String, Vec<String>)], doc: &mut Doc) {
    head(r, doc, 25);
    doc.push("受文者：")
        .plant(Kind::PersonName, &values::name(r))
        .push(pick(r, &["君", "先生", "女士"]))
        .push("\n");
    doc.push("主旨：有關台端申請案，復如說明，請查照。\n說明：\n一、依據台端");
    doc.push(&date(r)).push("申請書辦理。\n二、");
    distractor(r, doc);
    doc.push("。\n");
    if r.usize(..6) == 0 {
        // A name with no context word: labelled, and a context-based detector misses it.
        doc.push("另由")
            .plant(Kind::PersonName, &values::name(r))
            .push("彙整相關資料。\n");
    }
    doc.push("三、申請人");
    doc.plant(Kind::PersonName, &values::name(r)).push("（");
    if r.usize(..5) == 0 {
        doc.plant(Kind::TwResidentId, &values::resident_id(r));
    } else {
        doc.plant(Kind::TwNationalId, &values::national_id(r, true));
    }
    doc.push("）之戶籍地址為")
        .plant(Kind::Address, &values::address(r, d))
        .push("。\n");
    doc.push("承辦人：")
        .plant(Kind::PersonName, &values::name(r))
        .push("　電話：")
        .plant(Kind::Phone, &values::phone(r))
        .push("\n");
}

fn procurement(r: &mut Rng, d: &[(String, Vec<String>)], doc: &mut Doc) {
    head(r, doc, 10);
    doc.push("採購案決標公告\n得標廠商：某某資訊股份有限公司\n");
    doc.push(pick(
        r,
        &["廠商統一編號：", "統一編號", "統編：", "營利事業統一編號 "],
    ));
    doc.plant(Kind::TwBusinessId, &values::business_id(r, true))
        .push("\n決標金額：");
    distractor(r, doc);
    doc.push("\n廠商地址：")
        .plant(Kind::Address, &values::address(r, d))
        .push("\n");
    doc.push("負責人：")
        .plant(Kind::PersonName, &values::name(r))
        .push("\n");
    doc.push("評選委員：");
    for i in 0..r.usize(3..7) {
        if i > 0 {
            doc.push("、");
        }
        doc.plant(Kind::PersonName, &values::name(r));
    }
    doc.push("\n聯絡信箱：")
        .plant(Kind::Email, &values::email(r))
        .push("\n");
    if r.usize(..4) == 0 {
        doc.push("押標金退還帳戶之信用卡號：")
            .plant(Kind::PaymentCard, &values::card(r))
            .push("\n");
    }
}

fn chat(r: &mut Rng, d: &[(String, Vec<String>)], doc: &mut Doc) {
    match r.usize(..7) {
        0 => {
            doc.push("學長，幫我查一下這台車 ");
            doc.push(pick(r, &["車牌", "車號"]))
                .plant(Kind::LicensePlate, &values::plate(r))
                .push(" 的車主，謝啦");
        }
        1 => {
            doc.push("檢舉人")
                .plant(Kind::PersonName, &values::name(r))
                .push("的電話是");
            doc.plant(Kind::Phone, &values::phone(r))
                .push("，身分證")
                .plant(Kind::TwNationalId, &values::national_id(r, true));
        }
        2 => {
            doc.push("明天開會改到").push(&date(r)).push("，");
            distractor(r, doc);
        }
        3 => {
            doc.push("卡號")
                .plant(Kind::PaymentCard, &values::card(r))
                .push("已刷退");
        }
        4 => {
            doc.push("寄到")
                .plant(Kind::Address, &values::address(r, d))
                .push("給")
                .plant(Kind::PersonName, &values::name(r))
                .push("小姐");
        }
        5 => {
            doc.push("轉傳公文如下：\n");
            doc.plant_level(Kind::Classification, "機密", Some(Level::Jimi))
                .push("（限閱）\n主旨：有關專案勤務部署，請查照。");
        }
        _ => {
            doc.push("信箱")
                .plant(Kind::Email, &values::email(r))
                .push("，手機")
                .plant(Kind::Phone, &values::phone(r));
        }
    }
    doc.push("\n");
}

fn awareness(r: &mut Rng, doc: &mut Doc) {
    let lines = [
        "公務機密維護宣導：各機關同仁應落實公務機密維護，機密文件不得以即時通訊軟體傳送。",
        "所謂機密，係指依國家機密保護法核定之絕對機密、極機密、機密，以及一般公務機密之密件。",
        "密等及解密條件或保密期限應於文書上標示，未標示者依規定辦理。",
        "同仁如接獲密件公文，應依機密文書處理程序簽收，不得拍照上傳社群網站。",
        "案例：某員將機密公文拍照傳至群組，經核予申誡處分。",
        "保密協定應於簽約時一併簽署，廠商違反保密義務者依約處理。",
        "機密等級分為絕對機密、極機密、機密三級，一般公務機密以密等標示。",
        "請勿於公開場所討論機密業務，離開座位時應將機密資料收妥。",
    ];
    for _ in 0..r.usize(3..8) {
        doc.push(lines[r.usize(..lines.len())]).push("\n");
        if r.bool() {
            distractor(r, doc);
            doc.push("。\n");
        }
    }
}

fn statistics(r: &mut Rng, doc: &mut Doc) {
    doc.push("統計報表\n項目,件數,金額,日期\n");
    for _ in 0..r.usize(5..15) {
        doc.push(&format!(
            "{},{},{},{}\n",
            pick(r, &["申請", "核准", "駁回", "補正"]),
            r.u32(1..999),
            r.u32(1000..999999),
            date(r)
        ));
    }
    distractor(r, doc);
    doc.push("\n");
}
