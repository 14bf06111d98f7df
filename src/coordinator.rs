//! (module under construction: coordinator)
