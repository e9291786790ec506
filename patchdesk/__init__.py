"""patchdesk: where every patch on a mailing list stands."""

__version__ = "0.1.0"
