"""User-facing errors: the CLI prints them as one line and exits 2."""


class HwgenError(Exception):
    """An error caused by the user's input (model, flag, file), not by a bug."""
