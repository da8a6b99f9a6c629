//! The desktop app: an eframe window over the service layer. One file per screen;
//! shared widgets in `widgets/`. Screens read state and push actions; the
//! `backend` thread owns the `Service` and does all work off the UI thread.

pub mod widgets;
