//! Retention: after `retention_days` a message's text and files are deleted. What stays is the
//! record that they existed (sender, time, conversation, the hash and the gate's decision, and
//! the log entry that vouches for them), so an investigation can still prove what was said
//! when someone produces a copy. Each run is recorded in the audit trail.

use super::Messenger;
use super::writer::{Done, Op};
use crate::audit::{Event, Outcome};
use crate::error::Result;

impl Messenger {
    /// Purges what is past the retention period (the server runs this every hour). Returns
    /// how many messages were purged.
    pub async fn apply_retention(&self) -> Result<usize> {
        let days = self.cfg.retention_days;
        if days <= 0 {
            return Ok(0);
        }
        let before = crate::clock::now() - days * 86_400;
        let mut total = 0;
        loop {
            let Done::Purged(n, files) = self.writer.run(Op::Purge { before }).await? else {
                return Ok(total);
            };
            for f in files {
                let path = self.files.join(&f);
                if let Err(e) = tokio::fs::remove_file(&path).await
                    && e.kind() != std::io::ErrorKind::NotFound
                {
                    tracing::error!(error = %e, file = %path.display(), "deleting a purged attachment");
                }
            }
            if n == 0 {
                break;
            }
            total += n;
        }
        if total > 0 {
            self.audit
                .record(
                    Event::new(None, "message.purge", Outcome::Ok).detail(serde_json::json!({
                        "messages": total,
                        "before": before,
                        "retention_days": days,
                    })),
                )
                .await?;
        }
        Ok(total)
    }
}
