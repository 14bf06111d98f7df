//! (module under construction: operator)
