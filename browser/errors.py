"""What can go wrong in the browser, in the domain's words. Nothing here knows HTTP: the API
adapter (browser/apis.py, `api_error_of`) gives each its status."""


class BrowserError(Exception):
    """The browser could not do what was asked; `message` is for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UrlNotAllowed(BrowserError):
    """A URL (or its redirect) the SSRF guard refused, with the guard's reason."""


class InvalidSelector(BrowserError):
    """A CSS selector the page's engine rejects."""


class NoElementMatches(BrowserError):
    pass


class PageLoadFailed(BrowserError):
    """The page did not load (network error, navigation timeout)."""


class BrowserDeadlineExceeded(BrowserError):
    pass


class BrowserNotHere(BrowserError):
    """This process serves no browser (an AWS stage whose browser is its own function)."""


class PageSlotsBusy(BrowserError):
    """No page slot free now; a slot frees within `retry_after_seconds` at the latest."""

    def __init__(self, message: str, *, retry_after_seconds: int):
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class PageShareSpent(PageSlotsBusy):
    """The user already holds their share of this process's page slots."""
