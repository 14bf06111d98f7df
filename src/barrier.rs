//! (module under construction: barrier)
