//! References from a [`JobSpec`](crate::spec::JobSpec) to user code by registered name (`kind = "user"`, `"user-source"`, `"user-sink"`): unresolved as a scenario file gives them, resolved once a [`crate::user::Registry`] attaches the factories.
//!
//! Part of the scenario model (the run's description names user code), so the scenario stage
//! does not depend on the registry; `crate::user` re-exports these types and resolves them.

use crate::spec::OpSpec;
use ckptsim::operator::Operator;
use ckptsim::user::{
    UserOperator, UserOperatorFactory, UserSinkFactory, UserSinkSystem, UserSource, UserSourceFactory,
    UserWriterFactory, UserWriterSystem,
};
use std::fmt;

/// A user operator in a [`JobSpec`](crate::spec::JobSpec): its registered name and, once resolved, its factory.
/// Equal when the names are equal.
#[derive(Clone)]
pub struct UserOpRef {
    name: String,
    keyed: bool,
    factory: Option<UserOperatorFactory>,
}

impl UserOpRef {
    /// A reference by name only (what a scenario file gives before a registry resolves it).
    pub fn unresolved(name: &str) -> Self {
        UserOpRef { name: name.to_string(), keyed: false, factory: None }
    }

    /// A reference resolved to `factory`.
    pub fn new(name: &str, factory: UserOperatorFactory) -> Self {
        let keyed = factory().is_keyed();
        UserOpRef { name: name.to_string(), keyed, factory: Some(factory) }
    }

    /// The registered name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the implementation holds keyed state (false while unresolved).
    pub fn is_keyed(&self) -> bool {
        self.keyed
    }

    /// Whether a registry attached the implementation.
    pub fn is_resolved(&self) -> bool {
        self.factory.is_some()
    }

    fn instance(&self) -> Box<dyn UserOperator> {
        match &self.factory {
            Some(f) => f(),
            None => panic!("user operator `{}` is not registered: load the scenario with its Registry", self.name),
        }
    }

    /// A fresh operator for one task attempt, with `op`'s failure injectors.
    pub fn operator(&self, op: &OpSpec) -> Operator {
        Operator::from_user(self.instance(), op.injectors.clone()).expect("injectors were validated")
    }

    /// A fresh operator without failure injectors (the reference fold).
    pub fn operator_without_injectors(&self) -> Operator {
        Operator::from_user(self.instance(), Vec::new()).expect("no injectors")
    }
}

impl fmt::Debug for UserOpRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "User({:?})", self.name)
    }
}

impl PartialEq for UserOpRef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// User code a [`JobSpec`](crate::spec::JobSpec) names (`kind = "user-source"` / `"user-sink"`): its registered
/// name and, once a registry resolved it, its factory. Equal when the names are equal.
#[derive(Clone)]
pub struct Registered<F> {
    name: String,
    factory: Option<F>,
}

impl<F> Registered<F> {
    /// A reference by name only (before a registry resolves it).
    pub fn unresolved(name: &str) -> Self {
        Registered { name: name.to_string(), factory: None }
    }

    /// A reference resolved to `factory`.
    pub fn new(name: &str, factory: F) -> Self {
        Registered { name: name.to_string(), factory: Some(factory) }
    }

    /// The registered name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether a registry attached the implementation.
    pub fn is_resolved(&self) -> bool {
        self.factory.is_some()
    }
}

impl<F> PartialEq for Registered<F> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// A user source in a [`JobSpec`](crate::spec::JobSpec) (`kind = "user-source"`).
pub type UserSourceRef = Registered<UserSourceFactory>;

/// A user sink in a [`JobSpec`](crate::spec::JobSpec) (`kind = "user-sink"`): the factory of its external system.
pub type UserSinkRef = Registered<UserSinkFactory>;

/// A user at-least-once sink in a [`JobSpec`](crate::spec::JobSpec) (`kind = "user-sink"` registered with
/// [`Registry::with_at_least_once_sink`](crate::user::Registry::with_at_least_once_sink)): the factory of its external system.
pub type UserWriterRef = Registered<UserWriterFactory>;

impl UserSourceRef {
    /// A fresh reader; `None` while unresolved.
    pub fn instance(&self) -> Option<Box<dyn UserSource>> {
        self.factory.as_ref().map(|f| f())
    }
}

impl UserSinkRef {
    /// A fresh external system for one run; `None` while unresolved.
    pub fn system(&self) -> Option<Box<dyn UserSinkSystem>> {
        self.factory.as_ref().map(|f| f())
    }
}

impl UserWriterRef {
    /// A fresh external system for one run; `None` while unresolved.
    pub fn system(&self) -> Option<Box<dyn UserWriterSystem>> {
        self.factory.as_ref().map(|f| f())
    }
}

impl fmt::Debug for UserWriterRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserWriter({:?})", self.name)
    }
}

impl fmt::Debug for UserSourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserSource({:?})", self.name)
    }
}

impl fmt::Debug for UserSinkRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserSink({:?})", self.name)
    }
}
