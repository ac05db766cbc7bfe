"""Stand-in for the `grequests` package when the tests run DMTF's Redfish-Mockup-Server.

The server imports grequests (and with it gevent) at start, but uses it only to POST events to
subscribers, which readycheck's tests never create; this keeps gevent out of the test dependencies.
"""


def post(*args, **kwargs):
    raise RuntimeError("event subscriptions are not served in readycheck's tests")


def map(*args, **kwargs):  # noqa: A001 - the name grequests uses
    raise RuntimeError("event subscriptions are not served in readycheck's tests")
