//! Connected clients. The writer publishes each committed, logged event once, in event order,
//! to the connections of its recipients. A client too slow to keep up is cut off rather than
//! let events pile up: it reconnects and resumes from its last event, so it loses nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Events waiting for one connection before it is cut off.
const QUEUE: usize = 1024;

/// One event as delivered: its cursor and its JSON text (serialised once for all recipients).
#[derive(Clone, Debug)]
pub struct Delivery {
    /// Event cursor.
    pub seq: i64,
    /// JSON of the event.
    pub json: Arc<str>,
}

/// The registry of connections (cheap to clone).
#[derive(Clone, Default)]
pub struct Hub {
    inner: Arc<Inner>,
}

/// A user's open connections: (connection id, its queue).
type Connections = Vec<(u64, mpsc::Sender<Delivery>)>;

#[derive(Default)]
struct Inner {
    next: AtomicU64,
    users: Mutex<HashMap<i64, Connections>>,
}

/// A registered connection; dropping it unregisters.
pub struct Subscription {
    hub: Hub,
    user: i64,
    id: u64,
    /// Events for this connection, in order; closed when the connection was too slow.
    pub events: mpsc::Receiver<Delivery>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut users = self.hub.inner.users.lock().expect("hub lock");
        if let Some(v) = users.get_mut(&self.user) {
            v.retain(|(id, _)| *id != self.id);
            if v.is_empty() {
                users.remove(&self.user);
            }
        }
    }
}

impl Hub {
    /// Registers a connection of `user`.
    pub fn subscribe(&self, user: i64) -> Subscription {
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.inner.next.fetch_add(1, Ordering::Relaxed);
        self.inner
            .users
            .lock()
            .expect("hub lock")
            .entry(user)
            .or_default()
            .push((id, tx));
        Subscription {
            hub: self.clone(),
            user,
            id,
            events: rx,
        }
    }

    /// Delivers one event to every connection of `recipients`; returns how many got it.
    pub fn publish(&self, recipients: &[i64], d: &Delivery) -> usize {
        let mut users = self.inner.users.lock().expect("hub lock");
        let mut n = 0;
        for u in recipients {
            if let Some(conns) = users.get_mut(u) {
                // A full queue: the connection is dropped (its receiver sees the channel
                // closed) and the client resumes from its cursor.
                conns.retain(|(_, tx)| match tx.try_send(d.clone()) {
                    Ok(()) => {
                        n += 1;
                        true
                    }
                    Err(_) => false,
                });
            }
        }
        n
    }

    /// Connections open now.
    pub fn connections(&self) -> usize {
        self.inner
            .users
            .lock()
            .expect("hub lock")
            .values()
            .map(Vec::len)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slow_connection_is_cut_off_not_fed_forever() {
        let hub = Hub::default();
        let mut fast = hub.subscribe(1);
        let slow = hub.subscribe(1);
        let other = hub.subscribe(2);
        let d = |seq| Delivery {
            seq,
            json: Arc::from("{}"),
        };
        for seq in 0..QUEUE as i64 {
            assert_eq!(hub.publish(&[1], &d(seq)), 2);
            assert_eq!(fast.events.recv().await.unwrap().seq, seq);
        }
        // The slow one's queue is full now: it is dropped, the fast one still gets events.
        assert_eq!(hub.publish(&[1], &d(9999)), 1);
        assert_eq!(fast.events.recv().await.unwrap().seq, 9999);
        assert_eq!(hub.connections(), 2);
        drop(slow);
        drop(other);
        assert_eq!(hub.connections(), 1);
    }
}
