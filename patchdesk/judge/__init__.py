"""The judging core: the pure stages composed, from plain records to the
whole judgement (series, version links, lineage states, reviews).

Nothing here touches the store, git or the web.  The store-backed
pipeline (``pipeline.settle``) loads records, calls these functions and
saves what they return; ``judge.memory.judge`` runs the same functions on
mail held in memory (golden fixtures, ``tests/data/judge/``).
"""
