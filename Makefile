# Two commands matter: `make demo` and `make test` (see README.md).
VENV   ?= .venv
PY     := $(VENV)/bin/python
PD     := $(VENV)/bin/patchdesk
DEMO   := demo/out/demo.db

.PHONY: demo test lint system-deps bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	mkdir -p demo/out && rm -rf $(DEMO) $(DEMO)-wal $(DEMO)-shm demo/out/frob demo/out/check.mbox
	$(PY) demo/make_demo.py --out demo/out/check.mbox --tree demo/out/frob >/dev/null
	$(PD) --db $(DEMO) ingest demo/demo.mbox --list frob-devel
	$(PD) --db $(DEMO) tree add frob demo/out/frob --branch frob-next
	$(PD) --db $(DEMO) tree scan
	$(PD) --db $(DEMO) maintainers load demo/out/frob/MAINTAINERS --list frob-devel
	$(PD) --db $(DEMO) overlaps --tree frob >/dev/null
	$(PD) --db $(DEMO) series
	@echo "store: $(DEMO)   try: $(PD) --db $(DEMO) show 2   show 6   overlaps --tree frob   am 6"
	@echo "web: the board, and what needs Maria (the maintainer): http://127.0.0.1:8000/?maintainer=maria@frob.example.org"
	@echo "desk: $(PD) --db $(DEMO) me 'Maria Keller <maria@frob.example.org>'   then: queue   (docs/desk.md)"
	$(PD) --db $(DEMO) serve

# Debian packages the tests use: public-inbox (real v2 archives), git and openssl (a DKIM key).
system-deps:
	@command -v public-inbox-init >/dev/null && command -v git >/dev/null && command -v openssl >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq public-inbox git openssl; }

test: $(VENV)/.installed system-deps
	$(PY) -m pytest

# ruff on everything, mypy --strict on the judging stages (pyproject.toml); CI runs it
lint: $(VENV)/.installed
	$(PY) -m ruff check patchdesk tests bench demo
	$(PY) -m mypy

clean:
	rm -rf demo/out build *.egg-info
