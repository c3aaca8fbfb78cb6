//! `baomi admin`: accounts, the org chart, backups and the log's key, on the data folder.

use anyhow::{Result, anyhow, bail};
use baomi_server::accounts::Role;
use baomi_server::admin::Admin;
use baomi_server::config::Config;
use baomi_server::orgchart::Change;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args)]
pub struct AdminArgs {
    /// Configuration file (as for `baomi serve`).
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Data folder (as for `baomi serve`).
    #[arg(long, value_name = "DIR", global = true)]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens for other systems.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Import the org chart from the personnel office's CSV (a dry run unless --apply).
    ImportOrg {
        /// CSV file (UTF-8 or Big5).
        file: PathBuf,
        /// Apply the changes (default: show them only).
        #[arg(long)]
        apply: bool,
    },
    /// Online, consistent backup of the database and the audit log into a new folder.
    Backup {
        /// Destination folder (must not exist).
        dest: PathBuf,
    },
    /// Print the audit log's verifier key (give it to witnesses and auditors).
    LogVkey,
    /// Restore a backup folder into a new data folder (--data), after checking the database and
    /// verifying the log.
    Restore {
        /// Backup folder written by `baomi admin backup`.
        backup: PathBuf,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token acting as an account (usually one with the api role); prints it once.
    Create {
        /// Account the token acts as.
        #[arg(long)]
        user: String,
        /// What it is for (e.g. 戶役政資訊系統).
        #[arg(long)]
        name: String,
        /// Scopes (repeatable): profile:read, lookups:write, audit:read.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Expires after this many days.
        #[arg(long)]
        days: Option<i64>,
    },
    /// List tokens.
    List,
    /// Revoke a token.
    Revoke {
        /// Token id (from `list`).
        id: i64,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// List accounts.
    List,
    /// Create an account; prints its one-time password.
    Add {
        /// Sign-in name.
        username: String,
        /// Name shown.
        #[arg(long)]
        name: String,
        /// Roles: staff, supervisor, integrity, admin, api (repeatable).
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// Issue a new one-time password (ends sessions, unlocks).
    ResetPassword {
        /// Sign-in name.
        username: String,
    },
    /// Remove an account's second factor (lost phone): they enrol again at next sign-in.
    Reset2fa {
        /// Sign-in name.
        username: String,
    },
    /// Disable an account (a leaver): sessions end at once; records stay.
    Disable {
        /// Sign-in name.
        username: String,
    },
    /// Enable a disabled account again.
    Enable {
        /// Sign-in name.
        username: String,
    },
    /// Grant a role.
    Grant {
        /// Sign-in name.
        username: String,
        /// Role.
        role: String,
    },
    /// Revoke a role.
    Revoke {
        /// Sign-in name.
        username: String,
        /// Role.
        role: String,
    },
}

fn role(s: &str) -> Result<Role> {
    Role::parse(s)
        .ok_or_else(|| anyhow!("unknown role {s:?} (staff, supervisor, integrity, admin, api)"))
}

fn err(e: baomi_server::error::Error) -> anyhow::Error {
    match &e {
        baomi_server::error::Error::Internal(d) => anyhow!("{d}"),
        baomi_server::error::Error::NotFound => anyhow!("no such account"),
        _ => anyhow!("{e}"),
    }
}

pub fn run(a: AdminArgs) -> Result<u8> {
    let mut cfg = Config::load(a.config.as_deref())?;
    if let Some(d) = a.data {
        cfg.data_dir = d;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let adm = Admin::open(&cfg).await.map_err(err)?;
        let code = match a.command {
            AdminCommand::User { command } => user(&adm, command).await?,
            AdminCommand::ImportOrg { file, apply } => {
                let bytes = std::fs::read(&file).map_err(|e| anyhow!("{}: {e}", file.display()))?;
                match adm.import_org(&bytes, apply).await.map_err(err)? {
                    Err(lines) => {
                        for l in &lines {
                            eprintln!("{}:{}: {}", file.display(), l.line, l.message);
                        }
                        bail!("{} problem(s); nothing was imported", lines.len());
                    }
                    Ok(plan) => {
                        for c in &plan.changes {
                            println!("{}", describe(c));
                        }
                        for no in &plan.not_in_file {
                            println!("not in file (left as is): {no}");
                        }
                        println!(
                            "{} change(s){}",
                            plan.changes.len(),
                            if apply {
                                " applied"
                            } else {
                                " (dry run: --apply to import)"
                            }
                        );
                        0
                    }
                }
            }
            AdminCommand::Token { command } => match command {
                TokenCommand::Create {
                    user,
                    name,
                    scopes,
                    days,
                } => {
                    let (id, token) = adm
                        .create_token(&user, &name, &scopes, days)
                        .await
                        .map_err(err)?;
                    println!("token {id}: {token}");
                    eprintln!("(shown once: store it in the calling system now)");
                    0
                }
                TokenCommand::List => {
                    for (id, user, name, scopes, _, last, revoked) in
                        baomi_server::tokens::list(&adm.db).await.map_err(err)?
                    {
                        println!(
                            "{id}\t{user}\t{name}\t{scopes}\t{}{}",
                            last.map_or(
                                "never used".to_string(),
                                |t| baomi_server::clock::display(t, false)
                            ),
                            if revoked { "\trevoked" } else { "" }
                        );
                    }
                    0
                }
                TokenCommand::Revoke { id } => {
                    if !adm.revoke_token(id).await.map_err(err)? {
                        bail!("no live token {id}");
                    }
                    0
                }
            },
            AdminCommand::Backup { dest } => {
                adm.backup(&dest).await.map_err(err)?;
                println!("backup written to {}", dest.display());
                0
            }
            AdminCommand::Restore { .. } => unreachable!("handled before opening the data folder"),
            AdminCommand::LogVkey => {
                println!("{}", baomi_tlog::verifier(&adm.log_paths)?.vkey());
                0
            }
        };
        if !adm.holds_log {
            eprintln!("(the running server appends these audit events to the log)");
        }
        Ok(code)
    })
}

fn describe(c: &Change) -> String {
    match c {
        Change::UnitCreate { code, name } => format!("+ unit {code} {name}"),
        Change::UnitUpdate { code, fields } => format!("~ unit {code}: {}", fields.join(", ")),
        Change::PersonCreate {
            employee_no,
            username,
        } => format!("+ person {employee_no} ({username})"),
        Change::PersonUpdate {
            employee_no,
            fields,
        } => format!("~ person {employee_no}: {}", fields.join(", ")),
        Change::PersonDisable { employee_no } => format!("- person {employee_no} left: disabled"),
        Change::PersonEnable { employee_no } => format!("+ person {employee_no} back: enabled"),
    }
}

async fn user(adm: &Admin, c: UserCommand) -> Result<u8> {
    match c {
        UserCommand::List => {
            for (u, n, unit, roles, disabled) in adm.list_users().await.map_err(err)? {
                println!(
                    "{u}\t{n}\t{unit}\t{roles}{}",
                    if disabled { "\tdisabled" } else { "" }
                );
            }
        }
        UserCommand::Add {
            username,
            name,
            roles,
        } => {
            let roles: Vec<Role> = roles.iter().map(|r| role(r)).collect::<Result<_>>()?;
            let pw = adm.add_user(&username, &name, &roles).await.map_err(err)?;
            println!("{username}: one-time password {pw}");
        }
        UserCommand::ResetPassword { username } => {
            let pw = adm.reset_password(&username).await.map_err(err)?;
            println!("{username}: one-time password {pw}");
        }
        UserCommand::Reset2fa { username } => adm.reset_2fa(&username).await.map_err(err)?,
        UserCommand::Disable { username } => {
            adm.set_disabled(&username, true).await.map_err(err)?
        }
        UserCommand::Enable { username } => {
            adm.set_disabled(&username, false).await.map_err(err)?
        }
        UserCommand::Grant { username, role: r } => adm
            .set_role(&username, role(&r)?, true)
            .await
            .map_err(err)?,
        UserCommand::Revoke { username, role: r } => adm
            .set_role(&username, role(&r)?, false)
            .await
            .map_err(err)?,
    }
    Ok(0)
}
