//! Chinese personal names where context marks a person: after 陳情人、檢舉人、姓名、承辦人 ...,
//! before 先生、女士、君 ..., and the names listed next to those (王小明、李大華及張三豐).
//!
//! Precision first: a surname char alone proves nothing (陳述, 林業, 張貼 are words), so a name is
//! only taken where context says a person is meant, and known words are refused.

use crate::charset::CharSet;
use crate::finding::{Context, Finding, Kind};
use std::sync::LazyLock;

/// The lists below, as sets for the hot path.
struct Sets {
    surnames: CharSet,
    not_given: CharSet,
    /// First chars of [`AFTER_NAME`] words.
    after_first: CharSet,
    /// First chars of [`COMPOUND_SURNAMES`].
    compound_first: CharSet,
    /// [`NON_NAMES`] (two 3-byte chars each) as 48-bit keys, sorted for binary search.
    non_names: Vec<u64>,
}

static SETS: LazyLock<Sets> = LazyLock::new(|| {
    let mut non_names: Vec<u64> = NON_NAMES
        .iter()
        .filter_map(|w| key6(w.as_bytes()))
        .collect();
    non_names.sort_unstable();
    non_names.dedup();
    Sets {
        surnames: CharSet::of(SURNAMES.chars()),
        not_given: CharSet::of(NOT_GIVEN.chars()),
        after_first: CharSet::of(AFTER_NAME.iter().filter_map(|w| w.chars().next())),
        compound_first: CharSet::of(COMPOUND_SURNAMES.iter().filter_map(|w| w.chars().next())),
        non_names,
    }
});

/// The first six bytes of `b` (two CJK chars) as one integer key.
fn key6(b: &[u8]) -> Option<u64> {
    let b = b.get(..6)?;
    Some(b.iter().fold(0u64, |k, &x| k << 8 | x as u64))
}

/// Whether `t` starts with a word of [`NON_NAMES`] (all of them are two CJK chars).
fn starts_with_non_name(t: &str) -> bool {
    key6(t.as_bytes()).is_some_and(|k| SETS.non_names.binary_search(&k).is_ok())
}

/// Compound surnames, checked before single ones.
const COMPOUND_SURNAMES: &[&str] = &[
    "張簡", "范姜", "歐陽", "司馬", "諸葛", "上官", "司徒", "東方", "皇甫", "夏侯", "張廖", "慕容",
    "令狐",
];

/// Common Taiwanese surnames. Surnames that are mostly function chars (都, 時, 全 ...) are left out.
const SURNAMES: &str = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高潘簡朱鍾彭游詹胡施沈余盧梁趙顏柯翁魏孫戴范方宋鄧杜傅侯曹薛丁卓馬阮董唐溫温藍蔣石古紀姚連馮歐程湯田康姜汪白鄒尤巫鐘黎涂凃龔嚴韓袁金童陸夏柳邵錢伍倪譚于駱熊任甘秦顧毛章史官萬俞雷粘饒辜";

/// Chars that end a name: function words, punctuation, digits.
const NOT_GIVEN: &str = "的了是在於與及和或等之為被把將對向從以其此該本各每某這那也都又並且而但因所已會能要應須得請由至到給讓使、，。；：！？「」『』（）()〔〕【】《》〈〉 　\t\r\n,.;:!?-－/／\"'0123456789０１２３４５６７８９";

/// Words that follow a name and are not part of it (王明表示 is 王明 + 表示).
const AFTER_NAME: &[&str] = &[
    "先生", "女士", "小姐", "表示", "指出", "陳述", "陳情", "反映", "檢舉", "申訴", "稱", "說",
    "認為", "主張", "說明", "提出", "居住", "住", "身分", "電話", "地址", "同學", "老師", "醫師",
    "律師", "議員", "委員", "科長", "來函", "來電", "於", "等", "之", "的", "及", "與", "和", "為",
    "在", "向", "因", "所", "已", "曾", "並", "對", "就", "以", "到", "是", "了", "請", "係", "則",
    "即", "乃", "將", "要", "欲", "擬", "涉", "遭", "被", "因", "自", "亦", "均", "皆", "再", "又",
    "則", "者",
];

/// Words that start with a surname char but are not names.
const NON_NAMES: &[&str] = &[
    "陳述", "陳情", "陳列", "陳報", "陳請", "陳明", "陳年", "林業", "林務", "林地", "林木", "張貼",
    "張數", "張開", "張力", "王道", "王國", "黃金", "黃色", "黃昏", "李子", "高雄", "高度", "高中",
    "高等", "高級", "高層", "高速", "高價", "高額", "方面", "方式", "方法", "方案", "方向", "方便",
    "方能", "方可", "江湖", "周邊", "周年", "周知", "周末", "周全", "何時", "何種", "何人", "何處",
    "何以", "何者", "許可", "許多", "許久", "曾經", "曾任", "曾多", "曾於", "曾向", "曾在", "曾有",
    "曾被", "曾遭", "程序", "程度", "程式", "簡報", "簡單", "簡易", "簡稱", "簡化", "簡介", "石油",
    "白天", "白色", "游泳", "施工", "施行", "施政", "施作", "施打", "洪水", "金額", "金門", "金融",
    "金錢", "溫度", "連結", "連江", "連續", "連署", "連線", "連同", "馬上", "馬路", "于是", "宋體",
    "雷射", "章程", "章節", "孫子", "田地", "車輛", "柯南", "葉片", "葉子", "余額", "史上", "史料",
    "官員", "官方", "官網", "萬元", "萬一", "任何", "任務", "任職", "任用", "顧客", "顧問", "顧及",
    "毛病", "甘心", "秦朝", "童年", "陸續", "陸軍", "夏天", "夏季", "柳丁", "錢財", "伍佰", "熊貓",
    "金融", "黎明", "古蹟", "古代", "紀錄", "紀念", "紀律", "紀要", "康復", "田野", "沈重", "杜絕",
    "魏晉", "戴上", "范圍", "鄭重", "侯選", "曹操", "薛丁", "丁目", "卓越", "董事", "唐朝", "藍色",
    "藍圖", "蔣中", "湯匙", "姜母", "汪洋", "白紙", "尤其", "巫婆", "嚴重", "嚴格", "嚴禁", "嚴密",
    "韓國", "童工", "邵氏", "倪匡", "譚嗣", "駱駝", "熊熊", "秦始", "顧慮", "章則", "官署", "俞允",
    "雷同", "饒舌", "蘇俄", "葉爾", "莊園", "莊嚴", "呂宋", "何況", "羅列", "羅馬", "潘朵", "朱紅",
    "鍾愛", "彭湃", "胡亂", "胡說", "沈默", "余生", "盧布", "梁柱", "趙國", "顏色", "顏面", "翁婿",
    "孫女", "孫子", "戴帽", "范本", "方才", "宋朝", "鄧麗", "傅立", "黃昏", "蔡倫", "楊柳", "吳郭",
    "劉海", "許諾", "鄭成", "謝謝", "謝絕", "郭外", "洪荒", "邱比", "廖化", "賴帳", "賴以", "周旋",
    "徐徐", "蘇打", "蘇醒", "江山", "何妨", "蕭條", "羅盤", "高手", "高興", "潘安", "簡直", "朱門",
    "彭祖", "游擊", "游客", "詹姆", "胡椒", "施展", "沈澱", "盧森", "梁山", "趙錢", "顏料", "柯林",
    "魏碑", "孫悟", "戴高", "范仲", "方位", "宋江", "鄧小", "杜鵑", "傅利", "侯爵", "曹丕", "薛西",
    "丁香", "卓見", "馬達", "馬匹", "阮囊", "董監", "唐突", "溫暖", "溫馨", "藍天", "蔣介", "石頭",
    "石材", "古今", "古老", "紀實", "姚明", "連帶", "馮京", "歐洲", "歐元", "歐美", "湯圓", "田徑",
    "康乃", "姜太", "汪汪", "白白", "鄒族", "尤為", "黎巴", "涂改", "龔自", "韓信", "袁世", "金色",
    "金屬", "童話", "陸地", "陸上", "夏令", "柳樹", "邵族", "錢包", "伍拾", "于右", "駱賓", "熊本",
    "任意", "甘願", "甘蔗", "顧全", "毛利", "毛巾", "章魚", "史實", "萬分", "萬全", "雷雨", "粘貼",
    "饒恕", "辜負", "林林", "王者", "王牌", "張羅", "張揚", "李代", "劉備", "楊梅", "吳哥", "蔡英",
    "林口", "林園", "林內", "林邊", "江西", "周期", "高鐵", "金山", "石門", "田中", "田尾", "田寮",
];

/// Role words ending in 人 after which a name follows (陳情人王小明), as the text before 人.
/// They share one trigger, 人, verified by looking back: fewer trigger words keep the
/// Aho-Corasick prefilter (Teddy) in play.
pub(crate) const PERSON_ROLES: &[(&str, Option<Context>)] = &[
    ("陳情", Some(Context::Complainant)),
    ("檢舉", Some(Context::Complainant)),
    ("申訴", Some(Context::Complainant)),
    ("告發", Some(Context::Complainant)),
    ("告訴", Some(Context::Complainant)),
    ("舉發", Some(Context::Complainant)),
    ("申請", None),
    ("當事", None),
    ("承辦", None),
    ("聯絡", None),
    ("負責", None),
    ("被害", None),
    ("嫌疑", None),
    ("關係", None),
    ("代理", None),
    ("承租", None),
    ("出租", None),
    ("證", None),
    ("借款", None),
    ("債務", None),
    ("債權", None),
    ("義務", None),
    ("收件", None),
    ("寄件", None),
    ("受款", None),
    ("經辦", None),
    ("填表", None),
    ("立書", None),
];

/// The last two chars of every role of [`PERSON_ROLES`] with its 人 (情人, 舉人, 證人 ...),
/// deduplicated: the trigger words for roles.
pub(crate) fn role_suffixes() -> Vec<String> {
    let mut v: Vec<String> = PERSON_ROLES
        .iter()
        .filter_map(|(w, _)| w.chars().next_back().map(|c| format!("{c}人")))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The role ending with the 人 that ends at byte `end`, if it is one of [`PERSON_ROLES`].
pub(crate) fn person_role(text: &str, end: usize) -> Option<Option<Context>> {
    let before = text[..end].strip_suffix('人')?;
    PERSON_ROLES
        .iter()
        .find(|(w, _)| before.ends_with(w))
        .map(|(_, c)| *c)
}

/// Other words after which a name follows; the titles among them also follow names.
pub(crate) const BEFORE_NAME: &[&str] = &[
    "姓名",
    "委員",
    "主席",
    "紀錄",
    "記錄",
    "出席",
    "列席",
    "聯絡窗口",
    "受訪者",
    "房東",
    "房客",
    "科長",
    "課長",
    "主任",
    "局長",
    "處長",
    "組長",
    "隊長",
    "所長",
    "專員",
    "科員",
    "技士",
    "秘書",
    "員警",
    "警員",
    "巡佐",
];

/// Titles that follow a name (王小明先生).
pub(crate) const AFTER_TITLE: &[&str] = &[
    "先生", "女士", "小姐", "君", "委員", "議員", "老師", "醫師", "律師", "科長", "課長", "主任",
    "局長", "處長", "組長", "隊長", "所長", "專員", "科員", "技士", "秘書", "同學", "警員", "巡佐",
    "員警",
];

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

fn given_ok(c: char) -> bool {
    is_han(c) && !SETS.not_given.has(c)
}

/// Length in bytes of the surname at the start of `t`.
pub(crate) fn surname_len(t: &str) -> Option<usize> {
    let c = t.chars().next()?;
    if SETS.compound_first.has(c)
        && let Some(s) = COMPOUND_SURNAMES.iter().find(|s| t.starts_with(**s))
    {
        return Some(s.len());
    }
    SETS.surnames.has(c).then_some(c.len_utf8())
}

/// A name starting exactly at the start of `t`: its byte length.
fn name_at(t: &str) -> Option<usize> {
    let sl = surname_len(t)?;
    let rest = &t[sl..];
    let mut it = rest.chars();
    let g1 = it.next().filter(|&c| given_ok(c))?;
    let after1 = &rest[g1.len_utf8()..];
    let mut len = sl + g1.len_utf8();
    if let Some(g2) = after1.chars().next()
        && given_ok(g2)
        && !(SETS.after_first.has(g2) && AFTER_NAME.iter().any(|w| after1.starts_with(w)))
    {
        len += g2.len_utf8();
    }
    let name = &t[..len];
    if starts_with_non_name(name) {
        // 黃金建、 or 王國芬　: a full three-char name closed by a separator is a name even when its
        // first two chars spell a word; 陳述， (two chars) never is.
        let closed = [
            "、", "，", "。", "；", "\n", " ", "　", "（", "(", "先生", "女士", "小姐",
        ]
        .iter()
        .any(|e| t[len..].starts_with(e))
            || t.len() == len;
        let single_surname = sl == name.chars().next().map_or(0, char::len_utf8);
        if !(closed && name.chars().count() == 3 && single_surname) {
            return None;
        }
    }
    Some(len)
}

/// Whether all of `t` is one name: a surname and one or two given-name chars.
fn is_whole_name(t: &str) -> bool {
    let Some(sl) = surname_len(t) else {
        return false;
    };
    let given: Vec<char> = t[sl..].chars().collect();
    (1..=2).contains(&given.len()) && given.iter().all(|c| given_ok(*c)) && !starts_with_non_name(t)
}

/// Skips separators between a context word and the name: `：`, spaces, `為`.
/// Up to 40 bytes: table cells and HTML tags blanked to spaces (`</td><td>`) sit there too.
fn skip_separators(t: &str) -> usize {
    let mut i = 0;
    for c in t.chars() {
        if matches!(c, '：' | ':' | ' ' | '　' | '\t' | '|' | '｜' | '為' | '係') && i < 40 {
            i += c.len_utf8();
        } else {
            break;
        }
    }
    i
}

/// Names after a context word ending at byte `pos`: the first one, then a list joined by 、/及/與.
pub(crate) fn after_context(
    text: &str,
    pos: usize,
    ctx: Option<Context>,
    out: &mut Vec<Finding>,
) -> usize {
    let mut p = pos + skip_separators(&text[pos..]);
    let mut conf = 0.9;
    let mut found = 0;
    while found < 40 {
        let Some(len) = name_at(&text[p..]) else {
            break;
        };
        let mut f = Finding::new(
            Kind::PersonName,
            p,
            p + len,
            conf,
            if found == 0 {
                "name_after_context"
            } else {
                "name_in_list"
            },
        );
        f.context = ctx;
        out.push(f);
        found += 1;
        conf = 0.85;
        p += len;
        // 先生/女士 after a listed name belongs to it.
        for t in ["先生", "女士", "小姐"] {
            if text[p..].starts_with(t) {
                p += t.len();
            }
        }
        let rest = &text[p..];
        let Some(sep) = ["、", "及", "與", "和", "，", ",", "／", "/", " ", "　"]
            .iter()
            .find(|s| rest.starts_with(**s))
        else {
            break;
        };
        let mut q = p + sep.len();
        q += text[q..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '　')
            .map(char::len_utf8)
            .sum::<usize>();
        // After a comma, a name must itself be followed by a list separator or a title: prose often
        // goes on with a surname-like char (…王小明，林業處…).
        if matches!(*sep, "，" | ",") {
            let Some(len) = name_at(&text[q..]) else {
                break;
            };
            let tail = &text[q + len..];
            if !["、", "，", ",", "先生", "女士", "小姐", "。", "\n"]
                .iter()
                .any(|s| tail.starts_with(s))
                && !tail.is_empty()
            {
                break;
            }
        }
        p = q;
    }
    p
}

/// A name ending right before a title at byte `pos` (王小明先生).
pub(crate) fn before_title(text: &str, pos: usize, title: &str, out: &mut Vec<Finding>) {
    if title == "君"
        && AFTER_TITLE
            .iter()
            .any(|t| text[pos + title.len()..].starts_with(t))
    {
        // 陳怡君女士: 君 is the name's last char, and 女士 is the title.
        return;
    }
    let head = &text[text.floor_char_boundary(pos.saturating_sub(15))..pos];
    // Starts of the last (up to) four chars, without allocating: this runs on every title.
    let mut chars = [0usize; 4];
    let mut count = 0;
    for (i, _) in head.char_indices().rev().take(4) {
        chars[3 - count] = i;
        count += 1;
    }
    let chars = &chars[4 - count..];
    let base = pos - head.len();
    // Try the longest plausible name first: 2-char given names are the norm.
    for take in [4usize, 3, 2] {
        if chars.len() < take {
            continue;
        }
        let i = chars[chars.len() - take];
        let cand = &head[i..];
        if !is_whole_name(cand) {
            continue;
        }
        let sl = surname_len(cand).unwrap_or(0);
        if cand.len() - sl < 3 && take == 2 && title == "君" {
            // 王君 is a surname with an honorific: not identifying enough to report.
            continue;
        }
        if take == 4 && !COMPOUND_SURNAMES.iter().any(|s| cand.starts_with(s)) {
            continue;
        }
        out.push(Finding::new(
            Kind::PersonName,
            base + i,
            pos,
            0.8,
            "name_before_title",
        ));
        return;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&str> {
        crate::Scanner::new()
            .scan(text)
            .into_iter()
            .filter(|f| f.kind == crate::Kind::PersonName)
            .map(|f| &text[f.start..f.end])
            .collect()
    }

    #[test]
    fn names_after_context_and_in_lists() {
        assert_eq!(names("陳情人王小明表示"), vec!["王小明"]);
        assert_eq!(
            names("出席委員：林佳蓉、歐陽志明及張三"),
            vec!["林佳蓉", "歐陽志明", "張三"]
        );
        assert_eq!(names("陳情人陳述略以"), Vec::<&str>::new());
        assert_eq!(names("承辦人曾於上午"), Vec::<&str>::new());
    }

    #[test]
    fn name_before_title() {
        let t = "感謝王小明先生";
        let mut out = vec![];
        before_title(t, t.find("先生").unwrap(), "先生", &mut out);
        assert_eq!(&t[out[0].start..out[0].end], "王小明");
    }
}
