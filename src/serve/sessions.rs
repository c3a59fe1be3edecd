//! The training sessions the server keeps for its pages, apart from how a run is trained
//! (`training.rs`).
//!
//! A page that is reloaded or closed leaves its session behind unless it says goodbye, and a
//! user must never be locked out by sessions nobody looks at any more: when the cap is reached,
//! the least recently used session that no request is reading is dropped to make room, and that
//! is checked before a run is trained. Runs train [`MAX_RUNNING`] at a time (the others wait for
//! a turn), so memory is bounded by ([`MAX_SESSIONS`] + [`MAX_RUNNING`]) sessions of at most
//! `training::MAX_SNAPSHOT` kept numbers each.

use super::ApiError;
use super::error::shorten;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Sessions kept at once.
pub const MAX_SESSIONS: usize = 8;
/// A session unused this long is dropped.
pub const IDLE: Duration = Duration::from_secs(15 * 60);
/// Runs trained at once.
pub const MAX_RUNNING: usize = 2;

struct Entry<T> {
    session: Arc<Mutex<T>>,
    last_used: Instant,
}

/// Sessions by id (128 random bits: another page cannot guess one).
pub struct Sessions<T> {
    inner: Mutex<HashMap<String, Entry<T>>>,
    running: Arc<Semaphore>,
}

impl<T> Default for Sessions<T> {
    fn default() -> Sessions<T> {
        Sessions { inner: Mutex::new(HashMap::new()), running: Arc::new(Semaphore::new(MAX_RUNNING)) }
    }
}

impl<T> Sessions<T> {
    /// A turn to train: waits while [`MAX_RUNNING`] runs are training.
    pub async fn turn(&self) -> OwnedSemaphorePermit {
        self.running.clone().acquire_owned().await.expect("the semaphore is never closed")
    }

    /// Drops expired sessions and, at the cap, the least recently used one no request is
    /// reading; refuses only when every session is being read at this moment.
    pub fn make_room(&self) -> Result<(), ApiError> {
        let mut map = self.inner.lock().expect("sessions lock");
        Self::make_room_in(&mut map)
    }

    fn make_room_in(map: &mut HashMap<String, Entry<T>>) -> Result<(), ApiError> {
        map.retain(|_, e| e.last_used.elapsed() < IDLE);
        while map.len() >= MAX_SESSIONS {
            let idle = map
                .iter()
                .filter(|(_, e)| Arc::strong_count(&e.session) == 1)
                .min_by_key(|(_, e)| e.last_used)
                .map(|(id, _)| id.clone());
            match idle {
                Some(id) => {
                    map.remove(&id);
                }
                None => {
                    return Err(ApiError::busy(format!(
                        "all {MAX_SESSIONS} training sessions are being read right now: try again in a moment"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Keeps `session` under a new id.
    pub fn add(&self, session: T) -> Result<String, ApiError> {
        let mut map = self.inner.lock().expect("sessions lock");
        Self::make_room_in(&mut map)?;
        let id = super::random_id('s');
        map.insert(id.clone(), Entry { session: Arc::new(Mutex::new(session)), last_used: Instant::now() });
        Ok(id)
    }

    /// The session, marked as used now.
    pub fn get(&self, id: &str) -> Result<Arc<Mutex<T>>, ApiError> {
        let mut map = self.inner.lock().expect("sessions lock");
        map.retain(|_, e| e.last_used.elapsed() < IDLE);
        let entry = map.get_mut(id).ok_or_else(|| {
            ApiError::not_found(format!("training session '{}': none (expired? set up the run again)", shorten(id, 40)))
        })?;
        entry.last_used = Instant::now();
        Ok(entry.session.clone())
    }

    /// Drops the session; false if there was none.
    pub fn remove(&self, id: &str) -> bool {
        self.inner.lock().expect("sessions lock").remove(id).is_some()
    }
}
