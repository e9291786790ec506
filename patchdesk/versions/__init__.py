"""Stage 5: lineage. Which series is the next version of which, and which
patch became which (also re-titled, reordered, dropped or split).  Pure."""
