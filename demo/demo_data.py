"""Content of the patchdesk demo archive: people, the fictional "frob" tree,
patch series and review replies.  make_demo.py turns this into an mbox.

Conventions used below:

* C sources and the Makefile are written with four spaces per indent level;
  make_demo.py turns every leading group of four spaces into a tab, so the
  generated diffs use kernel-style tabs.
* A patch is a list of edits ``(path, old, new)``: ``old`` must occur exactly
  once in the file at that point of the series (``old=None`` creates a file).
  Diffs, diffstats and blob ids are computed from these edits, so hunk
  headers are always right.
* Message keys are ``"<series>/<n>"`` (0 = cover letter) for patch mail and
  free-form names for replies.  ``{{msgid:KEY}}`` in a body is replaced by
  that message's Message-ID (without angle brackets).
* In reply bodies, ``Q(start, end)`` quotes the parent's lines from the first
  line containing ``start`` to the first following line containing ``end``;
  ``Diff(key, edits)`` inserts a git diff of ``edits`` made on top of the tree
  as it is after patch ``key``.
"""
from collections import namedtuple

Person = namedtuple("Person", "name email tz client")
Series = namedtuple("Series", "key author date prefix cover patches to cc threading qp numbered",
                    defaults=(("maria",), ("priya", "list"), "shallow", False, None))
Cover = namedtuple("Cover", "subject body")
Patch = namedtuple("Patch", "subject body edits trailers notes", defaults=(("SOB",), None))
Reply = namedtuple("Reply", "key parent by date parts missing", defaults=(False,))
Q = namedtuple("Q", "start end", defaults=(None,))
Diff = namedtuple("Diff", "base edits")

LIST = "frob-devel@lists.example.org"
LIST_ID = "<frob-devel.lists.example.org>"
ARCHIVE_URL = "https://lists.example.org/r/"

# client: how the person's replies look (see CLIENTS in make_demo.py).
PEOPLE = {
    "maria": Person("Maria Keller", "maria@frob.example.org", "+0100", "mutt"),
    "priya": Person("Priya Raman", "priya@example.net", "+0530", "thunderbird"),
    "henrik": Person("Henrik Nyberg", "henrik.nyberg@example.se", "+0100", "evolution"),
    "chen": Person("Chen Wei", "chen.wei@example.com", "+0800", "gmail"),
    "lena": Person("Lena Hoffmann", "lena.hoffmann@example.com", "+0100", "mutt"),
    "joerg": Person("Jörg Müller", "joerg.mueller@example.de", "+0100", "mutt"),
    "kenji": Person("Kenji Watanabe", "kenji.watanabe@example.jp", "+0900", "gmail"),
    "daniel": Person("Daniel Okafor", "daniel.okafor@example.com", "-0500", "gmail"),
    "ana": Person("Ana Ferreira", "ana.ferreira@example.com", "-0300", "thunderbird"),
    "oleks": Person("Oleksandr Petrenko", "o.petrenko@example.com", "+0200", "thunderbird"),
    "ravi": Person("Ravi Shankar", "ravi.shankar@example.com", "-0800", "gmail"),
    "lucas": Person("Lucas Moreau", "lucas.moreau@example.fr", "+0100", "mutt"),
}


def tag(name, who):
    """A trailer line such as 'Reviewed-by: Priya Raman <priya@example.net>'."""
    return f"{name}: {PEOPLE[who].name} <{PEOPLE[who].email}>"


# --------------------------------------------------------------------------
# The base tree ("frob 0.3"), committed by --tree as the start of main.
# --------------------------------------------------------------------------

BASE_TREE = {}

BASE_TREE["README"] = """\
frob
====

frob is a small C library for submitting units of work ("widgets") to a
processing core and collecting their output in growable buffers.

Building
--------

    make
    make install

Contributing
------------

Patches are welcome on the frob-devel@lists.example.org mailing list.
Please send them with git send-email, one logical change per patch.
"""

BASE_TREE["MAINTAINERS"] = """\
FROB
M:\tMaria Keller <maria@frob.example.org>
R:\tPriya Raman <priya@example.net>
L:\tfrob-devel@lists.example.org
S:\tMaintained
T:\tgit https://git.example.org/frob.git
F:\t*
F:\t*/

FROB DOCUMENTATION
M:\tHenrik Nyberg <henrik.nyberg@example.se>
L:\tfrob-devel@lists.example.org
S:\tMaintained
F:\tDocumentation/
F:\tREADME
"""

BASE_TREE["Makefile"] = """\
# SPDX-License-Identifier: MIT
CC ?= cc
AR ?= ar
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Iinclude
PREFIX ?= /usr/local

OBJS := src/core.o src/buffer.o src/widget.o

all: libfrob.a

libfrob.a: $(OBJS)
    $(AR) rcs $@ $^

install: libfrob.a
    install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/frob
    install -m 644 libfrob.a $(DESTDIR)$(PREFIX)/lib
    install -m 644 include/frob/*.h $(DESTDIR)$(PREFIX)/include/frob

clean:
    $(RM) $(OBJS) libfrob.a

.PHONY: all install clean
"""

BASE_TREE["Documentation/buffer.rst"] = """\
Buffers
=======

``struct frob_buf`` is a growable byte buffer used to recieve data from
the frob core. A buffer starts empty and grows on demand when data is
appended with ``frob_buf_append()``.

Allocation
----------

Buffers grow in steps of ``FROB_BUF_STEP`` bytes. Each buffer keeps
it's own allocation; buffers are never shared between widgets.

``frob_buf_trim()`` drops data from the end of the buffer, and
``frob_buf_reset()`` empties it without releasing the allocation. Use
``frob_buf_free()`` to release the memory once the buffer is no longer
needed.

Thread safety
-------------

Buffers are not thread safe. Callers must provide their own locking if
a buffer is accessed from seperate threads.
"""

BASE_TREE["Documentation/widget.rst"] = """\
Widgets
=======

A widget represents one unit of work submitted to the frob core.
Widgets are reference counted: ``frob_widget_new()`` returns a widget
with a reference count of one and ``frob_widget_put()`` drops it.

Lifecycle
---------

1. Create the widget with ``frob_widget_new()``.
2. Submit it with ``frob_widget_start()``.
3. Wait for completion with ``frob_widget_wait()``.

``frob_widget_wait()`` returns 0 when the widget completed successfully,
``-EIO`` if it failed and ``-EAGAIN`` if the widget was created with
``FROB_WIDGET_NONBLOCK`` and is still busy.

Flags
-----

``FROB_WIDGET_NONBLOCK``
    Never block in ``frob_widget_wait()``.

``FROB_WIDGET_LEGACY``
    Unused, kept for source compatibility.
"""

BASE_TREE["include/frob/buffer.h"] = """\
/* SPDX-License-Identifier: MIT */
#ifndef FROB_BUFFER_H
#define FROB_BUFFER_H

#include <stddef.h>

#define FROB_BUF_STEP\t256

struct frob_buf {
    unsigned char *data;
    size_t len;
    size_t size;
};

int frob_buf_append(struct frob_buf *buf, const void *data, size_t len);
void frob_buf_trim(struct frob_buf *buf, size_t len);
void frob_buf_reset(struct frob_buf *buf);
void frob_buf_free(struct frob_buf *buf);

#endif /* FROB_BUFFER_H */
"""

BASE_TREE["include/frob/widget.h"] = """\
/* SPDX-License-Identifier: MIT */
#ifndef FROB_WIDGET_H
#define FROB_WIDGET_H

#define FROB_WIDGET_NAME_MAX\t32

#define FROB_WIDGET_LEGACY\t(1u << 0)
#define FROB_WIDGET_NONBLOCK\t(1u << 1)

enum frob_widget_state {
    FROB_WIDGET_IDLE,
    FROB_WIDGET_BUSY,
    FROB_WIDGET_DONE,
    FROB_WIDGET_ERROR,
};

struct frob_widget {
    char name[FROB_WIDGET_NAME_MAX];
    enum frob_widget_state state;
    unsigned int flags;
    unsigned int refcount;
    void *priv;
};

struct frob_widget *frob_widget_new(const char *name, unsigned int flags);
void frob_widget_get(struct frob_widget *w);
void frob_widget_put(struct frob_widget *w);
int frob_widget_start(struct frob_widget *w);
int frob_widget_wait(struct frob_widget *w);

#endif /* FROB_WIDGET_H */
"""

BASE_TREE["src/core.h"] = """\
/* SPDX-License-Identifier: MIT */
#ifndef FROB_CORE_H
#define FROB_CORE_H

#include <stdint.h>

struct frob_widget;

int frob_core_submit(struct frob_widget *w);
void frob_core_poll(struct frob_widget *w);
unsigned int frob_core_drain(int max);
uint64_t frob_clock_ms(void);

#endif /* FROB_CORE_H */
"""

BASE_TREE["src/core.c"] = """\
// SPDX-License-Identifier: MIT
/*
 * The frob processing core.
 *
 * Copyright (C) 2024-2026 The frob authors
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stddef.h>
#include <time.h>

#include <frob/widget.h>

#include "core.h"

static struct frob_widget *frob_core_current;

int frob_core_submit(struct frob_widget *w)
{
    if (frob_core_current)
        return -EBUSY;

    frob_core_current = w;
    return 0;
}

void frob_core_poll(struct frob_widget *w)
{
    if (w != frob_core_current)
        return;

    w->state = FROB_WIDGET_DONE;
    frob_core_current = NULL;
    frob_widget_put(w);
}

unsigned int frob_core_drain(int max)
{
    unsigned int i;

    for (i = 0; i < max && frob_core_current; i++)
        frob_core_poll(frob_core_current);

    return i;
}

uint64_t frob_clock_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
"""

BASE_TREE["src/buffer.c"] = """\
// SPDX-License-Identifier: MIT
/*
 * Growable byte buffers.
 *
 * Copyright (C) 2024-2026 The frob authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <frob/buffer.h>

static int frob_buf_grow_slow(struct frob_buf *buf, size_t need)
{
    unsigned char *data;
    size_t size = buf->size;

    while (size < need)
        size += FROB_BUF_STEP;

    data = realloc(buf->data, size);
    if (!data)
        return -ENOMEM;

    buf->data = data;
    buf->size = size;
    return 0;
}

int frob_buf_append(struct frob_buf *buf, const void *data, size_t len)
{
    int ret;

    if (buf->len + len > buf->size) {
        ret = frob_buf_grow_slow(buf, buf->len + len);
        if (ret)
            return ret;
    }

    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    return 0;
}

void frob_buf_trim(struct frob_buf *buf, size_t len)
{
    if (len >= buf->len)
        buf->len = 0;
    else
        buf->len -= len;
}

void frob_buf_reset(struct frob_buf *buf)
{
    buf->len = 0;
}

void frob_buf_free(struct frob_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->size = 0;
}
"""

BASE_TREE["src/widget.c"] = """\
// SPDX-License-Identifier: MIT
/*
 * Widget lifecycle handling.
 *
 * Copyright (C) 2024-2026 The frob authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <frob/widget.h>

#include "core.h"

struct frob_widget *frob_widget_new(const char *name, unsigned int flags)
{
    struct frob_widget *w;

    if (!name || strlen(name) >= FROB_WIDGET_NAME_MAX)
        return NULL;

    w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;

    strcpy(w->name, name);
    w->flags = flags;
    w->state = FROB_WIDGET_IDLE;
    w->refcount = 1;

    return w;
}

void frob_widget_get(struct frob_widget *w)
{
    w->refcount++;
}

void frob_widget_put(struct frob_widget *w)
{
    if (--w->refcount)
        return;

    free(w->priv);
    free(w);
}

int frob_widget_start(struct frob_widget *w)
{
    int ret;

    if (w->state == FROB_WIDGET_BUSY)
        return -EBUSY;

    /* The core holds a reference until the widget completes. */
    frob_widget_get(w);
    ret = frob_core_submit(w);
    if (ret)
        return ret;

    w->state = FROB_WIDGET_BUSY;
    return 0;
}

int frob_widget_wait(struct frob_widget *w)
{
    while (w->state == FROB_WIDGET_BUSY) {
        if (w->flags & FROB_WIDGET_NONBLOCK)
            return -EAGAIN;
        frob_core_poll(w);
    }

    return w->state == FROB_WIDGET_DONE ? 0 : -EIO;
}
"""

BASE_COMMIT = dict(subject="frob 0.3", body="Tag the 0.3 release.", by="maria",
                   date="2026-10-26 12:00:00", tag="v0.3")

# --------------------------------------------------------------------------
# Story 1: widget timeout, v1 reviewed, v2 with "Changes since v1", acks.
# --------------------------------------------------------------------------

TIMEOUT_1 = [
    ("include/frob/widget.h", """\
    unsigned int refcount;
    void *priv;
""", """\
    unsigned int refcount;
    unsigned int timeout_ms;
    void *priv;
"""),
    ("include/frob/widget.h", """\
void frob_widget_put(struct frob_widget *w);
""", """\
void frob_widget_put(struct frob_widget *w);
void frob_widget_set_timeout(struct frob_widget *w, unsigned int timeout_ms);
"""),
    ("src/widget.c", """\
    free(w->priv);
    free(w);
}
""", """\
    free(w->priv);
    free(w);
}

/**
 * frob_widget_set_timeout() - limit how long frob_widget_wait() may block
 * @w: the widget
 * @timeout_ms: timeout in milliseconds, 0 means wait forever
 */
void frob_widget_set_timeout(struct frob_widget *w, unsigned int timeout_ms)
{
    w->timeout_ms = timeout_ms;
}
"""),
]

TIMEOUT_2_V1 = [("src/widget.c", """\
int frob_widget_wait(struct frob_widget *w)
{
    while (w->state == FROB_WIDGET_BUSY) {
        if (w->flags & FROB_WIDGET_NONBLOCK)
            return -EAGAIN;
""", """\
int frob_widget_wait(struct frob_widget *w)
{
    unsigned int waited = 0;

    while (w->state == FROB_WIDGET_BUSY) {
        if (w->flags & FROB_WIDGET_NONBLOCK)
            return -EAGAIN;
        if (w->timeout_ms && waited++ >= w->timeout_ms)
            return -ETIMEDOUT;
""")]

# Priya's "something like this, untested" on top of v1 2/3 ...
TIMEOUT_DEADLINE_FIXUP = [("src/widget.c", """\
    unsigned int waited = 0;

    while (w->state == FROB_WIDGET_BUSY) {
        if (w->flags & FROB_WIDGET_NONBLOCK)
            return -EAGAIN;
        if (w->timeout_ms && waited++ >= w->timeout_ms)
""", """\
    uint64_t deadline = 0;

    if (w->timeout_ms)
        deadline = frob_clock_ms() + w->timeout_ms;

    while (w->state == FROB_WIDGET_BUSY) {
        if (w->flags & FROB_WIDGET_NONBLOCK)
            return -EAGAIN;
        if (deadline && frob_clock_ms() >= deadline)
""")]

# ... which v2 2/3 adopts.
TIMEOUT_2_V2 = TIMEOUT_2_V1 + TIMEOUT_DEADLINE_FIXUP

TIMEOUT_DOC = """\
Timeouts
--------

By default ``frob_widget_wait()`` waits for as long as the core needs.
Call ``frob_widget_set_timeout()`` to limit the wait; the timeout is
given in {unit} and ``0`` disables it. When the timeout expires,
``frob_widget_wait()`` returns ``-ETIMEDOUT`` and the widget stays
busy, so the caller may wait again later.

Flags
-----
"""


def timeout_doc(unit):
    return [("Documentation/widget.rst", "Flags\n-----\n", TIMEOUT_DOC.format(unit=unit))]


TIMEOUT_COVER = """\
frob_widget_wait() currently blocks until the core has finished with a
widget. That is a problem for callers that need to stay responsive when
the core is wedged; we hit it in our test harness, where a single stuck
widget hangs the whole run.

This series adds a per-widget timeout: patch 1 adds the field and a
setter, patch 2 makes frob_widget_wait() honour it and patch 3
documents the new behaviour.
"""

TIMEOUT_MSG_1 = """\
Add a timeout_ms field to struct frob_widget together with
frob_widget_set_timeout() to set it. A timeout of zero, the default for
widgets created with frob_widget_new(), keeps the current behaviour of
waiting forever.

The field is not used yet; the next patch makes frob_widget_wait()
honour it."""

TIMEOUT_MSG_3 = """\
Describe the new timeout in the widget documentation, including what
frob_widget_wait() returns when it expires."""

SUBJ_T1 = "frob: widget: add a timeout to struct frob_widget"
SUBJ_T2 = "frob: widget: honour the timeout in frob_widget_wait()"
SUBJ_T3 = "Documentation: widget: document the wait timeout"

# --------------------------------------------------------------------------
# Story 2: buffer rework, NAKed as one patch, resent as four small steps.
# --------------------------------------------------------------------------

BUF_RENAME = [
    ("src/buffer.c", "static int frob_buf_grow_slow(", "static int frob_buf_alloc("),
    ("src/buffer.c", "ret = frob_buf_grow_slow(", "ret = frob_buf_alloc("),
]

BUF_POW2 = [("src/buffer.c", """\
static int frob_buf_alloc(struct frob_buf *buf, size_t need)
{
    unsigned char *data;
    size_t size = buf->size;

    while (size < need)
        size += FROB_BUF_STEP;

    data = realloc(buf->data, size);
""", """\
static size_t frob_buf_roundup(size_t need)
{
    size_t size = FROB_BUF_STEP;

    while (size < need)
        size <<= 1;

    return size;
}

static int frob_buf_alloc(struct frob_buf *buf, size_t need)
{
    unsigned char *data;
    size_t size = frob_buf_roundup(need);

    data = realloc(buf->data, size);
""")]

BUF_ZERO = [("src/buffer.c", """\
        return -ENOMEM;

    buf->data = data;
""", """\
        return -ENOMEM;

    memset(data + buf->size, 0, size - buf->size);
    buf->data = data;
""")]

BUF_RESERVE = [
    ("include/frob/buffer.h", """\
int frob_buf_append(struct frob_buf *buf, const void *data, size_t len);
""", """\
int frob_buf_append(struct frob_buf *buf, const void *data, size_t len);
int frob_buf_reserve(struct frob_buf *buf, size_t size);
"""),
    ("src/buffer.c", """\
    buf->len += len;
    return 0;
}
""", """\
    buf->len += len;
    return 0;
}

/**
 * frob_buf_reserve() - make sure @buf can take @size more bytes
 * @buf: the buffer
 * @size: number of bytes the caller is about to append
 *
 * Return: 0 on success, -ENOMEM if the allocation failed.
 */
int frob_buf_reserve(struct frob_buf *buf, size_t size)
{
    if (buf->len + size <= buf->size)
        return 0;

    return frob_buf_alloc(buf, buf->len + size);
}
"""),
]

BUF_V1_MSG = """\
The buffer code grows allocations in fixed FROB_BUF_STEP increments,
which makes appending large payloads quadratic. Rework it:

- rename frob_buf_grow_slow() to frob_buf_alloc()
- round allocations up to the next power of two
- zero newly allocated memory
- add frob_buf_reserve() for callers that know the final size

From a quick benchmark appending 64 MiB in 4 KiB chunks:

  before: 1.92s
  after:  0.04s"""

BUF_V2_COVER = """\
Appending large payloads to a struct frob_buf is quadratic, because the
buffer only ever grows by FROB_BUF_STEP bytes. This series switches to
power-of-two growth and adds frob_buf_reserve() for callers that know
the final size up front.

v1 was a single patch that did four things at once; this version
splits it into one change per patch. The end result is identical to
v1.

Changes since v1:
- split into four patches (Maria)
- explain why newly allocated memory is zeroed (Maria)
- benchmark numbers for musl as well as glibc (Priya)

v1: {ARCHIVE_URL}{{{{msgid:buf-v1/1}}}}
""".format(ARCHIVE_URL=ARCHIVE_URL)

# --------------------------------------------------------------------------
# Story 4/5: assorted single patches.
# --------------------------------------------------------------------------

LEGACY_H = [("include/frob/widget.h", "#define FROB_WIDGET_LEGACY\t(1u << 0)\n", "")]
LEGACY_DOC = [("Documentation/widget.rst", """\
    Never block in ``frob_widget_wait()``.

``FROB_WIDGET_LEGACY``
    Unused, kept for source compatibility.
""", """\
    Never block in ``frob_widget_wait()``.
""")]
LEGACY_MSG = """\
FROB_WIDGET_LEGACY has not been checked anywhere since frob 0.2, when
the legacy submission path was removed. Drop the flag."""

SERIES = [
    Series("timeout-v1", "lena", "2026-11-02 10:15:00", "PATCH",
           Cover("frob: add widget timeout support", TIMEOUT_COVER), [
               Patch(SUBJ_T1, TIMEOUT_MSG_1, TIMEOUT_1),
               Patch(SUBJ_T2, """\
Make frob_widget_wait() give up with -ETIMEDOUT once the timeout set
with frob_widget_set_timeout() has expired. Widgets without a timeout
behave as before.""", TIMEOUT_2_V1),
               Patch(SUBJ_T3, TIMEOUT_MSG_3, timeout_doc("seconds")),
           ], cc=("priya", "henrik", "list")),
    Series("buf-v1", "joerg", "2026-11-04 09:02:11", "PATCH", None, [
        Patch("frob: rework buffer allocation", BUF_V1_MSG,
              BUF_RENAME + BUF_POW2 + BUF_ZERO + BUF_RESERVE),
    ]),
    Series("legacy-v1", "lucas", "2026-11-06 11:12:40", "PATCH", None, [
        Patch("frob: widget: remove FROB_WIDGET_LEGACY", LEGACY_MSG, LEGACY_H),
    ]),
    Series("docs", "kenji", "2026-11-06 16:20:05", "PATCH",
           Cover("docs: typo fixes and build instructions", """\
Two small documentation patches I wrote while packaging frob for our
distribution: a few typos in the buffer documentation, and a README
section on the variables the Makefile understands.
"""), [
               Patch("docs: buffer: fix typos", """\
Fix three typos in Documentation/buffer.rst: "recieve", "it's" used as
a possessive and "seperate".""", [
                   ("Documentation/buffer.rst", "recieve", "receive"),
                   ("Documentation/buffer.rst", "it's own", "its own"),
                   ("Documentation/buffer.rst", "seperate", "separate"),
               ]),
               Patch("README: document build options", """\
Packagers keep asking which variables the Makefile honours. List them
in the README.""", [("README", """\
    make
    make install
""", """\
Run ``make`` to build ``libfrob.a`` and ``make install`` to install the
library and its headers. The Makefile honours the usual variables:

``CC``
    The C compiler to use (default: ``cc``).

``CFLAGS``
    Compiler flags (default: ``-O2 -g``).

``PREFIX``, ``DESTDIR``
    Installation prefix (default: ``/usr/local``) and staging
    directory for packaging.
""")]),
           ], to=("maria", "henrik"), cc=("list",)),
    Series("legacy-v2", "lucas", "2026-11-06 15:31:02", "PATCH v2", None, [
        Patch("frob: widget: remove FROB_WIDGET_LEGACY", LEGACY_MSG, LEGACY_H + LEGACY_DOC,
              notes="v2: also remove the flag from Documentation/widget.rst"),
    ], cc=("henrik", "list")),
    Series("timeout-v2", "lena", "2026-11-09 09:30:00", "PATCH v2",
           Cover("frob: add widget timeout support", TIMEOUT_COVER + """
Changes since v1:
- 1/3: no code changes, collected Priya's Reviewed-by
- 2/3: measure the timeout with frob_clock_ms() instead of counting
  poll iterations (Priya)
- 3/3: the timeout is in milliseconds, not seconds (Maria)

v1: {url}{{{{msgid:timeout-v1/0}}}}
""".format(url=ARCHIVE_URL)), [
               Patch(SUBJ_T1, TIMEOUT_MSG_1, TIMEOUT_1, ("SOB", tag("Reviewed-by", "priya"))),
               Patch(SUBJ_T2, """\
Make frob_widget_wait() give up with -ETIMEDOUT once the timeout set
with frob_widget_set_timeout() has expired. The deadline is computed
once from the monotonic frob_clock_ms(), so the timeout no longer
depends on how long each frob_core_poll() call takes. Widgets without a
timeout behave as before.""", TIMEOUT_2_V2, (tag("Suggested-by", "priya"), "SOB"),
                     notes="""\
Changes in v2:
- use a deadline based on frob_clock_ms() instead of counting poll
  iterations (Priya)"""),
               Patch(SUBJ_T3, TIMEOUT_MSG_3, timeout_doc("milliseconds"),
                     notes="Changes in v2:\n- the timeout is in milliseconds (Maria)"),
           ], cc=("priya", "henrik", "list")),
    Series("callback-rfc", "daniel", "2026-11-09 21:40:33", "RFC PATCH", None, [
        Patch("frob: widget: add a completion callback", """\
Polling with frob_widget_wait() is awkward for users built around an
event loop. Let them register a callback that the core calls when a
widget completes.""", [
            ("include/frob/widget.h", "struct frob_widget {\n", """\
struct frob_widget;

typedef void (*frob_widget_done_fn)(struct frob_widget *w, void *arg);

struct frob_widget {
"""),
            ("include/frob/widget.h", "    void *priv;\n", """\
    void *priv;
    frob_widget_done_fn done;
    void *done_arg;
"""),
            ("include/frob/widget.h", "int frob_widget_wait(struct frob_widget *w);\n", """\
int frob_widget_wait(struct frob_widget *w);
void frob_widget_set_done(struct frob_widget *w, frob_widget_done_fn fn, void *arg);
"""),
            ("src/widget.c", """\
    free(w->priv);
    free(w);
}
""", """\
    free(w->priv);
    free(w);
}

void frob_widget_set_done(struct frob_widget *w, frob_widget_done_fn fn, void *arg)
{
    w->done = fn;
    w->done_arg = arg;
}
"""),
            ("src/core.c", """\
    frob_core_current = NULL;
    frob_widget_put(w);
""", """\
    frob_core_current = NULL;
    if (w->done)
        w->done(w, w->done_arg);
    frob_widget_put(w);
"""),
        ], notes="""\
This is an RFC because I am not sure where the callback should run.
This version calls it from frob_core_poll() just before the core drops
its reference, which means the callback must not call
frob_widget_wait() on the same widget. Calling it from
frob_widget_wait() instead would be safer, but defeats the purpose for
callers that never wait.""")]),
    # Sent without a cover letter: 2/2 is threaded under 1/2.
    Series("wextra", "ravi", "2026-11-10 08:05:14", "PATCH", None, [
        Patch("build: enable -Wextra", """\
-Wextra catches a few classes of bugs that -Wall doesn't, such as
signed/unsigned comparisons. Enable it by default; the only warning it
triggers in the current tree is fixed in the next patch.""",
              [("Makefile", "CFLAGS += -Wall -Iinclude", "CFLAGS += -Wall -Wextra -Iinclude")]),
        Patch("frob: core: fix -Wsign-compare warning in frob_core_drain()", """\
frob_core_drain() compares an unsigned loop counter with a signed
limit:

  src/core.c: In function 'frob_core_drain':
  src/core.c:41:23: warning: comparison of integer expressions of different signedness: 'unsigned int' and 'int' [-Wsign-compare]

A negative limit makes no sense here, so make it unsigned.""", [
            ("src/core.h", "frob_core_drain(int max)", "frob_core_drain(unsigned int max)"),
            ("src/core.c", "frob_core_drain(int max)", "frob_core_drain(unsigned int max)"),
        ]),
    ]),
    Series("buf-v2", "joerg", "2026-11-12 10:40:00", "PATCH v2",
           Cover("frob: rework buffer allocation in small steps", BUF_V2_COVER), [
               Patch("frob: buffer: rename frob_buf_grow_slow() to frob_buf_alloc()", """\
The helper is the only allocation path for struct frob_buf and there
is no fast variant, so the _slow suffix is misleading. Rename it to
frob_buf_alloc() before changing how it grows the buffer.

No functional change.""", BUF_RENAME),
               Patch("frob: buffer: grow allocations in powers of two", """\
frob_buf_alloc() grows the buffer in steps of FROB_BUF_STEP bytes, so
appending n bytes in small chunks costs O(n^2) in copying. Round the
allocation up to the next power of two, starting at FROB_BUF_STEP,
instead.

Appending 64 MiB in 4 KiB chunks:

               before   after
  glibc 2.40    1.92s   0.04s
  musl 1.2.5    7.31s   0.05s""", BUF_POW2),
               Patch("frob: buffer: zero newly allocated memory", """\
frob_buf_reserve(), added in the next patch, lets callers write into
the space between len and size directly. Zero that space when it is
allocated, so such callers never see stale heap contents.

frob_buf_append() always overwrites the bytes it exposes, so this does
not change its behaviour.""", BUF_ZERO),
               Patch("frob: buffer: add frob_buf_reserve()", """\
Callers that know how much data they are about to append can now
allocate it up front instead of growing the buffer repeatedly.""", BUF_RESERVE),
           ], threading="chain"),
    # Sent quoted-printable, with a tree name in the prefix.
    Series("refleak-v3", "ana", "2026-11-16 14:25:51", "PATCH frob-next v3", None, [
        Patch("frob: widget: drop the core reference when submission fails", """\
frob_widget_start() takes a reference on behalf of the core before
calling frob_core_submit(), but does not drop it again when the
submission fails. Every failed start therefore leaks a reference and
the widget is never freed.

Drop the reference on the error path.""", [("src/widget.c", """\
    ret = frob_core_submit(w);
    if (ret)
        return ret;
""", """\
    ret = frob_core_submit(w);
    if (ret) {
        frob_widget_put(w);
        return ret;
    }
""")], ('Fixes: 5e1f0c93a2d7 ("frob: widget: let the core hold a reference while busy")',
        "SOB"), notes="""\
Changes in v3:
- drop the goto, there is only one error path (Maria)

Changes in v2:
- add a Fixes: tag (Priya)

v2: https://lists.example.org/r/20261028143307.4412-1-ana.ferreira@example.com"""),
    ], qp=True, numbered=True),
    Series("overflow-resend", "oleks", "2026-11-17 12:40:09", "PATCH RESEND", None, [
        Patch("frob: buffer: reject appends that would overflow size_t", """\
frob_buf_append() computes buf->len + len without checking for
overflow. A huge len wraps the sum around, the size check passes and
memcpy() writes far past the end of the allocation.

Return -EOVERFLOW instead.""", [
            ("src/buffer.c", "#include <errno.h>\n", "#include <errno.h>\n#include <stdint.h>\n"),
            ("src/buffer.c", """\
    int ret;

    if (buf->len + len > buf->size) {
""", """\
    int ret;

    if (len > SIZE_MAX - buf->len)
        return -EOVERFLOW;

    if (buf->len + len > buf->size) {
"""),
        ], notes="""\
The original posting from 2026-10-14 got no replies, so resending it
rebased onto current main. No changes otherwise.

Original: https://lists.example.org/r/20261014094410.2231-1-o.petrenko@example.com"""),
    ]),
]

# The combined result of buf-v2 must equal buf-v1, and the diff of
# timeout-v2/1 must be byte-identical to timeout-v1/1 (checked by make_demo).
SAME_RESULT = [("buf-v1", "buf-v2")]
SAME_DIFF = [("timeout-v1/1", "timeout-v2/1")]

# --------------------------------------------------------------------------
# Replies, in the order they are built (a parent must come first).
# --------------------------------------------------------------------------

REPLIES = [
    # --- story 1, v1
    Reply("t1-rb", "timeout-v1/1", "priya", "2026-11-02 18:41:07", [
        Q("Add a timeout_ms field", "waiting forever."),
        "Looks good to me.",
        tag("Reviewed-by", "priya"),
    ]),
    Reply("t2-suggest", "timeout-v1/2", "priya", "2026-11-03 11:20:41", [
        Q("@@ ", "return -ETIMEDOUT;"),
        """\
This counts loop iterations, not milliseconds. frob_core_poll() does
not sleep, so on a fast machine a 1000 ms timeout expires after a few
microseconds, and on a loaded one it may take much longer than asked
for.

We already have frob_clock_ms() in core.h; how about computing a
deadline once? Something like this, untested:""",
        Diff("timeout-v1/2", TIMEOUT_DEADLINE_FIXUP),
        "Thanks,\nPriya",
    ]),
    Reply("t3-units", "timeout-v1/3", "maria", "2026-11-03 14:02:55", [
        Q("+Call ``frob_widget_set_timeout()``", "+given in seconds"),
        """\
The code, and the kerneldoc comment in patch 1, say milliseconds.""",
        """\
Please fix the units here, pick up Priya's suggestion for 2/3 and send
a v2.

Thanks,
Maria""",
    ]),
    Reply("t2-ack-suggest", "t2-suggest", "lena", "2026-11-03 16:45:12", [
        Q("We already have frob_clock_ms()", "Something like this, untested:"),
        """\
Yes, that is much better, thanks. I'll fold it into v2 with your
Suggested-by.

Lena""",
    ]),
    # --- story 2, v1: the NAK, and a reply to a message the archive lacks
    Reply("buf-nak", "buf-v1/1", "maria", "2026-11-05 08:47:30", [
        Q("The buffer code grows", "- add frob_buf_reserve()"),
        """\
That's four changes in one patch, and they are not equally obvious. The
growth change is clearly a good idea, the rename is noise in the middle
of it, and the memset() and the new API need their own justification.""",
        "[...]",
        Q("+\tmemset("),
        "Who needs this? frob_buf_append() never exposes bytes it didn't write.",
        """\
I think I'll NAK this as is. Please split it up into one logical change
per patch (rename, growth policy, zeroing, new API), so that each can
be reviewed and bisected on its own, and explain in the commit messages
why the zeroing and frob_buf_reserve() are needed.

Thanks,
Maria""",
    ]),
    Reply("buf-priya-q", "buf-v1/1", "priya", "2026-11-05 13:05:22", [
        Q("From a quick benchmark", "after:"),
        """\
Which libc was this with? glibc's realloc() can often grow large blocks
in place with mremap(), so I'd expect the difference to be much smaller
there than with musl.

Priya""",
    ], missing=True),  # never made it into the archive
    Reply("buf-nak-ack", "buf-nak", "joerg", "2026-11-05 19:30:18", [
        Q("I think I'll NAK this as is.", "why the zeroing"),
        """\
Fair enough. I'll split it up; the memset() is for frob_buf_reserve()
users that fill the reserved space directly, I'll say so in the commit
message.

Jörg""",
    ]),
    Reply("buf-libc", "buf-priya-q", "joerg", "2026-11-06 08:15:03", [
        Q("Which libc was this with?", "there than with musl."),
        """\
That was glibc 2.40 on x86_64. You are right that the big blocks are
cheap there; most of the time goes into the many small reallocs before
the buffer crosses the mmap threshold. I'll add musl numbers to v2.

Jörg""",
    ]),
    # --- story 5: "please ignore this"
    Reply("legacy-ignore", "legacy-v1/1", "lucas", "2026-11-06 11:48:19", [
        Q("FROB_WIDGET_LEGACY has not been", "Drop the flag."),
        """\
Please ignore this, I'll send a v2: Documentation/widget.rst still
lists the flag.

Lucas""",
    ]),
    # --- story 3: docs series acked and applied
    Reply("docs-ack", "docs/0", "henrik", "2026-11-09 08:55:47", [
        Q("Two small documentation patches", "section on the variables"),
        "Thanks, both look good.",
        tag("Acked-by", "henrik"),
    ]),
    Reply("t2v2-rb", "timeout-v2/2", "priya", "2026-11-10 17:45:00", [
        Q("The deadline is computed", "timeout behave as before."),
        "Thanks for picking this up.",
        tag("Reviewed-by", "priya"),
    ]),
    Reply("t-v2-ack", "timeout-v2/0", "henrik", "2026-11-10 09:30:26", [
        Q("This series adds a per-widget timeout", "documents the new behaviour."),
        "The documentation in 3/3 reads well now. For the series:",
        tag("Acked-by", "henrik"),
    ]),
    Reply("docs-applied", "docs/0", "maria", "2026-11-10 14:02:31", [
        Q("Two small documentation patches", "section on the variables"),
        """\
Applied to frob-next, thanks!

[1/2] docs: buffer: fix typos
[2/2] README: document build options

Maria""",
    ]),
    Reply("wextra-order", "wextra/1", "maria", "2026-11-11 10:20:44", [
        Q("Enable it by default", "triggers in the current tree"),
        """\
Then the fix should come first, so that the tree builds without new
warnings at every step. No need to resend just for that, I can swap
them when applying. Did you check with clang as well?

Maria""",
    ]),
    Reply("wextra-clang", "wextra-order", "ravi", "2026-11-11 09:02:10", [
        Q("Did you check with clang"),
        "Yes, clang 19 is quiet with both patches applied. Swapping them is\nfine with me, thanks!",
        "Ravi",
    ]),
    Reply("t-v2-tested", "timeout-v2/0", "chen", "2026-11-13 15:11:09", [
        Q("we hit it in our test harness", "hangs the whole run."),
        """\
I ran v2 in the same harness; with a 5000 ms timeout a stuck widget now
fails cleanly with -ETIMEDOUT instead of hanging the run. For the
series:""",
        tag("Tested-by", "chen"),
    ]),
    # --- story 4
    Reply("refleak-rb", "refleak-v3/1", "priya", "2026-11-17 10:02:37", [
        Q("ret = frob_core_submit(w);", "return ret;"),
        tag("Reviewed-by", "priya"),
    ]),
    Reply("buf-v2-look", "buf-v2/0", "maria", "2026-11-18 09:10:05", [
        Q("v1 was a single patch", "v1."),
        """\
Thanks, this is much easier to review. 1/4 and 4/4 look fine to me.
Priya, since you asked about realloc() in v1, could you have a look at
2/4?

Maria""",
    ]),
    Reply("buf-v2-rb", "buf-v2/2", "priya", "2026-11-18 20:05:40", [
        Q("Appending 64 MiB", "musl 1.2.5"),
        "Thanks for the musl numbers, that settles it for me.",
        tag("Reviewed-by", "priya"),
    ]),
    Reply("overflow-later", "overflow-resend/1", "maria", "2026-11-19 09:15:12", [
        Q("The original posting from", "rebased onto current main."),
        """\
Sorry, v1 fell through the cracks while I was travelling. The check
looks right; I'll queue it together with Jörg's buffer series once that
one settles.

Maria""",
    ]),
    Reply("t-v2-ping", "timeout-v2/0", "lena", "2026-11-23 10:03:58", [
        "Gentle ping: is there anything else needed for this series?",
        "Lena",
    ]),
]

# Messages written out of date order: (key, key it is written after).
MBOX_MOVES = [("docs/0", "docs/2"), ("wextra/1", "wextra/2")]

# Series applied by the maintainer: --tree commits them with git am.
APPLIED = [dict(series="docs", branch="frob-next", reply="docs-applied")]
