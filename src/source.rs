//! (module under construction: source)
