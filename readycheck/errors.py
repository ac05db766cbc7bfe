"""Errors that end a run with a one-line message instead of a traceback.

`InputError` is anything wrong with what the user gave readycheck (a flag, a
snapshot, a rule pack, a site file): exit 2, the message names the file and the
key. Anything else that escapes is a bug in readycheck: exit 3.
"""

EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_INPUT_ERROR = 2
EXIT_INTERNAL_ERROR = 3


class InputError(Exception):
    """Bad input from the user; the message is one line naming the file and what is wrong."""
