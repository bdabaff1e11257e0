"""A numpy draw that holds until the test lets it go: the first HELD_DRAW_FREE worker processes
draw at once; every later one writes `held-N` in $HELD_DRAW_DIR and waits for the file `open`
there. A test can then interrupt a run at a point where it is certainly still running."""
import os
import time

NAME = "held_draw"
REPEATS = 1


def _ticket(folder):
    """The number of this draw among all draws of the test (claimed atomically)."""
    number = 0
    while True:
        try:
            os.close(os.open(os.path.join(folder, "ticket-%d" % number), os.O_CREAT | os.O_EXCL))
            return number
        except OSError:
            number += 1


def run_once(keras, np):
    folder = os.environ["HELD_DRAW_DIR"]
    number = _ticket(folder)
    if number >= int(os.environ.get("HELD_DRAW_FREE", "1")):
        open(os.path.join(folder, "held-%d" % number), "w").close()
        while not os.path.exists(os.path.join(folder, "open")):
            time.sleep(0.05)
    return float(np.random.rand())
