"""atheris target: the quotes contract (see fuzz/checks.py).  Run via fuzz/run.py."""

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
# str.startswith/endswith compares guide mutation (the RegEx hook cannot read re.X patterns)
atheris.enabled_hooks.add("str")

with atheris.instrument_imports(include=["patchdesk"]):
    import checks


def TestOneInput(data: bytes) -> None:
    checks.CHECKS["quotes"](data)


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
