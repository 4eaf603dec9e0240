"""`make bench`: run every benchmark, print a table, write bench/results/latest.json.

Each benchmark measures its baseline in the same run and reports a ratio; the machine is
shared and noisy, so only the ratios compare across runs. The README's results table is
rewritten between its markers.
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.common import PG_URL, machine

BENCHMARKS = [
    "bench_transitions",
    "bench_ceiling",
    "bench_sweep",
    "bench_meeting_page",
    "bench_report",
    "bench_rules",
    "bench_notifications",
    "bench_flow_overhead",
    "bench_decision_email",
    "bench_linkage",
]
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
README = ROOT / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def _say(message: str) -> None:
    if sys.stderr.isatty():
        print(message, file=sys.stderr, flush=True)


def table(results: list[dict]) -> str:
    lines = ["| benchmark | value | baseline | ratio | goal | met | measured |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['name']} | {r['value']:,.2f} {r['unit']} | {r['baseline']:,.2f} | "
                     f"{r['ratio']:.3f} | {r['goal']} | {'yes' if r['met'] else 'no'} | "
                     f"{r.get('measured', '')} |")
    return "\n".join(lines)


def update_readme(doc: dict) -> None:
    text = README.read_text(encoding="utf-8")
    block = (f"{BEGIN}\nMeasured {doc['date']} on {doc['machine']} (`make bench`):\n\n"
             f"{table(doc['results'])}\n{END}")
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="run only these benchmark modules")
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--keep", action="store_true",
                        help="with --only: keep the other results of the last run, each with "
                             "the date it was measured")
    args = parser.parse_args()
    results: list[dict] = []
    errors: list[dict] = []
    for name in args.only or BENCHMARKS:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                _say(f"{name}: not present, skipped")
                continue
            raise
        _say(f"{name}: running")
        start = time.perf_counter()
        try:
            got = module.run(PG_URL)
        except Exception as exc:  # noqa: BLE001 - one failing benchmark must not hide the rest
            traceback.print_exc()
            errors.append({"name": name, "error": f"{type(exc).__name__}: {exc}"})
            continue
        results.extend(got)
        _say(f"{name}: done in {time.perf_counter() - start:.0f} s")
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    results.append({"name": "peak RSS of the benchmark process (web worker in-process)",
                    "value": round(peak_self, 1), "unit": "MiB", "baseline": 0, "ratio": 0,
                    "goal": "informative", "met": True})
    results.append({"name": "peak RSS of the largest child (Prefect server/runner, workers)",
                    "value": round(peak_children, 1), "unit": "MiB", "baseline": 0, "ratio": 0,
                    "goal": "informative", "met": True})
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for r in results:
        r.setdefault("measured", now)
    if args.only and args.keep and RESULTS.exists():
        earlier = json.loads(RESULTS.read_text(encoding="utf-8"))
        fresh = {r["name"] for r in results}
        kept = [dict(r, measured=r.get("measured", earlier["date"]))
                for r in earlier["results"] if r["name"] not in fresh]
        results = [*kept, *results]
    doc = {"date": now, "machine": machine(), "results": results, "errors": errors}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(results))
    for e in errors:
        print(f"FAILED {e['name']}: {e['error']}")
    if not args.no_readme:
        update_readme(doc)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
