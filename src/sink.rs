//! (module under construction: sink)
