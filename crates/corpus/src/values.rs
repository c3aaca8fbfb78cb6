//! Random values of each kind, in the forms Taiwanese documents write them.

use fastrand::Rng;

const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LETTER_CODES: [u32; 26] = [
    10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30,
    31, 33,
];

pub fn pick<'a, T: ?Sized>(r: &mut Rng, xs: &[&'a T]) -> &'a T {
    xs[r.usize(..xs.len())]
}

fn digits(r: &mut Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + r.u8(0..10))).collect()
}

/// Full-width form of the ASCII chars of `s`.
pub fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() {
                char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

fn id_check(letter: u8, d1: u32, rest: &str) -> u32 {
    let code = LETTER_CODES[(letter - b'A') as usize];
    let mut sum = code / 10 + (code % 10) * 9 + d1 * 8;
    for (i, c) in rest.bytes().enumerate() {
        sum += (c - b'0') as u32 * (7 - i as u32);
    }
    (10 - sum % 10) % 10
}

/// A valid national ID; `valid = false` gives a wrong check digit.
pub fn national_id(r: &mut Rng, valid: bool) -> String {
    let l = LETTERS[r.usize(..26)];
    let d1 = r.u32(1..=2);
    let rest = digits(r, 7);
    let mut c = id_check(l, d1, &rest);
    if !valid {
        c = (c + 1 + r.u32(0..9)) % 10;
    }
    format!("{}{d1}{rest}{c}", l as char)
}

/// A valid resident ID, new (2021) or old format.
pub fn resident_id(r: &mut Rng) -> String {
    let l = LETTERS[r.usize(..26)];
    let rest = digits(r, 7);
    if r.bool() {
        let d1 = r.u32(8..=9);
        let c = id_check(l, d1, &rest);
        format!("{}{d1}{rest}{c}", l as char)
    } else {
        let second = b"ABCD"[r.usize(..4)];
        let d1 = LETTER_CODES[(second - b'A') as usize] % 10;
        let c = id_check(l, d1, &rest);
        format!("{}{}{rest}{c}", l as char, second as char)
    }
}

fn business_ok(s: &[u8]) -> bool {
    const W: [u32; 8] = [1, 2, 1, 2, 1, 2, 4, 1];
    let sum: u32 = s
        .iter()
        .zip(W)
        .map(|(d, w)| ((d - b'0') as u32 * w) / 10 + ((d - b'0') as u32 * w) % 10)
        .sum();
    sum.is_multiple_of(5) || (s[6] == b'7' && (sum + 1).is_multiple_of(5))
}

/// A valid 統一編號; `valid = false` gives one failing the checksum.
pub fn business_id(r: &mut Rng, valid: bool) -> String {
    loop {
        let s = digits(r, 8);
        if business_ok(s.as_bytes()) == valid {
            return s;
        }
    }
}

/// A phone number in one of its written forms.
pub fn phone(r: &mut Rng) -> String {
    let mobile = format!("09{}", digits(r, 8));
    let (m1, m2, m3) = (&mobile[..4], &mobile[4..7], &mobile[7..]);
    let areas: &[(&str, usize)] = &[
        ("02", 8),
        ("03", 7),
        ("04", 8),
        ("05", 7),
        ("06", 7),
        ("07", 7),
        ("08", 7),
        ("037", 6),
        ("049", 7),
        ("089", 6),
    ];
    let (area, n) = areas[r.usize(..areas.len())];
    let first = char::from(b'2' + r.u8(0..7));
    let local = format!("{first}{}", digits(r, n - 1));
    let (l1, l2) = local.split_at(if n >= 7 { n - 4 } else { 3 });
    let s = match r.usize(..12) {
        0 => format!("{m1}-{m2}-{m3}"),
        1 => mobile.clone(),
        2 => format!("{m1} {m2} {m3}"),
        3 => format!("+886-{}-{m2}-{m3}", &m1[1..]),
        4 => format!("+886 {} {m2} {m3}", &m1[1..]),
        5 => format!("{m1}-{m2}{m3}"),
        6 => format!("({area}){l1}-{l2}"),
        7 => format!("{area}-{l1}-{l2}"),
        8 => format!("{area}-{local}"),
        9 => format!("({area}) {l1} {l2}"),
        10 => format!("+886-{}-{l1}-{l2}", &area[1..]),
        _ => format!("{area}{local}"),
    };
    let s = match r.usize(..10) {
        0 => format!("{s}#{}", r.u32(100..9999)),
        1 if !s.starts_with("09") => format!("{s}分機{}", r.u32(10..999)),
        _ => s,
    };
    if r.usize(..20) == 0 {
        full_width(&s)
    } else {
        s
    }
}

/// An e-mail address.
pub fn email(r: &mut Rng) -> String {
    let users = [
        "wang.xm",
        "chen01",
        "lin_yuting",
        "hsu.chiahao",
        "tsai2024",
        "huang-kuo",
        "liu.mei",
        "yang88",
        "cheng.wen",
        "lee_dahua",
    ];
    let domains = [
        "gmail.com",
        "yahoo.com.tw",
        "ms1.hinet.net",
        "mail.example.gov.tw",
        "example.org.tw",
        "outlook.com",
        "example.edu.tw",
    ];
    let s = format!(
        "{}{}@{}",
        pick(r, &users),
        if r.bool() {
            r.u32(1..99).to_string()
        } else {
            String::new()
        },
        pick(r, &domains)
    );
    if r.usize(..25) == 0 {
        s.replace('@', "＠")
    } else {
        s
    }
}

fn luhn_complete(prefix: &str, len: usize, r: &mut Rng) -> String {
    let mut s = prefix.to_string();
    s.push_str(&digits(r, len - 1 - prefix.len()));
    for d in 0..10 {
        let cand = format!("{s}{d}");
        let sum: u32 = cand
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let v = (b - b'0') as u32;
                if i % 2 == 1 {
                    if v * 2 > 9 { v * 2 - 9 } else { v * 2 }
                } else {
                    v
                }
            })
            .sum();
        if sum.is_multiple_of(10) {
            return cand;
        }
    }
    unreachable!("one check digit always fits")
}

/// A payment card number, grouped as printed.
pub fn card(r: &mut Rng) -> String {
    let (prefix, len) = *[
        ("4", 16),
        ("51", 16),
        ("55", 16),
        ("3528", 16),
        ("3566", 16),
        ("37", 15),
        ("62", 16),
    ]
    .get(r.usize(..7))
    .expect("index in range");
    let n = luhn_complete(prefix, len, r);
    let sep = pick(r, &[" ", "-", ""]);
    if len == 15 {
        format!("{}{sep}{}{sep}{}", &n[..4], &n[4..10], &n[10..])
    } else {
        format!(
            "{}{sep}{}{sep}{}{sep}{}",
            &n[..4],
            &n[4..8],
            &n[8..12],
            &n[12..]
        )
    }
}

/// A licence plate.
pub fn plate(r: &mut Rng) -> String {
    let l = |r: &mut Rng, n: usize| -> String {
        (0..n)
            .map(|_| char::from(b"ABCDEFGHJKLMNPQRSTUVWXYZ"[r.usize(..24)]))
            .collect()
    };
    match r.usize(..5) {
        0 | 1 => format!("{}-{}", l(r, 3), digits(r, 4)),
        2 => format!("{}-{}", l(r, 2), digits(r, 4)),
        3 => format!("{}-{}", digits(r, 4), l(r, 2)),
        _ => format!("{}-{}", digits(r, 3), l(r, 3)),
    }
}

const SURNAMES: &[&str] = &[
    "陳", "林", "黃", "張", "李", "王", "吳", "劉", "蔡", "楊", "許", "鄭", "謝", "郭", "洪", "曾",
    "邱", "廖", "賴", "周", "徐", "蘇", "葉", "莊", "呂", "江", "何", "蕭", "羅", "高", "潘", "簡",
    "朱", "鍾", "彭", "游", "詹", "胡", "施", "沈", "余", "盧", "梁", "趙", "顏", "柯", "翁", "魏",
    "孫", "歐陽", "張簡",
];
const GIVEN: &str = "志明俊傑家豪建宏淑芬美玲雅婷怡君欣怡冠宇宗翰承恩柏翰彥廷佳蓉惠如淑惠麗華國華文雄金龍秀英玉蘭美惠宜蓁詩涵子晴品妍宇軒";

/// A Chinese name: surname and a one- or two-char given name.
pub fn name(r: &mut Rng) -> String {
    let given: Vec<char> = GIVEN.chars().collect();
    let s = pick(r, SURNAMES);
    let g1 = given[r.usize(..given.len())];
    if r.usize(..8) == 0 {
        format!("{s}{g1}")
    } else {
        format!("{s}{g1}{}", given[r.usize(..given.len())])
    }
}

const ROADS: &[&str] = &[
    "中山",
    "中正",
    "民生",
    "民族",
    "民權",
    "忠孝",
    "仁愛",
    "信義",
    "和平",
    "復興",
    "光復",
    "建國",
    "成功",
    "自由",
    "博愛",
    "文化",
    "三民",
    "四維",
    "重慶南",
    "中山北",
    "忠孝東",
    "羅斯福",
    "八德",
    "承德",
    "延平北",
    "新生南",
    "中華",
    "大同",
    "永康",
    "興隆",
];

fn num(r: &mut Rng, max: u32, chinese: bool) -> String {
    let n = r.u32(1..=max);
    if !chinese {
        return n.to_string();
    }
    let d = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => d[n as usize].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", d[(n % 10) as usize]),
        20..=99 => format!("{}十{}", d[(n / 10) as usize], d[(n % 10) as usize]),
        _ => n.to_string(),
    }
}

/// An address, from county or city (mostly) down to number and floor.
pub fn address(r: &mut Rng, districts: &[(String, Vec<String>)]) -> String {
    let (city, towns) = &districts[r.usize(..districts.len())];
    let town = &towns[r.usize(..towns.len())];
    let chinese = r.usize(..6) == 0;
    let mut s = String::new();
    let form = r.usize(..10);
    if form < 8 {
        if r.usize(..5) == 0 {
            s.push_str(&format!("{}", r.u32(100..999)));
        }
        let city = if r.bool() {
            city.replace('台', "臺")
        } else {
            city.clone()
        };
        s.push_str(&city);
        s.push_str(town);
    }
    if form == 8 || r.usize(..8) == 0 {
        s.push_str(pick(r, &["中興", "福德", "大安", "東興", "永和", "仁和"]));
        s.push_str(pick(r, &["里", "村"]));
        s.push_str(&format!("{}鄰", num(r, 30, chinese)));
    }
    let street = pick(r, &["路", "路", "路", "街", "大道"]);
    s.push_str(pick(r, ROADS));
    s.push_str(street);
    if street == "路" && r.bool() {
        s.push_str(&format!("{}段", num(r, 5, true)));
    }
    if r.usize(..3) == 0 {
        s.push_str(&format!("{}巷", num(r, 300, chinese)));
        if r.bool() {
            s.push_str(&format!("{}弄", num(r, 30, chinese)));
        }
    }
    s.push_str(&num(r, 400, chinese));
    if r.usize(..8) == 0 {
        s.push_str(&format!("之{}", num(r, 5, chinese)));
    }
    s.push('號');
    if r.bool() {
        s.push_str(&format!("{}樓", num(r, 20, chinese)));
        if r.usize(..5) == 0 {
            s.push_str(&format!("之{}", num(r, 5, chinese)));
        }
    }
    s
}
