"""The one exception type users see: its message is printed by the CLI as a single line."""


class VidganError(Exception):
    """A problem the user can act on (bad input, unknown model, ...), not a bug in vidgan."""
