"""The maintainer's desk: what needs me (``queue``), and replies I write (``reply``)."""
