//! End to end in a real browser: Debian's headless Chromium driven over WebDriver (chromedriver),
//! against the real `baomi serve` binary on loopback. First start, the administrator's first
//! sign-in (new password, second factor), an org chart import, a member of staff's first sign-in,
//! and a leaver who is shut out at once.

mod common;

use common::browser::{Browser, baomi, first_sign_in, totp_now};
use common::{Killed, free_port, one_time_password};
use std::path::Path;

/// Picks an action for a user on the accounts page and submits it.
fn select_action(b: &Browser, user: &str, action: &str) {
    let form = format!("form:has(input[name=username][value=\"{user}\"])");
    let sel = b.find(&format!("{form} select"));
    let opt = b.cmd(
        "POST",
        &format!("/element/{sel}/element"),
        Some(serde_json::json!({ "using": "css selector", "value": format!("option[value=\"{action}\"]") })),
    );
    let opt = opt
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    b.cmd(
        "POST",
        &format!("/element/{opt}/click"),
        Some(serde_json::json!({})),
    );
    b.click(&format!("{form} button"));
}

const ORG: &str = "員工編號,帳號,姓名,單位代碼,單位名稱,上級單位代碼,職稱,主管員工編號,角色,狀態
A001,chief,林局長,HQ,局本部,,局長,,主管,在職
A002,wang,王小明,INV,偵查隊,HQ,隊員,A003,,在職
A003,chen,陳隊長,INV,偵查隊,HQ,隊長,A001,主管,在職
";

#[test]
fn first_run_admin_org_chart_staff_and_a_leaver_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let (server, first) = common::serve(data.to_str().unwrap(), port, &[]);
    let _server = Killed(server);
    let admin_pw = one_time_password(&first);
    let site = format!("http://127.0.0.1:{port}");

    let b = Browser::start(&dir.path().join("profile"));
    b.goto(&format!("{site}/"));
    b.wait_url("/signin");
    b.wait_text("登入");
    b.fill("input[name=username]", "admin");
    b.fill("input[name=password]", &admin_pw);
    b.click("button[type=submit]");
    b.wait_url("/me/password");
    let new_pw = "管理者的新密碼-2026-長一點";
    b.fill("input[name=current]", &admin_pw);
    b.fill("input[name=new]", new_pw);
    b.fill("input[name=repeat]", new_pw);
    b.click("main button[type=submit]");
    b.wait_text("密碼已變更");
    b.goto(&format!("{site}/"));
    b.wait_url("/me/2fa");
    let page = b.wait_text("<code>");
    let i = page.find("<code>").unwrap() + 6;
    let secret: String = page[i..i + page[i..].find('<').unwrap()]
        .split_whitespace()
        .collect();
    b.fill("input[name=code]", &totp_now(&secret));
    b.click("main button[type=submit]");
    b.wait_text("兩步驟驗證已啟用");
    b.goto(&format!("{site}/"));
    b.wait_text("系統管理者");
    b.screenshot(&dir.path().join("admin-home.png"));

    // The personnel office's export, uploaded, previewed, then imported.
    let org = dir.path().join("org.csv");
    std::fs::write(&org, ORG).unwrap();
    let d = data.to_str().unwrap();
    b.goto(&format!("{site}/admin/org"));
    b.fill("input[name=file]", org.to_str().unwrap());
    b.click("main form.stack button[type=submit]");
    let preview = b.wait_text("A002 (wang)");
    assert!(preview.contains("新增人員"), "{preview}");
    b.screenshot(&dir.path().join("org-preview.png"));
    b.click("input[name=apply] ~ button");
    b.wait_text("已匯入");
    // A one-time password for wang, from the accounts page.
    b.goto(&format!("{site}/admin/users"));
    select_action(&b, "wang", "reset-password");
    let page = b.wait_text("<code>");
    let i = page.find("<code>").unwrap() + 6;
    let wang_pw = page[i..i + page[i..].find('<').unwrap()].to_string();
    if let Ok(dest) = std::env::var("BAOMI_SCREENSHOTS") {
        b.screenshot(&Path::new(&dest).join("admin-users.png"));
    }

    // A member of staff signs in for the first time.
    b.forget_cookies();
    b.goto(&format!("{site}/signin"));
    b.fill("input[name=username]", "wang");
    b.fill("input[name=password]", &wang_pw);
    b.click("button[type=submit]");
    b.wait_url("/me/password");
    // The browser itself refuses a short password (minlength), before the server would.
    b.fill("input[name=current]", &wang_pw);
    b.fill("input[name=new]", "太短的密碼");
    b.fill("input[name=repeat]", "太短的密碼");
    b.click("main button[type=submit]");
    assert!(!b.source().contains("密碼已變更"));
    let pw = "王小明的密碼絕對不告訴別人";
    b.fill("input[name=current]", &wang_pw);
    b.fill("input[name=new]", pw);
    b.fill("input[name=repeat]", pw);
    b.click("main button[type=submit]");
    b.wait_text("密碼已變更");
    b.goto(&format!("{site}/"));
    let home = b.wait_text("偵查隊");
    assert!(
        home.contains("王小明") && home.contains("偵查隊") && home.contains("隊員"),
        "{home}"
    );

    // He leaves: disabled from the command line, his open page is signed out at the next click.
    baomi(&["admin", "--data", d, "user", "disable", "wang"]);
    let _ = &admin_pw;
    b.goto(&format!("{site}/me/sessions"));
    b.wait_url("/signin");
    b.fill("input[name=username]", "wang");
    b.fill("input[name=password]", pw);
    b.click("button[type=submit]");
    b.wait_text("帳號或密碼錯誤");

    // English on request.
    b.click("header a[lang=en]");
    b.wait_text("Sign in");
}

const LEDGER_ORG: &str =
    "員工編號,帳號,姓名,單位代碼,單位名稱,上級單位代碼,職稱,主管員工編號,角色,狀態
B001,chief,林局長,HQ,局本部,,局長,,主管,在職
B002,chen,陳股長,TAX1,稅務一股,HQ,股長,B001,主管,在職
B003,wang,王稅務員,TAX1,稅務一股,HQ,稅務員,B002,,在職
B004,ian,許政風,ETH,政風室,HQ,政風專員,B001,政風,在職
";

/// 逐筆核章 in a real browser: the supervisor signs part of a day and asks about the flagged
/// look-up (the landlord's tenant under an arrears case), the operator answers, the
/// supervisor escalates and signs the rest of the day, the integrity officer sees the subject
/// (logged) and concludes.
#[test]
fn ledger_review_question_answer_escalation_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let port = free_port();
    let (server, _) = common::serve(d, port, &[]);
    let _server = Killed(server);
    let site = format!("http://127.0.0.1:{port}");
    let org = common::write(dir.path(), "org.csv", LEDGER_ORG.as_bytes());
    baomi(&["admin", "--data", d, "import-org", &org, "--apply"]);
    let cases = common::write(
        dir.path(),
        "cases.csv",
        "案號,當事人,承辦人,立案日期,結案日期\n115欠00001,A123456789,wang,2026-10-01,\n".as_bytes(),
    );
    let lookups = common::write(
        dir.path(),
        "lookups.csv",
        "event_id,time,system,operator,subject_id,action,reason_code,reason_text,case_no,terminal
h-1,2026-11-02 09:00:00,戶役政,wang,A123456789,query,欠稅清理,,115欠00001,T1
h-2,2026-11-02 09:30:00,戶役政,wang,B223456789,query,民眾臨櫃申辦,臨櫃,,T1
h-3,2026-11-02 12:20:00,戶役政,wang,F223456789,query,欠稅清理,,115欠00001,T1
h-4,2026-11-02 15:10:00,戶役政,wang,C123456789,query,民眾臨櫃申辦,臨櫃,,T1
"
        .as_bytes(),
    );
    let out = baomi(&[
        "lookups", "--data", d, "import", "--csv", &lookups, "--cases", &cases,
    ]);
    assert!(out.contains("4 look-up(s) imported"), "{out}");
    let judged = baomi(&["lookups", "--data", d, "evaluate"]);
    assert!(
        judged.contains("2026-11-02: 4 look-up(s), 1 flagged"),
        "{judged}"
    );

    // The supervisor.
    let sup = Browser::start(&dir.path().join("p-sup"));
    first_sign_in(&sup, &site, d, "chen", true);
    sup.goto(&format!("{site}/lookups/review"));
    sup.click("a[href=\"/lookups/review/2026-11-02\"]");
    let page = sup.wait_text("案號 115欠00001 的當事人不含本筆查詢對象");
    assert!(
        page.contains("F2******89") && !page.contains("F223456789"),
        "masked"
    );
    // Flagged first.
    let flagged_at = page.find("tr class=\"flagged\"").unwrap();
    assert!(flagged_at < page.find("B2******89").unwrap());
    // Sign one plain entry; a flagged one without a remark is refused.
    sup.click("tr:not(.flagged) input[name=id]");
    sup.click("select[name=step] option[value=sign]");
    sup.click("fieldset.actions button[type=submit]");
    sup.wait_text("已完成");
    sup.click("tr.flagged input[name=id]");
    sup.click("select[name=step] option[value=sign]");
    sup.click("fieldset.actions button[type=submit]");
    sup.wait_text("請填寫意見");
    sup.click("tr.flagged input[name=id]");
    sup.click("select[name=step] option[value=ask]");
    sup.fill(
        "fieldset.actions input[name=remark]",
        "這位民眾與欠稅案有何關係？",
    );
    sup.click("fieldset.actions button[type=submit]");
    sup.wait_text("已詢問");

    // The operator answers in the interface.
    let other = Browser::start(&dir.path().join("p-other"));
    first_sign_in(&other, &site, d, "wang", false);
    other.goto(&format!("{site}/lookups"));
    other.wait_text("這位民眾與欠稅案有何關係？");
    other.fill(
        "form.answer textarea[name=remark]",
        "她是欠稅人的房客，查址以便送達",
    );
    other.click("form.answer button[type=submit]");
    other.wait_text("已答覆，待主管核閱");

    // The supervisor reads the answer, escalates, signs the rest of the day.
    sup.goto(&format!("{site}/lookups/review/2026-11-02"));
    sup.wait_text("她是欠稅人的房客");
    sup.click("tr.flagged input[name=id]");
    sup.click("select[name=step] option[value=escalate]");
    sup.fill(
        "fieldset.actions input[name=remark]",
        "說明與案件不符，陳報政風",
    );
    sup.click("fieldset.actions button[type=submit]");
    sup.wait_text("已陳報政風");
    sup.fill("form.signday input[name=remark]", "其餘正常");
    sup.click("form.signday button[type=submit]");
    // The escalation's page already says 已完成: wait for the signed day itself.
    let done = sup.wait_source("the day signed", |src| {
        src.contains("已完成") && src.matches("已核章").count() >= 3
    });
    assert_eq!(
        done.matches("已核章").count(),
        3,
        "three signed, one escalated"
    );
    assert_eq!(done.matches("已陳報政風").count(), 1, "{done}");
    sup.screenshot(&dir.path().join("review-day.png"));

    // The integrity officer.
    other.forget_cookies();
    first_sign_in(&other, &site, d, "ian", true);
    other.goto(&format!("{site}/lookups/integrity"));
    let q = other.wait_text("說明與案件不符，陳報政風");
    assert!(
        q.contains("她是欠稅人的房客") && q.contains("已陳報政風"),
        "{q}"
    );
    other.click("form.reveal button");
    other.wait_text("F223456789");
    other.goto(&format!("{site}/lookups/integrity"));
    other.wait_text("已陳報政風");
    other.click("tr.flagged input[name=id]");
    other.click("select[name=step] option[value=close]");
    other.fill(
        "fieldset.actions input[name=remark]",
        "查無正當事由，移請人事單位議處",
    );
    other.click("fieldset.actions button[type=submit]");
    other.wait_text("已完成");
    // Who looked her up? The officer's search finds the concluded look-up.
    other.fill(
        "form[action=\"/lookups/search\"] input[name=subject]",
        "F223456789",
    );
    other.click("form[action=\"/lookups/search\"] button");
    let found = other.wait_text("政風已結案");
    assert!(found.contains("王稅務員"), "{found}");
    // Seeing the subject and searching were logged.
    other.goto(&format!("{site}/audit?action=lookups."));
    let audit = other.wait_text("lookups.reveal");
    assert!(
        audit.contains("lookups.search_subject") && audit.contains("lookups.sign_day"),
        "{audit}"
    );
}
