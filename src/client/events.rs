//! What a client tells its callers without being asked: a run changed, its log
//! grew, it finished, something failed in the background. Callers hand the client
//! a [`Subscriber`] (a channel plus an optional waker, e.g. egui's
//! `request_repaint`); every backend pushes its events through an [`EventHub`].
//! This computer's backend feeds the hub from the run supervisor; a server
//! backend feeds it from a poller thread, so callers cannot tell the difference.

use crate::model::RunState;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

/// Something that happened to a run, or in the background.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// A run changed state or progress: read it again.
    RunChanged { run_id: String },
    /// The run's log has new lines. Coalesced: at most one per run per frame's
    /// worth of time, however fast the run writes.
    LogGrew { run_id: String },
    /// A run ended, after its results were stored.
    RunFinished { run_id: String, state: RunState },
    /// A failure nobody asked about directly (a result that could not be stored,
    /// post-processing that could not start), with its message.
    Problem {
        run_id: Option<String>,
        message: String,
    },
    /// Something shown changed on the server (a leaderboard, a submission's
    /// runs), about `benchmark_id` when known: read it again.
    Changed { benchmark_id: Option<String> },
    /// The server went away (`online: false`, with the reason) or answers
    /// again.
    Connection {
        online: bool,
        message: Option<String>,
    },
    /// A benchmark's environment is being created: how far, or how it ended.
    Environment(super::view::EnvironmentProgressView),
}

impl ClientEvent {
    /// The run the event is about, if any.
    pub fn run_id(&self) -> Option<&str> {
        match self {
            ClientEvent::RunChanged { run_id }
            | ClientEvent::LogGrew { run_id }
            | ClientEvent::RunFinished { run_id, .. } => Some(run_id),
            ClientEvent::Problem { run_id, .. } => run_id.as_deref(),
            ClientEvent::Changed { .. }
            | ClientEvent::Connection { .. }
            | ClientEvent::Environment(_) => None,
        }
    }
}

/// Called after an event was sent, from the thread that sent it.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Where one caller wants events: a channel, and a function that wakes the
/// caller up (a GUI's repaint request).
#[derive(Clone)]
pub struct Subscriber {
    events: Sender<ClientEvent>,
    wake: Option<Waker>,
}

impl Subscriber {
    /// A subscriber and the receiving end of its channel.
    pub fn channel() -> (Subscriber, Receiver<ClientEvent>) {
        let (events, rx) = mpsc::channel();
        (Subscriber { events, wake: None }, rx)
    }

    /// Also call `wake` after each event.
    pub fn with_waker(mut self, wake: impl Fn() + Send + Sync + 'static) -> Subscriber {
        self.wake = Some(Arc::new(wake));
        self
    }

    /// False once the receiver is gone.
    fn send(&self, event: ClientEvent) -> bool {
        let alive = self.events.send(event).is_ok();
        if alive {
            if let Some(wake) = &self.wake {
                wake();
            }
        }
        alive
    }
}

/// The subscribers of one client. Backends call [`EventHub::emit`]; subscribers
/// whose receiver was dropped are forgotten.
#[derive(Default)]
pub struct EventHub {
    subscribers: Mutex<Vec<Subscriber>>,
}

impl EventHub {
    pub fn subscribe(&self, subscriber: Subscriber) {
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(subscriber);
    }

    pub fn emit(&self, event: ClientEvent) {
        let mut subscribers = self
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        subscribers.retain(|s| s.send(event.clone()));
    }

    /// Whether anyone listens (a poller may stop when nobody does).
    pub fn has_subscribers(&self) -> bool {
        !self
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn events_reach_live_subscribers_and_wake_them() {
        let hub = EventHub::default();
        let woken = Arc::new(AtomicUsize::new(0));
        let (subscriber, rx) = Subscriber::channel();
        let counter = Arc::clone(&woken);
        hub.subscribe(subscriber.with_waker(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        }));
        let (gone, dropped) = Subscriber::channel();
        hub.subscribe(gone);
        drop(dropped);
        let event = ClientEvent::RunChanged { run_id: "r".into() };
        hub.emit(event.clone());
        assert_eq!(rx.try_recv().ok(), Some(event));
        assert_eq!(woken.load(Ordering::SeqCst), 1);
        // The subscriber whose receiver is gone was dropped.
        assert_eq!(hub.subscribers.lock().unwrap().len(), 1);
    }
}
