"""portalkit's warning classes."""


class PortalkitDeprecationWarning(DeprecationWarning):
    """A public name or argument that will be removed; the message says what replaces it and in
    which release. Python hides ``DeprecationWarning`` outside ``__main__``; pytest and
    ``python -W default`` show it."""
