"""Use cases that run the pure stages and write their results to the store."""
