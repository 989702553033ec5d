#!/usr/bin/env python3
"""Every PromQL expression of the Grafana dashboard and the Prometheus rules
(and every series of the rules' unit tests) names series that a real
patience-daemon serves, with labels and label values it gives them; and the
METRICS section of patience-daemon(1) lists every family it serves.

metric_names.py BIN_DIR MAN_PAGE DASHBOARD.json RULES.yml [RULES_TEST.yml]

The daemon runs on a temporary socket and a free port of 127.0.0.1; a few
patience and rpr runs give it a resource of each kind (a rate limit, a
circuit breaker, leases, runs of both tools), so that every family has
samples to read labels from."""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

# Series that Prometheus itself makes for every scrape target or rule.
PROMETHEUS_SERIES = {"up", "ALERTS", "ALERTS_FOR_STATE"}
# Labels that Prometheus adds at scrape time.
TARGET_LABELS = {"job", "instance"}
# Labels whose values are a fixed set: an equality matcher must name one.
FIXED_VALUES = {"outcome", "state", "to", "quantile"}
METRIC = r"(?:patience|process)_[a-z0-9_]+|up|ALERTS(?:_FOR_STATE)?"
SELECTOR = re.compile(r"(?<![\w:$])(" + METRIC + r")\b(\s*\{[^}]*\})?")
MATCHER = re.compile(r'([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')

errors = []


def error(where, msg):
    errors.append(f"{where}: {msg}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_daemon(bin_dir, tmp, env):
    """Starts the daemon on a free port; returns (process, port)."""
    for _ in range(5):
        port = free_port()
        sock = os.path.join(tmp, "daemon.sock")
        daemon = subprocess.Popen(
            [os.path.join(bin_dir, "patience-daemon"), "--socket", sock,
             "--state", os.path.join(tmp, "state.db"),
             "--metrics-listen", f"127.0.0.1:{port}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and daemon.poll() is None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                return daemon, port
            except OSError:
                time.sleep(0.05)
        daemon.kill()
        daemon.wait()
    sys.exit("metric_names: the daemon did not serve /metrics")


def populate(bin_dir, sock, env):
    """One resource of each kind: rate limit, breaker, leases, rpr runs."""
    patience = [os.path.join(bin_dir, "patience"), "fixed", "-a", "1", "-q",
                "--daemon", "--daemon-socket", sock]
    runs = [
        (patience + ["-r", "5", "-w", "1s", "--resource-id", "t:rate", "--", "true"], 0),
        (patience + ["--circuit-breaker", "failures=1,window=1m,cooldown=30s,probes=1",
                     "--resource-id", "t:breaker", "--", "false"], 1),
        (patience + ["--concurrency", "2", "--resource-id", "t:lease", "--", "true"], 0),
        ([os.path.join(bin_dir, "rpr"), "count", "-t", "2", "-r", "10/1s", "--daemon",
          "--daemon-socket", sock, "--resource-id", "t:rpr", "--", "true"], 0),
    ]
    for argv, want in runs:
        got = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, timeout=30)
        if got.returncode != want:
            sys.exit(f"metric_names: {' '.join(argv)} exited {got.returncode}: "
                     f"{got.stderr.decode(errors='replace')}")


def served_series(bin_dir):
    """{series name: {label: set of values}}, and {family: type}."""
    with tempfile.TemporaryDirectory(prefix="pt-metric-names.") as tmp:
        config = os.path.join(tmp, "empty.toml")
        open(config, "w").close()
        env = dict(os.environ, HOME=tmp, XDG_RUNTIME_DIR=tmp, XDG_CONFIG_HOME=tmp,
                   XDG_STATE_HOME=tmp, PATIENCE_CONFIG_FILE=config,
                   PATIENCE_DAEMON_AUTO_START="false")
        daemon, port = run_daemon(bin_dir, tmp, env)
        try:
            populate(bin_dir, os.path.join(tmp, "daemon.sock"), env)
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                          timeout=5).read().decode()
        finally:
            daemon.terminate()
            daemon.wait(timeout=10)
    families, series = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            families[name] = kind
            for suffix in {"histogram": ("_bucket", "_sum", "_count"),
                           "summary": ("", "_sum", "_count")}.get(kind, ("",)):
                series.setdefault(name + suffix, {})
        elif line and not line.startswith("#"):
            name = re.match(r"[a-zA-Z_:][\w:]*", line).group(0)
            labels = series.setdefault(name, {})
            for label, _, value in MATCHER.findall(line[len(name):].split("}")[0]):
                labels.setdefault(label, set()).add(value)
    return families, series


def documented_families(man_page):
    text = open(man_page, encoding="utf-8").read()
    section = text.split("\n.SH METRICS\n", 1)[1].split("\n.SH ", 1)[0]
    return set(re.findall(r"(?<![\w\\])(?:patience|process)_[a-z0-9_]+", section))


def check_expr(where, expr, series):
    names = SELECTOR.findall(re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr))
    if not names:
        error(where, f"names no metric: {expr}")
    # The matchers come from the expression as written (with its strings).
    for name, matchers in SELECTOR.findall(expr):
        if name in PROMETHEUS_SERIES:
            continue
        if name not in series:
            error(where, f"{name} is not a series patience-daemon serves")
            continue
        for label, op, value in MATCHER.findall(matchers or ""):
            if label in TARGET_LABELS:
                continue
            if label not in series[name]:
                error(where, f"{name} has no label {label}")
            elif (op in ("=", "!=") and label in FIXED_VALUES and "$" not in value
                  and value not in series[name][label]):
                error(where, f'{name}{{{label}="{value}"}}: {label} is one of '
                             f"{sorted(series[name][label])}")


def dashboard_exprs(path):
    dash = json.load(open(path, encoding="utf-8"))

    def panels(items):
        for p in items:
            yield p
            yield from panels(p.get("panels", []))

    for p in panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            if "expr" in t:
                yield f"{path}: panel \"{p.get('title')}\" {t.get('refId')}", t["expr"]
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        if v.get("type") == "query":
            yield f"{path}: variable {v.get('name')}", q


def rules_exprs(path):
    for group in yaml.safe_load(open(path, encoding="utf-8"))["groups"]:
        for rule in group["rules"]:
            yield f"{path}: {rule.get('alert') or rule.get('record')}", rule["expr"]


def rules_test_series(path):
    for i, test in enumerate(yaml.safe_load(open(path, encoding="utf-8"))["tests"]):
        for s in test.get("input_series", []):
            yield f"{path}: test {i + 1} input series", s["series"]


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    bin_dir, man_page, dashboard, rules = sys.argv[1:5]
    families, series = served_series(bin_dir)
    documented = documented_families(man_page)
    for name in sorted(set(families) - documented):
        error(man_page, f"METRICS does not list {name}, which the daemon serves")
    for name in sorted(documented - set(series) - set(families)):
        error(man_page, f"METRICS lists {name}, which the daemon does not serve")
    exprs = list(dashboard_exprs(dashboard)) + list(rules_exprs(rules))
    if len(sys.argv) == 6:
        exprs += list(rules_test_series(sys.argv[5]))
    for where, expr in exprs:
        check_expr(where, expr, series)
    for e in errors:
        print(e, file=sys.stderr)
    print(f"metric_names: {len(exprs)} expressions on {len(families)} families, "
          f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
