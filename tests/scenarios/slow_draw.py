"""A numpy draw that takes a while (SLOW_DRAW_SECONDS, default 1): long enough to interrupt a run."""
import os
import time

NAME = "slow_draw"
REPEATS = 2


def run_once(keras, np):
    time.sleep(float(os.environ.get("SLOW_DRAW_SECONDS", "1")) / REPEATS)
    return float(np.random.rand())
