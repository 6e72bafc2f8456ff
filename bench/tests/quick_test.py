"""ctest: bench/run --quick works end to end, so that the harness never rots.

    python3 bench/tests/quick_test.py --run bench/run --build build --results DIR
        [--python PATH] [--models cars] [--scaling]

Runs the quick mode into DIR and checks its exit code, its table and the JSON it wrote. With
PyTorch available (under --python, default /usr/bin/python3) the PyTorch columns and the
redes/best ratios must be there; without it the table must say "not installed", the output must
say how to install it, and redes must still be measured. With --scaling: bench/run --scaling
--quick, whose every setup must be measured twice, the two-rank runs with their reductions' times.
"""
import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path


def fail(msg, output=""):
    print(output[-4000:])
    print(f"FAIL: {msg}")
    sys.exit(1)


def check_scaling(res, stdout, output):
    if res["failures"] or len(res.get("scaling", {})) < 2:
        fail(f"not every scaling model was measured: {res['failures']}", output)
    for name, sc in res["scaling"].items():
        for setup, runs in sc["runs"].items():
            if len(runs) < 2 or not all(run["seconds_per_epoch"] > 0 for run in runs):
                fail(f"{name}: {setup} was not measured twice", output)
            if setup.startswith("2 ranks"):
                for run in runs:
                    ar = run.get("allreduce", {})
                    if len(ar.get("seconds_per_step", [])) != 2 or not ar.get("bytes_per_step"):
                        fail(f"{name}: {setup} has no reduction times: {run}", output)
    if "against 1 x 1" not in stdout or "allreduce per step" not in stdout:
        fail("the scaling table is not on standard output", output)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--run", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--python", default="/usr/bin/python3")
    p.add_argument("--models")
    p.add_argument("--scaling", action="store_true")
    a = p.parse_args()

    results = Path(a.results)
    shutil.rmtree(results, ignore_errors=True)
    cmd = [sys.executable, a.run, "--quick", "--build", a.build, "--results", str(results),
           "--python", a.python]
    if a.models:
        cmd += ["--models", a.models]
    if a.scaling:
        cmd += ["--scaling"]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=570)
    took = time.perf_counter() - t0
    output = r.stdout + r.stderr
    print(f"{' '.join(cmd)}: exit {r.returncode} after {took:.1f} s")
    if r.returncode != 0:
        fail(f"bench/run --quick exited with {r.returncode}", output)

    files = sorted(results.glob("*-quick.json"))
    if not files or not (results / (files[-1].stem + ".md")).exists():
        fail(f"no *-quick.json and .md in {results}", output)
    res = json.loads(files[-1].read_text())
    if a.scaling:
        check_scaling(res, r.stdout, output)
        print(f"ok: scaling of {', '.join(res['scaling'])}, {took:.1f} s")
        return
    torch_version = res["versions"]["torch"]
    with_torch = torch_version != "not installed"
    print(f"PyTorch: {torch_version}; models: {', '.join(res['models'])}")

    for key in ("machine", "versions", "startup", "models"):
        if key not in res:
            fail(f"the JSON has no '{key}'", output)
    if res["failures"]:
        fail(f"failures: {res['failures']}", output)
    if "cars" not in res["models"]:
        fail("cars was not measured", output)
    for name, m in res["models"].items():
        sides = ["redes"] + (["pytorch_found", "pytorch_best"] if with_torch else [])
        for side in sides:
            runs = m["runs"][side]
            if len(runs) < 2:
                fail(f"{name}: {side} ran {len(runs)} times, not at least 2 (A B A B)", output)
            for run in runs:
                for key in ("seconds_per_epoch", "throughput", "latency_us_median", "maxrss_mib"):
                    if not run.get(key, 0) > 0:
                        fail(f"{name}: {side} has no positive '{key}': {run}", output)
                if m["metric"] not in run.get("test", {}):
                    fail(f"{name}: {side} has no test {m['metric']}", output)
        if not with_torch and (m["runs"]["pytorch_found"] or m["runs"]["pytorch_best"]):
            fail(f"{name}: PyTorch runs without PyTorch", output)

    if "convnet-fashion" in res["models"]:
        a = res.get("augmentation", {})
        secs = a.get("seconds_per_epoch", {})
        if not all(len(secs.get(side, [])) >= 2 and min(secs[side]) > 0 for side in ("without", "with")):
            fail(f"the augmentation cost is not measured twice on each side: {a}", output)
        if "with/without" not in r.stdout:
            fail("the augmentation cost is not in the table", output)
    if "redes/best" not in r.stdout or "start-up" not in r.stdout:
        fail("the table (header 'redes/best', section 'start-up') is not on standard output", output)
    ratio_lines = [l for l in r.stdout.splitlines() if l.rstrip().endswith("x")]
    if with_torch:
        # Every model gives 5 ratio lines, start-up 2.
        if len(ratio_lines) < 5 * len(res["models"]) + 2:
            fail(f"only {len(ratio_lines)} ratio lines", output)
    else:
        if "not installed" not in r.stdout or "apt-get install python3-torch" not in r.stdout:
            fail("without PyTorch the output must say 'not installed' and how to install it", output)
    print(f"ok: {len(res['models'])} models, {len(ratio_lines)} ratio lines, {took:.1f} s")


if __name__ == "__main__":
    main()
