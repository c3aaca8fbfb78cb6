//! `baomi admin` services: org chart import (dry run, apply, idempotence, leavers), accounts,
//! backups, and audit rows written while another process holds the log.

use baomi_server::accounts::Role;
use baomi_server::admin::Admin;
use baomi_server::config::Config;
use baomi_server::orgchart::Change;

const ORG: &str = "員工編號,帳號,姓名,單位代碼,單位名稱,上級單位代碼,職稱,主管員工編號,角色,狀態
A001,chief,林局長,HQ,局本部,,局長,,主管,在職
A002,wang,王小明,INV,偵查隊,HQ,隊員,A003,,在職
A003,chen,陳隊長,INV,偵查隊,HQ,隊長,A001,主管,在職
A004,lee,李政風,ETH,政風室,HQ,政風員,A001,政風,在職
";

async fn server_once(dir: &std::path::Path) -> Config {
    let cfg = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    drop(baomi_server::open(cfg.clone()).await.unwrap());
    cfg
}

#[tokio::test]
async fn org_import_dry_run_apply_idempotent_and_leavers() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = server_once(dir.path()).await;
    let adm = Admin::open(&cfg).await.unwrap();
    assert!(adm.holds_log);
    let dry = adm
        .import_org(ORG.as_bytes(), false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dry.changes.len(), 7);
    assert_eq!(
        adm.list_users().await.unwrap().len(),
        1,
        "a dry run writes nothing"
    );
    adm.import_org(ORG.as_bytes(), true).await.unwrap().unwrap();
    let again = adm.import_org(ORG.as_bytes(), true).await.unwrap().unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    let users = adm.list_users().await.unwrap();
    let chen = users.iter().find(|u| u.0 == "chen").unwrap();
    assert_eq!(
        (chen.2.as_str(), chen.3.as_str()),
        ("偵查隊", "staff,supervisor")
    );
    // Supervisor links and unit tree.
    let sup: String = sqlx::query_scalar(
        "SELECT s.username FROM users u JOIN users s ON s.id = u.supervisor_id WHERE u.username = 'wang'",
    )
    .fetch_one(&adm.db)
    .await
    .unwrap();
    assert_eq!(sup, "chen");
    let parent: String = sqlx::query_scalar(
        "SELECT p.code FROM units u JOIN units p ON p.id = u.parent_id WHERE u.code = 'INV'",
    )
    .fetch_one(&adm.db)
    .await
    .unwrap();
    assert_eq!(parent, "HQ");

    // wang signs in, then leaves: disabled, sessions ended, records kept.
    adm.reset_password("wang").await.unwrap();
    let wang_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'wang'")
        .fetch_one(&adm.db)
        .await
        .unwrap();
    sqlx::query("INSERT INTO sessions (token_hash, public_id, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES (x'00', 'p', ?, 'c', 1, 1, 9999999999)")
        .bind(wang_id)
        .execute(&adm.db)
        .await
        .unwrap();
    let left = ORG
        .replace("A003,,在職", "A003,,離職")
        .replace("隊員", "偵查員");
    let plan = adm
        .import_org(left.as_bytes(), true)
        .await
        .unwrap()
        .unwrap();
    assert!(plan.changes.contains(&Change::PersonDisable {
        employee_no: "A002".into()
    }));
    assert!(
        plan.changes.iter().any(
            |c| matches!(c, Change::PersonUpdate { fields, .. } if fields[0].contains("偵查員"))
        )
    );
    let revoked: Option<i64> =
        sqlx::query_scalar("SELECT revoked_at FROM sessions WHERE public_id = 'p'")
            .fetch_one(&adm.db)
            .await
            .unwrap();
    assert!(revoked.is_some());
    assert!(
        adm.list_users()
            .await
            .unwrap()
            .iter()
            .any(|u| u.0 == "wang" && u.4)
    );
    // Import never touches the administrator role.
    adm.set_role("chen", Role::Admin, true).await.unwrap();
    adm.import_org(left.as_bytes(), true)
        .await
        .unwrap()
        .unwrap();
    assert!(
        adm.list_users()
            .await
            .unwrap()
            .iter()
            .any(|u| u.0 == "chen" && u.3.contains("admin"))
    );

    // A username owned by another account is a conflict, not a takeover.
    let clash = ORG.replace("A004,lee", "A009,admin");
    assert!(adm.import_org(clash.as_bytes(), false).await.is_err());
    // Everything is audited and in the log.
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE log_index IS NULL")
            .fetch_one(&adm.db)
            .await
            .unwrap();
    assert_eq!(pending, 0);
}

#[tokio::test]
async fn while_the_server_holds_the_log_rows_wait_and_are_shipped_by_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let server = baomi_server::open(cfg.clone()).await.unwrap().state;
    let adm = Admin::open(&cfg).await.unwrap();
    assert!(!adm.holds_log);
    adm.add_user("lin", "林小華", &[Role::Staff]).await.unwrap();
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE log_index IS NULL")
            .fetch_one(&adm.db)
            .await
            .unwrap();
    assert_eq!(pending, 1);
    server.audit.ship().await.unwrap();
    let pending: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE log_index IS NULL")
            .fetch_one(&adm.db)
            .await
            .unwrap();
    assert_eq!(pending, 0);
}

#[tokio::test]
async fn backup_is_a_working_copy() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = server_once(dir.path()).await;
    let adm = Admin::open(&cfg).await.unwrap();
    adm.import_org(ORG.as_bytes(), true).await.unwrap().unwrap();
    let dest = dir.path().join("backup");
    adm.backup(&dest).await.unwrap();
    assert!(adm.backup(&dest).await.is_err(), "never overwrites");
    drop(adm);
    // Start a server on the copy: same users, the log verifies.
    let copy = Config {
        data_dir: dest.clone(),
        ..Config::default()
    };
    let st = baomi_server::open(copy).await.unwrap().state;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&st.db)
        .await
        .unwrap();
    assert_eq!(n, 5);
    let key = baomi_tlog::verifier(&baomi_tlog::LogPaths::beside(dest.join("log"))).unwrap();
    baomi_tlog::verify::verify_log(
        &baomi_tlog::store::DirStore::new(dest.join("log")),
        &key,
        None,
    )
    .unwrap();
}
