"""Starts a long-lived child process, records its pid and returns normally."""
import os
import subprocess
import sys

NAME = "leaves_child"
REPEATS = 1


def run_once(keras, np):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    with open(os.environ["CHILD_PID_FILE"], "w") as handle:
        handle.write("%d\n" % child.pid)
    return 1.0
