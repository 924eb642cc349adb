"""Mail Console: a desktop console for sending email through transactional email APIs."""

__version__ = "0.1.0"
