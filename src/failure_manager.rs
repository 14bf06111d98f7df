//! (module under construction: failure_manager)
