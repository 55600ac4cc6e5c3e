#!/usr/bin/env python3
"""Prints the Markdown figures table of docs/performance.md from a JMH JSON result file.

usage: figures_table.py [benchmarks/results/latest.json]

Same rules as io.isolate.benchmarks.Plots and Ratios: per benchmark class, the median (the 50th percentile of
the samples, else the score) of each method; the baseline is the first method whose name does not start with
"isolate"; the ratio is ours over the baseline. Paste the output between the FIGURES-TABLE markers.
"""
import json
import os
import sys


def fmt(v):
    return f"{v:.0f}" if v >= 100 else f"{v:.3g}"


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    path = argv[1] if len(argv) > 1 else os.path.join(here, "..", "benchmarks", "results", "latest.json")
    shown = argv[1] if len(argv) > 1 else "benchmarks/results/latest.json"
    with open(path, encoding="utf-8") as f:
        results = json.load(f)
    by_class = {}
    jmh, jvm = set(), set()
    for r in results:
        bench = r["benchmark"]
        cls, method = bench.rsplit(".", 1)
        cls = cls.rsplit(".", 1)[-1]
        metric = r["primaryMetric"]
        median = (metric.get("scorePercentiles") or {}).get("50.0", metric["score"])
        by_class.setdefault(cls, []).append((method, median, metric["scoreUnit"]))
        jmh.add(r.get("jmhVersion", "?"))
        jvm.add(r.get("vmVersion", r.get("jdkVersion", "?")))

    print("| benchmark | Isolate (median) | baseline (median) | ratio |")
    print("|---|---|---|---|")
    for cls, ms in by_class.items():
        baseline = next((m for m in ms if not m[0].startswith("isolate")), None)
        for method, median, unit in ms:
            if baseline is None or method == baseline[0]:
                continue
            name = cls if method == "isolate" else f"{cls}.{method}"
            print(f"| `{name}` | {fmt(median)} {unit} | {baseline[0]}: {fmt(baseline[1])} {baseline[2]} "
                  f"| **{median / baseline[1]:.2f}x** |")
        if baseline is None:
            for method, median, unit in ms:
                print(f"| `{cls}.{method}` | {fmt(median)} {unit} | (no baseline) | |")
    print()
    print(f"Results: `{shown}`, JMH {', '.join(sorted(jmh))}, JVM {', '.join(sorted(jvm))}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
