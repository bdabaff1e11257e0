"""Where a canonical-MLP process spends its time, phase by phase, in one cell's environment.

    python benchmarks/where_time_goes.py CELL [CELL ...] [--repeats 3]

Runs the canonical scenario's own model (scenarios/canonical_mlp.py: define_model, fit with 100
epochs of one batch, predict) with the cell's interpreter, timing: the backend import, the keras
import, model definition and compile, fit set-up (until the first epoch starts), the first epoch
(tracing/compiling the train step), the later epochs, and predict (with its own trace). Nothing
is recorded: this is a measurement for docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import matrix, paths  # noqa: E402
from harness.provision import environments  # noqa: E402
from harness.execute import runner  # noqa: E402

PROBE = r"""
import json, sys, time
clock = time.perf_counter
start = clock()
import numpy as np
np.random.seed(1)
backend, api, scenario_path, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
__import__({"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend])
after_backend = clock()
if api == "tf.keras":
    from tensorflow import keras
elif api == "tf-keras":
    import tf_keras as keras
else:
    import keras
after_keras = clock()
space = {}
exec(compile(open(scenario_path).read(), scenario_path, "exec"), space)
X, y = space["make_data"](np)
rows = []
for _ in range(repeats):
    marks = {}
    t0 = clock()
    model = space["define_model"](keras)
    t1 = clock()
    stamps = []
    cb = keras.callbacks.LambdaCallback(on_train_begin=lambda logs: marks.__setitem__("begin", clock()),
                                        on_epoch_end=lambda epoch, logs: stamps.append(clock()))
    model.fit(X, y, epochs=space["EPOCHS"], batch_size=len(X), verbose=0, callbacks=[cb])
    t2 = clock()
    model.predict(X, verbose=0)
    t3 = clock()
    later = [b - a for a, b in zip(stamps, stamps[1:])]
    rows.append({"define_compile": t1 - t0, "fit_setup": marks["begin"] - t1,
                 "first_epoch": stamps[0] - marks["begin"], "later_epochs": stamps[-1] - stamps[0],
                 "per_later_epoch_ms": 1000 * sorted(later)[len(later) // 2],
                 "fit_teardown": t2 - stamps[-1], "predict": t3 - t2, "repeat": t3 - t0})
print(json.dumps({"import_backend": after_backend - start, "import_keras": after_keras - after_backend,
                  "repeats": rows, "total": clock() - start,
                  "keras": getattr(keras, "__version__", "?")}))
"""


def measure(cell, envs, repeats):
    outcome = environments.ensure(cell, envs)
    if outcome.status != "ok":
        raise SystemExit(f"{cell.name}: {outcome.error}")
    env = runner.worker_environment(cell.env_dict, outcome.extra_env)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    done = subprocess.run([outcome.python, "-c", PROBE, cell.backend, cell.api,
                           str(paths.scenarios_dir() / "canonical_mlp.py"), str(repeats)],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{cell.name}: probe failed\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cells", nargs="+")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--envs", type=Path, default=paths.envs_dir())
    args = parser.parse_args()
    m = matrix.load()
    for name in args.cells:
        found = measure(m.get(name), args.envs, args.repeats)
        rows = found["repeats"]
        first, rest = rows[0], rows[1:] or rows
        mean = {k: sum(r[k] for r in rest) / len(rest) for k in rest[0]}
        print(f"{name} (keras {found['keras']}): total {found['total']:.1f} s; import backend "
              f"{found['import_backend']:.1f} s, keras {found['import_keras']:.1f} s")
        for label, row in (("first repeat", first), ("later repeats (mean)", mean)):
            print(f"  {label:22s} " + ", ".join(
                f"{k} {row[k]:.3f}" + ("" if k.endswith("_ms") else " s") for k in
                ("repeat", "define_compile", "fit_setup", "first_epoch", "later_epochs",
                 "per_later_epoch_ms", "fit_teardown", "predict")))
        print("  json " + json.dumps(found))


if __name__ == "__main__":
    main()
