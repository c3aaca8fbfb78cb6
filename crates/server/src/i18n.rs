//! Interface text: Traditional Chinese (zh-TW) first, English available. One table, so a
//! missing translation is a compile-time-visible gap rather than a runtime surprise.

use axum::http::HeaderMap;

mod ledger;

/// Interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// 繁體中文 (default).
    ZhTw,
    /// English.
    En,
}

impl Lang {
    /// From the `lang` cookie, else zh-TW (agencies' staff read Chinese first).
    pub fn from_headers(h: &HeaderMap) -> Lang {
        match crate::auth::cookie(h, "lang") {
            Some("en") => Lang::En,
            _ => Lang::ZhTw,
        }
    }

    /// `lang` attribute of the page.
    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhTw => "zh-Hant-TW",
            Lang::En => "en",
        }
    }

    /// Is it Chinese?
    pub fn zh(self) -> bool {
        self == Lang::ZhTw
    }

    /// Text for a key; the key itself if missing.
    pub fn t(self, key: &'static str) -> &'static str {
        let Some((_, zh, en)) = TEXT.iter().chain(ledger::TEXT).find(|(k, _, _)| *k == key) else {
            return key;
        };
        if self.zh() { zh } else { en }
    }
}

const TEXT: &[(&str, &str, &str)] = &[
    ("app.name", "保密", "baomi"),
    (
        "app.tagline",
        "機關公務機密與個人資料保護",
        "Official secrets and personal data, kept inside",
    ),
    ("nav.home", "首頁", "Home"),
    ("nav.chat", "公務訊息", "Messages"),
    ("chat.title", "公務訊息", "Messages"),
    (
        "chat.noscript",
        "公務訊息需要啟用 JavaScript。",
        "Messages need JavaScript.",
    ),
    ("nav.sessions", "登入裝置", "Sessions"),
    ("nav.password", "變更密碼", "Password"),
    ("nav.audit", "稽核紀錄", "Audit"),
    ("nav.signout", "登出", "Sign out"),
    ("nav.skip", "跳至主要內容", "Skip to content"),
    ("lang.switch", "English", "中文"),
    ("signin.title", "登入", "Sign in"),
    ("signin.username", "帳號", "Username"),
    ("signin.password", "密碼", "Password"),
    ("signin.submit", "登入", "Sign in"),
    (
        "signin.failed",
        "帳號或密碼錯誤。",
        "Wrong username or password.",
    ),
    (
        "signin.locked",
        "嘗試次數過多，帳號暫時鎖定，請稍後再試或洽系統管理者。",
        "Too many attempts: the account is locked for a while. Try later or ask the administrator.",
    ),
    (
        "signin.slow_down",
        "此位址嘗試登入次數過多，請稍候一分鐘再試。",
        "Too many sign-in attempts from this address: wait a minute and try again.",
    ),
    ("home.title", "首頁", "Home"),
    ("home.welcome", "您好", "Welcome"),
    ("home.unit", "單位", "Unit"),
    ("home.title_field", "職稱", "Title"),
    ("home.roles", "角色", "Roles"),
    ("home.none", "（未設定）", "(not set)"),
    ("role.staff", "一般同仁", "Staff"),
    ("role.supervisor", "主管", "Supervisor"),
    ("role.integrity", "政風人員", "Integrity officer"),
    ("role.admin", "系統管理者", "Administrator"),
    ("role.api", "系統介接", "API client"),
    ("sessions.title", "登入裝置", "Your sessions"),
    (
        "sessions.intro",
        "以下是您目前有效的登入。不認得的請立即登出。",
        "These are your active sessions. End any you do not recognise.",
    ),
    ("sessions.started", "登入時間", "Signed in"),
    ("sessions.last", "最後使用", "Last used"),
    ("sessions.browser", "瀏覽器", "Browser"),
    ("sessions.address", "位址", "Address"),
    ("sessions.this", "（本裝置）", "(this one)"),
    ("sessions.revoke", "登出此裝置", "End"),
    ("password.title", "變更密碼", "Change password"),
    (
        "password.must",
        "首次登入或密碼經重設，請先設定新密碼。",
        "Choose a new password before going on.",
    ),
    ("password.current", "目前密碼", "Current password"),
    (
        "password.new",
        "新密碼（至少 12 字）",
        "New password (at least 12 characters)",
    ),
    (
        "password.repeat",
        "再次輸入新密碼",
        "Repeat the new password",
    ),
    ("password.submit", "變更密碼", "Change password"),
    (
        "password.mismatch",
        "兩次輸入的新密碼不同。",
        "The new passwords differ.",
    ),
    (
        "password.wrong",
        "目前密碼錯誤。",
        "The current password is wrong.",
    ),
    (
        "password.done",
        "密碼已變更，其他裝置已登出。",
        "Password changed; your other sessions were ended.",
    ),
    (
        "pw.too_short",
        "密碼至少需 12 個字元。",
        "At least 12 characters.",
    ),
    ("pw.too_long", "密碼過長。", "Too long."),
    (
        "pw.too_simple",
        "密碼過於單純，請使用更多不同字元。",
        "Too simple: use more different characters.",
    ),
    (
        "pw.contains_username",
        "密碼不可包含帳號。",
        "Must not contain the username.",
    ),
    ("2fa.title", "兩步驟驗證", "Two-step verification"),
    (
        "2fa.intro",
        "主管、政風人員與系統管理者須使用兩步驟驗證。請在驗證器 App（如 Google Authenticator、Microsoft Authenticator）中手動加入以下金鑰，再輸入 App 顯示的 6 位數字。",
        "Supervisors, integrity officers and administrators must use two-step verification. Add this key to an authenticator app, then enter the 6-digit code it shows.",
    ),
    ("2fa.secret", "金鑰", "Key"),
    ("2fa.uri", "設定網址", "Set-up URI"),
    (
        "2fa.code",
        "驗證碼（6 位數字或備用碼）",
        "Code (6 digits, or a recovery code)",
    ),
    ("2fa.confirm", "啟用", "Turn on"),
    (
        "2fa.wrong",
        "驗證碼錯誤或已使用過，請再試一次。",
        "Wrong or already used code. Try again.",
    ),
    (
        "2fa.enabled",
        "兩步驟驗證已啟用。",
        "Two-step verification is on.",
    ),
    (
        "2fa.recovery",
        "以下備用碼每組只能使用一次，手機遺失時可用來登入。請抄下並妥善保管，此頁離開後不再顯示。",
        "Each recovery code works once, for when your phone is lost. Write them down and keep them safe: they are not shown again.",
    ),
    ("2fa.challenge", "輸入驗證碼", "Enter your code"),
    (
        "2fa.challenge_intro",
        "請輸入驗證器 App 顯示的 6 位數字，或一組備用碼。",
        "Enter the 6-digit code from your authenticator app, or a recovery code.",
    ),
    ("audit.title", "稽核紀錄", "Audit trail"),
    (
        "audit.intro",
        "所有狀態變更都記錄於此，並寫入防竄改紀錄（序號即其位置）。您的查閱也會被記錄。",
        "Every state change is recorded here and in the tamper-evident log (the index is its place there). Your viewing is recorded too.",
    ),
    ("audit.action", "動作", "Action"),
    ("audit.user", "帳號", "User"),
    ("audit.outcome", "結果", "Outcome"),
    ("audit.any", "全部", "Any"),
    ("audit.filter", "篩選", "Filter"),
    ("audit.time", "時間", "Time"),
    ("audit.target", "對象", "Target"),
    ("audit.address", "位址", "Address"),
    ("audit.log_index", "紀錄序號", "Log index"),
    ("audit.pending", "寫入中", "pending"),
    ("audit.older", "較早的紀錄", "Older entries"),
    ("nav.admin", "帳號管理", "Accounts"),
    ("admin.users", "帳號管理", "Accounts"),
    ("admin.name", "姓名", "Name"),
    ("admin.status", "狀態", "Status"),
    ("admin.actions", "操作", "Action"),
    ("admin.active", "在職", "Active"),
    ("admin.disabled", "已停用", "Disabled"),
    ("admin.enable", "恢復啟用", "Enable"),
    ("admin.disable", "停用（離職）", "Disable (left)"),
    (
        "admin.reset_password",
        "核發一次性密碼",
        "Issue a one-time password",
    ),
    (
        "admin.reset_2fa",
        "重設兩步驟驗證",
        "Reset two-step verification",
    ),
    ("admin.grant", "授予", "Grant"),
    ("admin.revoke", "撤銷", "Revoke"),
    ("admin.do", "執行", "Apply"),
    (
        "admin.done",
        "已完成，並已記錄於稽核紀錄。",
        "Done, and recorded in the audit trail.",
    ),
    (
        "admin.not_self",
        "不可停用自己或撤銷自己的管理者角色。",
        "You cannot disable yourself or revoke your own administrator role.",
    ),
    (
        "admin.one_time",
        "一次性密碼（僅顯示一次，請當面或以安全管道交付）",
        "One-time password (shown once: hand it over in person or by a safe channel)",
    ),
    ("admin.org", "匯入組織人事資料", "Import the org chart"),
    (
        "admin.org_intro",
        "上傳人事單位匯出的 CSV（UTF-8 或 Big5）。先預覽變更，確認後才匯入；離職人員會停用帳號並立即登出，不會刪除。",
        "Upload the personnel office's CSV (UTF-8 or Big5). Preview the changes first; leavers are disabled and signed out at once, never deleted.",
    ),
    ("admin.org_file", "CSV 檔案", "CSV file"),
    ("admin.preview", "預覽變更", "Preview changes"),
    (
        "admin.preview_intro",
        "將進行的變更數：",
        "Changes to make:",
    ),
    ("admin.change", "變更", "Change"),
    ("admin.detail", "內容", "Detail"),
    ("admin.apply", "確認匯入", "Import now"),
    ("admin.applied", "已匯入，變更數：", "Imported; changes:"),
    (
        "admin.org_errors",
        "檔案有誤，未匯入任何資料：",
        "The file has problems; nothing was imported:",
    ),
    ("admin.line", "第", "Line"),
    (
        "admin.not_in_file",
        "檔案中沒有、帳號仍啟用的員工編號（未變更，請確認）：",
        "Employee numbers not in the file and still enabled (left as they are; check them):",
    ),
    ("admin.unit_new", "新增單位", "New unit"),
    ("admin.unit_change", "單位異動", "Unit changed"),
    ("admin.person_new", "新增人員", "New person"),
    ("admin.person_change", "人員異動", "Person changed"),
    ("admin.person_left", "離職停用", "Left: disabled"),
    ("admin.person_back", "恢復啟用", "Back: enabled"),
    ("admin.tokens", "系統介接權杖", "API tokens"),
    (
        "admin.tokens_intro",
        "其他系統（如戶役政、車籍系統）以權杖呼叫 API。權杖只在建立時顯示一次，資料庫僅存雜湊值。",
        "Other systems call the API with tokens. A token is shown once, at creation; only its hash is stored.",
    ),
    ("admin.token_name", "用途", "Purpose"),
    ("admin.scopes", "權限範圍", "Scopes"),
    ("admin.last_used", "最後使用", "Last used"),
    ("admin.revoked", "已撤銷", "Revoked"),
    ("admin.token_new", "建立權杖", "New token"),
    (
        "admin.token_user",
        "代表的帳號（通常為系統介接角色）",
        "Account it acts as (usually one with the API role)",
    ),
    ("admin.token_days", "有效天數", "Valid for (days)"),
    ("admin.token_create", "建立", "Create"),
    (
        "admin.token_shown_once",
        "權杖如下，只顯示這一次，請立即設定到呼叫端系統：",
        "The token, shown this once: store it in the calling system now:",
    ),
    ("admin.no_such_user", "查無此帳號。", "No such account."),
    ("error.title", "無法完成", "Could not do that"),
    (
        "error.forbidden",
        "您沒有權限執行此操作。",
        "You are not allowed to do this.",
    ),
    ("error.not_found", "找不到此頁面。", "Page not found."),
    (
        "error.generic",
        "發生錯誤，請稍後再試。",
        "Something went wrong. Please try again.",
    ),
    ("error.back", "回首頁", "Back to the start"),
];

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_unique_and_translated() {
        let mut seen = std::collections::HashSet::new();
        for (k, zh, en) in super::TEXT.iter().chain(super::ledger::TEXT) {
            assert!(seen.insert(k), "duplicate key {k}");
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
    }
}
