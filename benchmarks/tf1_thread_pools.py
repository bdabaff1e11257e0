"""Does a TensorFlow 1.x process size its thread pools from its first session? Run with the Python of
a TF 1.x cell's environment (it prints, does not assert):

    .envs/keras2.0.3-tensorflow1.1.0-python3.6/bin/python benchmarks/tf1_thread_pools.py

Each line is a fresh process that opens sessions with the given intra/inter-op thread counts in
turn and counts the process's OS threads after each. Measured with TF 1.1.0 on dc84521ea4 (2 cores):

    sessions 2:    after 2 threads: 5 OS threads
    sessions 8:    after 8 threads: 17 OS threads
    sessions 1 2:  after 1 threads: 3 OS threads; after 2 threads: 3 OS threads
    sessions 1 8:  after 1 threads: 3 OS threads; after 8 threads: 3 OS threads

A later session asking for more threads gets no new ones (neither pool grows): the intra-op (Eigen)
pool is process-wide, built with the options of the first session's CPU device
(tensorflow/core/common_runtime/local_device.cc: every LocalDevice shares one global
EigenThreadPoolInfo while use_global_threadpool_ is true, the default). So under `strict`, whose
1-thread session is made before the `threads_all` scenario asks for every core, the scenario runs
at one thread.
"""
import os
import subprocess
import sys

CHILD = """
import os, sys
import tensorflow as tf
line = []
for n in [int(a) for a in sys.argv[1:]]:
    session = tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=n, inter_op_parallelism_threads=n))
    session.run(tf.constant(1.0) + 1.0)
    line.append("after %d threads: %d OS threads" % (n, len(os.listdir("/proc/self/task"))))
print("; ".join(line))
"""

for counts in (["2"], ["8"], ["1", "2"], ["1", "8"]):
    child = subprocess.Popen([sys.executable, "-c", CHILD] + counts, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True,
                             env=dict(os.environ, CUDA_VISIBLE_DEVICES=""))
    out, err = child.communicate()
    print("sessions %-5s %s" % (" ".join(counts) + ":", out.strip() or err.strip()[-200:]))
