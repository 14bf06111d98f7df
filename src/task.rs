//! (module under construction: task)
