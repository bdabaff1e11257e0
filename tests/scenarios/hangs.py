"""Broken on purpose: starts a child process, records its pid, then never returns."""
import os
import subprocess
import sys
import time

NAME = "hangs"
REPEATS = 1


def run_once(keras, np):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    with open(os.environ["HANG_PID_FILE"], "w") as handle:
        handle.write("%d\n%d\n" % (os.getpid(), child.pid))
    while True:
        time.sleep(1)
