//! (module under construction: job)
