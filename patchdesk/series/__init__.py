"""Stage 4: what each message is (patch, cover, pull, reply, proposal) and
which messages form one series.  Pure functions over plain data."""
