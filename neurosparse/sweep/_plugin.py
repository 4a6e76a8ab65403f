"""The worker plugin of the LocalCluster a sweep makes (imported on the workers)."""

from __future__ import annotations

import signal
import threading

from distributed import WorkerPlugin


class IgnoreSigint(WorkerPlugin):
    """The worker process ignores SIGINT: Ctrl-C in a terminal reaches every process of
    the group, and the client, which stops the sweep and closes the cluster, answers it
    alone (instead of a traceback from each worker). Set on every worker, restarted ones
    included."""

    idempotent = True

    def setup(self, worker) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
