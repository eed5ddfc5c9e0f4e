"""The exceptions users see: each message is printed by the CLI as a single line."""


class VidganError(Exception):
    """A problem the user can act on (bad input, unknown model, ...), not a bug in vidgan."""


class UsageError(VidganError):
    """Settings that do not go together (the CLI's usage errors: exit status 2)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with what was kept and how to go on (the CLI prints it and exits 130)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
