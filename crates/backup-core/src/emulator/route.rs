//! [`RouteClass`]: what kind of endpoint a request went to.

/// The kind of endpoint a request reached, as told by the vendor's classifier
/// (see [`EmulatorConfig::classify`](super::EmulatorConfig::classify)).
///
/// The classes are vendor-neutral so that tests can say "the next poll fails"
/// or "count the logins" without knowing the vendor's URL layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteClass {
    /// Token or login endpoints (OAuth token, session login, IAM token...).
    Auth,
    /// Starting a backup (the request that must never be sent twice blindly).
    Trigger,
    /// Reading an operation, job or session.
    Poll,
    /// Cancelling, stopping or killing a running backup.
    Control,
    /// Anything else.
    Other,
    /// Every class: only meaningful as a fault target
    /// ([`Faults::inject`](super::Faults::inject)). A classifier that returns
    /// `Any` is treated as if it had returned [`RouteClass::Other`].
    Any,
}

impl RouteClass {
    /// The classes a request can actually have (every class but [`RouteClass::Any`]).
    pub const CONCRETE: [RouteClass; 5] = [
        RouteClass::Auth,
        RouteClass::Trigger,
        RouteClass::Poll,
        RouteClass::Control,
        RouteClass::Other,
    ];

    /// Whether a fault aimed at `self` applies to a request of class `class`.
    ///
    /// [`RouteClass::Any`] matches every class; any other target matches only itself.
    #[must_use]
    pub fn matches(self, class: RouteClass) -> bool {
        self == RouteClass::Any || self == class
    }

    /// The class a request is recorded under: [`RouteClass::Any`] becomes
    /// [`RouteClass::Other`], every other class stays as it is.
    #[must_use]
    pub fn concrete(self) -> RouteClass {
        match self {
            RouteClass::Any => RouteClass::Other,
            class => class,
        }
    }

    /// A stable index in `0..5` for per-class tables (`Any` shares `Other`'s slot).
    pub(crate) fn index(self) -> usize {
        match self.concrete() {
            RouteClass::Auth => 0,
            RouteClass::Trigger => 1,
            RouteClass::Poll => 2,
            RouteClass::Control => 3,
            RouteClass::Other | RouteClass::Any => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RouteClass;

    #[test]
    fn any_matches_everything_and_others_only_themselves() {
        for class in RouteClass::CONCRETE {
            assert!(RouteClass::Any.matches(class));
            assert!(class.matches(class));
        }
        assert!(!RouteClass::Poll.matches(RouteClass::Trigger));
        assert_eq!(RouteClass::Any.concrete(), RouteClass::Other);
    }

    #[test]
    fn indices_are_distinct() {
        let mut seen = [false; 5];
        for class in RouteClass::CONCRETE {
            assert!(!seen[class.index()]);
            seen[class.index()] = true;
        }
    }
}
