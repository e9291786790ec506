"""Scoring for bench/lineage.py: patchdesk's export against synth.py's truth.

Truth keys are (series, version) pairs ("series-versions").  Message-IDs are
compared without angle brackets.  See bench/lineage.py for what each figure
means.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime


def mid(m):
    return (m or "").strip().strip("<>")


class Score:
    """Joins one truth file and one export and computes every figure."""

    def __init__(self, truth, export):
        self.truth = {(t["series"], t["version"]): t for t in truth}
        self.tpatch = {}                     # msgid -> truth key
        self.commit = {}                     # msgid -> commit
        self.versions = defaultdict(list)    # series -> sorted versions
        for key, t in self.truth.items():
            self.versions[key[0]].append(key[1])
            for p in t["patches"]:
                self.tpatch[mid(p["msgid"])] = key
                self.commit[mid(p["msgid"])] = p["commit"]
        for vs in self.versions.values():
            vs.sort()
        self.series = {s["id"]: s for s in export["series"]}
        self.patches = {p["msgid"]: p for p in export["patches"]}
        self.duplicate_msgids = len(export["patches"]) - len(self.patches)
        self.members = defaultdict(set)       # pd series -> msgids
        for p in export["patches"]:
            self.members[p["series"]].add(p["msgid"])
        # truth key -> pd series holding most of its patches, and back
        self.to_pd = {}
        for key, t in self.truth.items():
            c = Counter(self.patches[m]["series"] for m in (mid(p["msgid"]) for p in t["patches"])
                        if m in self.patches)
            self.to_pd[key] = min(c, key=lambda s: (-c[s], s)) if c else None
        self.covers = {mid(t["cover"]): k for k, t in self.truth.items() if t["cover"]}
        self.to_truth = {}
        for sid, ms in self.members.items():
            c = Counter(self.tpatch[m] for m in ms if m in self.tpatch)
            self.to_truth[sid] = min(c, key=lambda k: (-c[k], k)) if c else None
        for sid, s in self.series.items():
            if self.to_truth.get(sid) is None:
                self.to_truth[sid] = self.covers.get(s["cover"] or "")
        # "unclean" truth series, artefacts of synth.py rather than list traffic:
        # versions not dated in version order (each earlier version's date is
        # drawn on its own, so v2 may precede v1), and sends spanning more than
        # a day (a final version keeps its commits' author dates)
        dates = {k: sorted(self.patches[mid(p["msgid"])]["date"] for p in t["patches"]
                           if mid(p["msgid"]) in self.patches) for k, t in self.truth.items()}
        self.disordered = {s for s, vs in self.versions.items()
                           if any(not dates[s, a] or not dates[s, b] or dates[s, b][0] <= dates[s, a][0]
                                  for a, b in zip(vs, vs[1:]))}
        self.wide = {k[0] for k, d in dates.items() if d and
                     (datetime.fromisoformat(d[-1]) - datetime.fromisoformat(d[0])).days >= 1}
        self.unclean = self.disordered | self.wide

    # -- truth-side pairs --------------------------------------------------------
    def truth_links(self, series=None, skip=()):
        for s, vs in self.versions.items():
            if (series is None or s in series) and s not in skip:
                for a, b in zip(vs, vs[1:]):
                    yield (s, a), (s, b)

    def truth_patch_pairs(self, links):
        pairs = set()
        for old, new in links:
            by_commit = defaultdict(list)
            for p in self.truth[new]["patches"]:
                by_commit[p["commit"]].append(mid(p["msgid"]))
            for p in self.truth[old]["patches"]:
                pairs |= {(mid(p["msgid"]), n) for n in by_commit.get(p["commit"], [])}
        return pairs

    def pd_patch_pairs(self):
        return {(p["msgid"], n) for p in self.patches.values() for n in p["superseded_by"]}

    def link_correct(self, prev, sid):
        a, b = self.to_truth.get(prev), self.to_truth.get(sid)
        if a is None or b is None or a[0] != b[0]:
            return False
        vs = self.versions[a[0]]
        return vs.index(b[1]) == vs.index(a[1]) + 1

    def link_found(self, old, new):
        a, b = self.to_pd[old], self.to_pd[new]
        return a is not None and b is not None and a != b and self.series[b]["previous"] == a

    # -- the figures -------------------------------------------------------------
    def grouping(self, skip=()):
        cont = Counter()
        for m, key in self.tpatch.items():
            if key[0] in skip:
                continue
            cont[key, self.patches[m]["series"] if m in self.patches else ("unseen", m)] += 1
        pairs = lambda n: n * (n - 1) // 2  # noqa: E731
        tp = sum(pairs(c) for c in cont.values())
        t_sizes, p_sizes = Counter(), Counter()
        for (key, sid), c in cont.items():
            t_sizes[key] += c
            p_sizes[sid] += c
        exact = 0
        for key, t in self.truth.items():
            if key[0] in skip:
                continue
            sid = self.to_pd[key]
            want = {mid(p["msgid"]) for p in t["patches"]}
            if sid is not None and self.members[sid] == want and \
                    (self.series[sid]["cover"] or "") == mid(t["cover"]):
                exact += 1
        unseen = sum(1 for m in self.tpatch if m not in self.patches)
        extra = sum(1 for m in self.patches if m not in self.tpatch)
        return {"precision": (tp, sum(pairs(n) for n in p_sizes.values())),
                "recall": (tp, sum(pairs(n) for n in t_sizes.values())),
                "exact": (exact, sum(k[0] not in skip for k in self.truth)),
                "unseen": unseen, "extra": extra}

    def skipped(self, skip, *sids):
        return any((self.to_truth.get(s) or (None,))[0] in skip for s in sids)

    def links(self, skip=()):
        """skip: truth series left out (links touching them count on neither side)."""
        truth = list(self.truth_links(skip=skip))
        found = sum(1 for old, new in truth if self.link_found(old, new))
        made = [(s["previous"], sid) for sid, s in self.series.items()
                if s["previous"] and not self.skipped(skip, s["previous"], sid)]
        good = sum(1 for prev, sid in made if self.link_correct(prev, sid))
        return {"precision": (good, len(made)), "recall": (found, len(truth))}

    def patch_links(self, skip=()):
        truth = self.truth_patch_pairs(self.truth_links(skip=skip))
        made = {(a, b) for a, b in self.pd_patch_pairs()
                if not any(self.tpatch.get(m, (None,))[0] in skip for m in (a, b))}
        return {"precision": (len(truth & made), len(made)), "recall": (len(truth & made), len(truth))}

    def superseded(self):
        truth = {mid(p["msgid"]) for t in self.truth.values() if not t["final"] for p in t["patches"]}
        made = {m for m, p in self.patches.items() if p["state"] == "superseded"}
        return {"precision": (len(truth & made), len(made)), "recall": (len(truth & made), len(truth))}

    def hard(self):
        """Per kind: the link (previous version -> rewritten version) and its patches."""
        rows, all_made = {}, self.pd_patch_pairs()
        for key, t in self.truth.items():
            if "hard" not in t:
                continue
            vs = self.versions[key[0]]
            old = (key[0], vs[vs.index(key[1]) - 1])
            r = rows.setdefault(t["hard"], Counter())
            r["series"] += 1
            sid = self.to_pd[key]
            prev = self.series[sid]["previous"] if sid is not None else None
            r["linked"] += self.link_found(old, key)
            r["wrong"] += bool(prev) and not self.link_found(old, key)
            r["missed"] += not prev
            want = self.truth_patch_pairs([(old, key)])
            olds = {mid(p["msgid"]) for p in self.truth[old]["patches"]}
            news = {mid(p["msgid"]) for p in t["patches"]}
            made = {(a, b) for a, b in all_made if a in olds or b in news}
            r["pairs"] += len(want & made)
            r["pairs_want"] += len(want)
            r["pairs_false"] += len(made - want)
            r["sup"] += sum(1 for m in olds if m in self.patches and self.patches[m]["state"] == "superseded")
            r["sup_want"] += len(olds)
        return rows

    # -- samples of mistakes, for reading ----------------------------------------
    def describe(self, sid):
        if sid is None:
            return "(no patchdesk series)"
        s = self.series[sid]
        return f"#{sid} {s['version_label']} {len(s['patches'])}p truth={self.to_truth.get(sid)} {s['name']!r}"

    def mistakes(self, limit, only=None, skip=()):
        wrong, missed = [], []
        for sid, s in sorted(self.series.items()):
            if s["previous"] and not self.link_correct(s["previous"], sid) \
                    and not self.skipped(skip, s["previous"], sid):
                if only is None or (self.to_truth.get(sid) or (None,))[0] in only:
                    wrong.append(f"WRONG  {self.describe(s['previous'])}\n"
                                 f"    -> {self.describe(sid)}\n       evidence: {s['previous_evidence']}")
        for old, new in self.truth_links(only, skip):
            if not self.link_found(old, new):
                b = self.to_pd[new]
                prev = self.series[b]["previous"] if b is not None else None
                missed.append(f"MISSED {old} {self.describe(self.to_pd[old])}\n"
                              f"    -> {new} {self.describe(b)}\n"
                              f"       patchdesk previous instead: {self.describe(prev) if prev else None}")
        return wrong[:limit], missed[:limit], len(wrong), len(missed)
