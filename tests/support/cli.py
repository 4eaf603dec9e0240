"""`hubtable ARGS` as the tests run it: in-process through the console script's own entry
point (its exit code and one-line errors), and what a run gave back."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from hubtable.cli import cli
from hubtable.errors import run_cli


@dataclass
class Run:
    code: int
    out: str
    err: str

    def one_error_line(self) -> str:
        """The run failed with exactly one line on stderr (no traceback): that line."""
        assert self.code != 0, self.out
        assert "Traceback" not in self.err, self.err
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("error: "), lines
        return lines[0]


def run_in_process(monkeypatch, capsys, *args: str) -> Run:  # type: ignore[no-untyped-def]
    """One command, with whatever environment the caller set on `monkeypatch`."""
    monkeypatch.setattr(sys, "argv", ["hubtable", *args])
    capsys.readouterr()
    try:
        code = run_cli(cli)
    except SystemExit as exit_:  # `status` exits by itself
        code = exit_.code if isinstance(exit_.code, int) else 1
    out = capsys.readouterr()
    return Run(code, out.out, out.err)
