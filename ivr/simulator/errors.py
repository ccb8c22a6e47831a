"""Exceptions of the simulator: errors for API users and signals that steer a call's thread."""


class SimulatorError(Exception):
    """Base class for errors reported to users of the simulator's Python or control API."""


class UnknownCallError(SimulatorError, KeyError):
    """No call with that sid exists."""

    def __str__(self) -> str:
        return f"unknown call {self.args[0] if self.args else ''}"


class CallStateError(SimulatorError, ValueError):
    """The action does not fit the call's current state (e.g. answering a finished call)."""


class CallOver(Exception):
    """Raised inside a call's thread once the call has ended (hang-up, cancel, shutdown)."""


class Redirected(Exception):
    """Raised inside a call's thread when the REST API gave it new TwiML to run."""

    def __init__(self, target):
        super().__init__("redirected")
        self.target = target


class Dequeued(Exception):
    """Raised inside a queued call's thread when a <Dial><Queue> picked it up."""


class LeaveQueue(Exception):
    """Raised by <Leave/> in wait TwiML: the call leaves its queue."""


class AppError(Exception):
    """The app's webhook failed (HTTP error, unreachable, unparsable TwiML): Twilio's 'application
    error', with the Twilio error code it is logged under (11200, 11205, 12100) and the URL.
    """

    def __init__(self, message: str, code: int = 12100, url: str | None = None):
        super().__init__(message)
        self.code = code
        self.url = url
