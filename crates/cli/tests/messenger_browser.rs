//! The messenger end to end in headless Chromium, several people at once, one case of the
//! seeds after another: the whistleblower's letter pasted into a 20-person group is stopped
//! where it was typed and goes masked; a classified notice is blocked; a forward names its
//! target and audience before it goes; a stranger joins only when an admin approves; a withdrawn
//! message disappears for its reader and stays in the integrity officer's export; a guest has
//! no way to forward out of a 不得轉傳 group.

mod common;

use common::Killed;
use common::browser::{Browser, baomi, first_sign_in};
use serde_json::{Value, json};

fn org() -> String {
    let mut s = String::from(
        "員工編號,帳號,姓名,單位代碼,單位名稱,上級單位代碼,職稱,主管員工編號,角色,狀態,外部人員
A001,chief,林局長,HQ,局本部,,局長,,主管,在職,
A002,chen,陳偵查員,INV,偵查隊,HQ,偵查員,A001,,在職,
A003,lin,林偵查員,INV,偵查隊,HQ,偵查員,A001,,在職,
A004,wu,吳科員,ADM,行政科,HQ,科員,A001,,在職,
A005,ian,許政風,ETH,政風室,HQ,政風專員,A001,政風,在職,
G001,vendor,黃廠商,EXT,合作廠商,,工程師,,,在職,是
",
    );
    for i in 10..29 {
        s.push_str(&format!(
            "A0{i},clerk{i},偵查隊員{i},INV,偵查隊,HQ,隊員,A001,,在職,\n"
        ));
    }
    s
}

struct Site {
    _server: Killed,
    url: String,
    data: String,
    dir: tempfile::TempDir,
}

fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap().to_string();
    let port = common::free_port();
    let (server, _) = common::serve(&d, port, &[]);
    let org = common::write(dir.path(), "org.csv", org().as_bytes());
    baomi(&["admin", "--data", &d, "import-org", &org, "--apply"]);
    Site {
        _server: Killed(server),
        url: format!("http://127.0.0.1:{port}"),
        data: d,
        dir,
    }
}

/// A browser signed in as `user`, on the messenger, connected.
fn person(s: &Site, user: &str, privileged: bool) -> Browser {
    let b = Browser::start(&s.dir.path().join(format!("profile-{user}")));
    first_sign_in(&b, &s.url, &s.data, user, privileged);
    open_chat(&b, s, None);
    b
}

fn open_chat(b: &Browser, s: &Site, conv: Option<i64>) {
    match conv {
        Some(c) => b.goto(&format!("{}/chat?c={c}", s.url)),
        None => b.goto(&format!("{}/chat", s.url)),
    }
    b.wait_js(
        "return document.getElementById('chat').dataset.connected === 'true';",
        "the stream to connect",
    );
    if let Some(c) = conv {
        b.wait_js(
            &format!("return document.querySelector('#conv-list button[data-conv=\"{c}\"][aria-current=true]');"),
            "the conversation to open",
        );
    }
}

/// Calls the API from the page, as the page's own script does (session + CSRF header).
fn api(b: &Browser, method: &str, path: &str, body: Value) -> Value {
    b.js(
        "const [m, p, body] = arguments;
         return fetch('/api/v1' + p, {method: m, credentials: 'same-origin',
           headers: {'content-type': 'application/json', 'x-csrf-token': document.getElementById('chat').dataset.csrf},
           body: body === null ? undefined : JSON.stringify(body)})
           .then(r => r.text()).then(t => { try { return JSON.parse(t); } catch (_) { return t; } });",
        json!([method, path, if body.is_null() { Value::Null } else { body }]),
    )
}

fn type_and_send(b: &Browser, text: &str) {
    b.js(
        "const t = document.getElementById('text'); t.value = arguments[0];
         document.getElementById('composer').requestSubmit();",
        json!([text]),
    );
}

/// The bodies of the messages shown.
fn bodies(b: &Browser) -> Vec<String> {
    let v = b.js(
        "return [...document.querySelectorAll('#messages .message .body')].map(e => e.textContent);",
        json!([]),
    );
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn wait_body(b: &Browser, needle: &str) {
    b.wait_js(
        &format!(
            "return [...document.querySelectorAll('#messages .message .body')].some(e => e.textContent.includes({}));",
            json!(needle)
        ),
        needle,
    );
}

fn gate_status(b: &Browser) -> String {
    b.wait_js(
        "const d = document.getElementById('gate-status'); return d && document.getElementById('dialog').open && d.dataset.status;",
        "the gate's answer",
    )
    .as_str()
    .unwrap()
    .to_string()
}

#[test]
fn the_whistleblower_letter_and_a_classified_notice_are_stopped_where_they_are_typed() {
    let s = site();
    let chen = person(&s, "chen", false);
    let lin = person(&s, "lin", false);
    // The squad's 20-person group, made by chen from the org chart.
    let people = api(&chen, "GET", "/directory?q=偵查", Value::Null);
    let ids: Vec<i64> = people
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 20, "{people}");
    let conv = api(
        &chen,
        "POST",
        "/conversations",
        json!({"title": "偵查隊全體", "members": ids}),
    )["id"]
        .as_i64()
        .unwrap();
    open_chat(&chen, &s, Some(conv));
    open_chat(&lin, &s, Some(conv));
    assert!(chen.text("#show-members").contains("21"));

    // The clerk pastes the whistleblower's letter: stopped, shown why and to whom.
    type_and_send(
        &chen,
        "陳情案轉知：檢舉人王大明（身分證A123456789，手機0912-345-678）指稱本分局員警收賄。",
    );
    assert_eq!(gate_status(&chen), "mask");
    let dialog = chen.text("#dialog");
    assert!(dialog.contains("檢舉人、陳情人之身分應予保密"), "{dialog}");
    assert!(chen.text("#gate-audience").contains("共 21 人"));
    assert!(
        !dialog.contains("A123456789") && !dialog.contains("王大明"),
        "{dialog}"
    );
    let masked = chen.text("#gate-masked-text");
    assert!(masked.contains("A12345****"), "{masked}");
    // Nothing reached the group while the sender decides.
    assert!(bodies(&lin).is_empty());
    chen.click("#gate-masked");
    wait_body(&lin, "A12345****");
    // The composer is cleared when the sender's own reply arrives, which may come after the
    // reader's event.
    chen.wait_js(
        "return document.getElementById('text').value === '';",
        "composer cleared",
    );
    let seen = bodies(&lin).join("\n");
    assert!(
        !seen.contains("A123456789") && !seen.contains("王大明"),
        "{seen}"
    );
    assert_eq!(
        chen.js("return document.getElementById('text').value;", json!([])),
        ""
    );

    // A classified notice is blocked, with the rule quoted, and never reaches anyone.
    type_and_send(
        &chen,
        "密等及解密條件或保密期限：機密\n主旨：本週五擴大臨檢勤務部署，請勿外流。",
    );
    assert_eq!(gate_status(&chen), "blocked");
    assert!(chen.text("#gate-status").contains("機密等級標示"));
    chen.click("#gate-cancel");
    type_and_send(&chen, "@林偵查員 收到請回覆");
    wait_body(&lin, "收到請回覆");
    assert!(!bodies(&lin).join("\n").contains("臨檢"));
    // lin was mentioned, and finds it again by searching.
    lin.wait_css("#messages .message.mentioned");
    lin.fill("#search", "請回覆");
    lin.js(
        "document.getElementById('search').form.requestSubmit();",
        json!([]),
    );
    lin.wait_css("#search-results button[data-message]");
    assert!(lin.text("#search-results").contains("收到請回覆"));
    lin.click("#dialog .buttons button");
    // The classified fax, photographed and attached: read by OCR, blocked, never delivered.
    let photo = photographed_page(s.dir.path());
    chen.js("document.getElementById('file').hidden = false;", json!([]));
    let input = chen.find("#file");
    chen.cmd(
        "POST",
        &format!("/element/{input}/value"),
        Some(json!({ "text": photo.to_str().unwrap() })),
    );
    assert_eq!(gate_status(&chen), "blocked");
    let why = chen.text("#dialog");
    assert!(why.contains("機密等級標示"), "{why}");
    chen.click("#gate-cancel");
    type_and_send(&chen, "照片已刪除");
    wait_body(&lin, "照片已刪除");
    assert_eq!(
        lin.js(
            "return document.querySelectorAll('#messages .attachment').length;",
            json!([])
        ),
        0
    );
    // Each viewer's name is across their screen.
    assert!(lin.text(".watermark").contains("林偵查員 偵查隊"));
    chen.screenshot(&s.dir.path().join("chat-masked.png"));
    if let Ok(dest) = std::env::var("BAOMI_SCREENSHOTS") {
        lin.screenshot(&std::path::Path::new(&dest).join("chat.png"));
    }
}

#[test]
fn forwards_joins_withdrawals_and_a_no_forward_group_in_chromium() {
    let s = site();
    let chen = person(&s, "chen", false);
    let lin = person(&s, "lin", false);
    let other = person(&s, "vendor", false);

    // chen makes the raid group in the interface, lin in it.
    let lin_id = api(&chen, "GET", "/directory?q=林偵查員", Value::Null)[0]["id"].clone();
    chen.click("#new-group");
    chen.fill("#group-title", "專案勤務");
    chen.fill("#people-search", "林偵查員");
    let pick = format!("#people-results button[data-user=\"{lin_id}\"]");
    chen.wait_css(&pick);
    chen.click(&pick);
    chen.wait_css("#group-members li");
    chen.click("#group-create");
    let raid = chen
        .wait_js(
            "const b = document.querySelector('#conv-list button[aria-current=true]'); return b && Number(b.dataset.conv);",
            "the new group",
        )
        .as_i64()
        .unwrap();
    chen.wait_css("#text");
    // ... and, by a slip, a friends' group with the contractor in it.
    let vendor_id = api(&chen, "GET", "/directory?q=黃廠商", Value::Null)[0]["id"].clone();
    let friends = api(
        &chen,
        "POST",
        "/conversations",
        json!({"title": "球友會", "members": [vendor_id]}),
    )["id"]
        .as_i64()
        .unwrap();
    open_chat(&chen, &s, Some(raid));
    open_chat(&lin, &s, Some(raid));
    type_and_send(&chen, "明早六點分局集合，行動代號另行通知。");
    wait_body(&lin, "明早六點");
    // Each member's copy comes over its own socket.
    wait_body(&chen, "明早六點");

    // The forward names the target and its audience and waits.
    chen.click("#messages .message .actions button.forward");
    chen.wait_css(&format!("#dialog button[data-target=\"{friends}\"]"));
    chen.click(&format!("#dialog button[data-target=\"{friends}\"]"));
    assert_eq!(gate_status(&chen), "confirm");
    assert!(chen.text("#gate-target").contains("球友會"));
    let audience = chen.text("#gate-audience");
    assert!(
        audience.contains("共 2 人") && audience.contains("外部人員 1 人"),
        "{audience}"
    );
    open_chat(&other, &s, Some(friends));
    assert!(
        bodies(&other).is_empty(),
        "nothing goes before confirmation"
    );
    chen.click("#gate-confirm");
    wait_body(&other, "明早六點");
    let prov = other.text("#messages .message .prov");
    assert!(
        prov.contains("轉傳自「專案勤務」") && prov.contains("陳偵查員"),
        "{prov}"
    );

    // A no-forward group: the guest has no forward button, and the API refuses too.
    let site_visit = api(
        &chen,
        "POST",
        "/conversations",
        json!({"title": "工程會勘", "sensitivity": "no_forward", "members": [vendor_id]}),
    )["id"]
        .as_i64()
        .unwrap();
    open_chat(&chen, &s, Some(site_visit));
    type_and_send(&chen, "會勘時間：週五上午十點，地點不對外公開。");
    open_chat(&other, &s, Some(site_visit));
    wait_body(&other, "會勘時間");
    assert!(other.text("#conv-title").contains("不得轉傳"));
    let buttons = other.js(
        "return document.querySelectorAll('#messages .message .actions button.forward').length;",
        json!([]),
    );
    assert_eq!(buttons, 0);
    let msg = other.js(
        "return Number(document.querySelector('#messages .message').dataset.id);",
        json!([]),
    );
    let out = api(
        &other,
        "POST",
        &format!("/messages/{msg}/forward"),
        json!({"to": friends, "client_id": "try-1", "confirm_target": friends}),
    );
    assert_eq!(out["status"], "blocked", "{out}");

    // A stranger: lin proposes wu, only chen (the admin) lets him in; wu's list shows the
    // group as soon as he is approved.
    other.forget_cookies();
    first_sign_in(&other, &s.url, &s.data, "wu", false);
    open_chat(&other, &s, None);
    let wu = &other;
    lin.click("#show-members");
    lin.wait_css("#add-member");
    lin.click("#add-member");
    let wu_id = api(&lin, "GET", "/directory?q=吳科員", Value::Null)[0]["id"].clone();
    lin.fill("#people-search", "吳科員");
    let pick = format!("#people-results button[data-user=\"{wu_id}\"]");
    lin.wait_css(&pick);
    lin.click(&pick);
    lin.wait_js(
        "return document.getElementById('dialog').textContent.includes('待管理者同意');",
        "the request to be made",
    );
    assert_eq!(
        wu.js(
            &format!("return !!document.querySelector('#conv-list button[data-conv=\"{raid}\"]');"),
            json!([])
        ),
        false
    );
    open_chat(&chen, &s, Some(raid));
    chen.click("#show-members");
    chen.wait_css("#request-list button.approve");
    assert!(chen.text("#request-list").contains("吳科員"));
    chen.click("#request-list button.approve");
    wu.wait_css(&format!("#conv-list button[data-conv=\"{raid}\"]"));

    // A withdrawn message disappears for its reader ...
    type_and_send(&chen, "搜索票核發時間改為下午三點。");
    wait_body(&lin, "下午三點");
    // Without this the last message of chen's may still be the earlier one.
    wait_body(&chen, "下午三點");
    chen.js("window.confirm = () => true;", json!([]));
    chen.wait_css("#messages .message.mine:last-child .actions button.recall");
    chen.click("#messages .message.mine:last-child .actions button.recall");
    wait_body(&lin, "訊息已收回");
    assert!(!bodies(&lin).join("\n").contains("下午三點"));
    // ... and stays in the integrity officer's export (read by him, and logged).
    wu.forget_cookies();
    first_sign_in(wu, &s.url, &s.data, "ian", true);
    open_chat(wu, &s, None);
    let export = api(
        wu,
        "GET",
        &format!("/conversations/{raid}/export"),
        Value::Null,
    );
    let recalled = export["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["recalled_at"].is_i64())
        .unwrap_or_else(|| panic!("{export}"));
    assert_eq!(recalled["text"], "搜索票核發時間改為下午三點。");
    assert_eq!(recalled["versions"][0]["reason"], "recall");
}

/// A classified fax photographed at a slight angle, blurred, with a red 機密 stamp and an ID
/// number on it (ImageMagick and a CJK font, as .ci/run installs them).
fn photographed_page(dir: &std::path::Path) -> std::path::PathBuf {
    let font = std::process::Command::new("fc-match")
        .args(["-f", "%{file}", "Noto Sans CJK TC"])
        .output()
        .expect("fontconfig");
    let font = String::from_utf8(font.stdout).unwrap();
    let page = dir.join("傳真.jpg");
    let ok = std::process::Command::new("convert")
        .args([
            "-size",
            "1600x420",
            "xc:white",
            "-font",
            &font,
            "-pointsize",
            "34",
        ])
        .args([
            "-fill",
            "black",
            "-annotate",
            "+60+170",
            "臨檢勤務部署：身分證A123456789 請勿外流",
        ])
        .args(["-stroke", "red", "-strokewidth", "5", "-fill", "none"])
        .args(["-draw", "rectangle 1180,30 1520,140", "-stroke", "none"])
        .args([
            "-fill",
            "red",
            "-pointsize",
            "72",
            "-annotate",
            "+1240+115",
            "機密",
        ])
        .args([
            "-background",
            "white",
            "-rotate",
            "1.5",
            "-blur",
            "0x0.8",
            "-quality",
            "85",
        ])
        .arg(&page)
        .status()
        .expect("ImageMagick");
    assert!(ok.success());
    page
}
