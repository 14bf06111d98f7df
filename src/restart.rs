//! (module under construction: restart)
