pub fn y() {}
pub mod scenario;
