"""Stage 6: review. What repliers said about each patch (trailers and prose
verdicts, read quote-aware), who they are for the files touched, and the
state each patch and series is in because of it.  Pure functions over plain
data: no store, CLI or web imports."""
