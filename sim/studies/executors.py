"""Where a study's tasks run: in this process, on local processes, or on Dask.

Studies (sweeps, sensitivity analyses) hand an executor a picklable function
and a list of tasks and get ``(task, outcome)`` pairs back as tasks finish,
in any order. The function is expected to catch its own exceptions and
return them as data; an executor reports only what the function could not:
a process or worker that died, or a task that could not be shipped. Such
tasks come back as :class:`TaskLost`, never as an exception, so one lost
task does not stop a study.

The numbers never depend on the executor: every task carries its own seed
and replication, so 1 worker, 8 processes or a Dask cluster give the same
results. Local worker processes never outlive the process that started
them (:func:`worker_pool`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sim.errors import InputError

T = TypeVar("T")


@dataclass(frozen=True)
class TaskLost:
    """A task whose function never returned: the worker died or the task could not be sent."""

    error: str


class TaskExecutor(Protocol):
    """Runs ``fn(task)`` for each task and yields ``(task, result or TaskLost)`` as they finish."""

    name: str
    workers: int

    def map_unordered(self, fn: Callable[[T], Any], tasks: Sequence[T]) -> Iterator[tuple[T, Any]]:
        """Run every task; yield each with its result as soon as it finishes."""
        ...

    def close(self) -> None:
        """Release processes, clients and clusters."""
        ...


class SerialExecutor:
    """Runs tasks one after the other in this process (``--workers 1``)."""

    name = "serial"
    workers = 1

    def map_unordered(self, fn: Callable[[T], Any], tasks: Sequence[T]) -> Iterator[tuple[T, Any]]:
        """Run the tasks in order."""
        for task in tasks:
            try:
                yield task, fn(task)
            except Exception as exc:  # the function should catch its own; this is the safety net
                yield task, TaskLost(f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProcessExecutor:
    """A pool of local worker processes (:class:`concurrent.futures.ProcessPoolExecutor`).

    Workers start at once, forked from this process while it runs a single
    thread (before a progress bar starts its thread), otherwise from a fork
    server that has imported :mod:`sim`. If a worker process dies, the pool is rebuilt
    and the unfinished tasks are submitted again, up to ``restarts`` times;
    after that they come back as :class:`TaskLost`.
    """

    name = "processes"

    def __init__(self, workers: int, restarts: int = 2) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = int(workers)
        self.restarts = int(restarts)
        self._pool: ProcessPoolExecutor | None = None
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        """A pool whose workers are already running (so they fork before any progress thread starts)."""
        pool = worker_pool(self.workers, _context())
        for future in [pool.submit(int) for _ in range(self.workers)]:
            future.result()
        return pool

    def map_unordered(self, fn: Callable[[T], Any], tasks: Sequence[T]) -> Iterator[tuple[T, Any]]:
        """Run the tasks on the pool, rebuilding it if a worker dies."""
        pending = list(tasks)
        attempt = 0
        while pending:
            lost: list[T] = []
            pool = self._pool = self._pool or self._start()
            try:
                futures: dict[Future, T] = {pool.submit(fn, task): task for task in pending}
                for future in as_completed(futures):
                    task = futures.pop(future)
                    try:
                        yield task, future.result()
                    except BrokenProcessPool:
                        lost.append(task)
                    except Exception as exc:  # pickling errors and the like
                        yield task, TaskLost(f"{type(exc).__name__}: {exc}")
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
            attempt += 1
            if lost and attempt > self.restarts:
                for task in lost:
                    yield task, TaskLost(f"worker process died ({attempt} attempts)")
                lost = []
            pending = lost

    def close(self) -> None:
        """Shut the pool down if a run was interrupted."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DaskExecutor:
    """Tasks on a dask.distributed cluster: an existing one, or a local one.

    ``address="local"`` starts a :class:`~dask.distributed.LocalCluster` of
    ``workers`` single-threaded processes listening on 127.0.0.1 only, with
    no dashboard. Any other address (``tcp://host:8786``) connects to a
    running scheduler; its workers must be able to import :mod:`sim`.
    Tasks are submitted with ``retries``, and the scheduler re-runs tasks
    of a worker that was lost; a task that still fails comes back as
    :class:`TaskLost`.
    """

    name = "dask"

    def __init__(self, address: str, workers: int | None = None, retries: int = 2, timeout_s: float = 30.0) -> None:
        from dask.distributed import Client, LocalCluster

        self.address = address
        self.retries = int(retries)
        self._cluster = None
        try:
            if address == "local":
                n = int(workers or os.cpu_count() or 1)
                self._cluster = LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None, silence_logs=logging.ERROR,
                )
                self.client = Client(self._cluster, timeout=timeout_s)
            else:
                self.client = Client(address, timeout=timeout_s)
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            raise InputError("--dask", address, f"cannot reach the Dask scheduler ({exc})") from None
        self.name = "dask-local" if address == "local" else "dask"
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def map_unordered(self, fn: Callable[[T], Any], tasks: Sequence[T]) -> Iterator[tuple[T, Any]]:
        """Submit every task (``pure=False``, with retries) and yield them as they complete."""
        from dask.distributed import as_completed

        futures = {self.client.submit(fn, task, pure=False, retries=self.retries): task for task in tasks}
        try:
            for future in as_completed(list(futures)):
                task = futures[future]
                if future.status == "finished":
                    yield task, future.result()
                else:
                    exc = future.exception()
                    yield task, TaskLost(f"{type(exc).__name__}: {exc}")
                future.release()
        finally:
            for future in futures:
                if not future.done():
                    future.cancel()

    def close(self) -> None:
        """Close the client and, for ``local``, the cluster."""
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_executor(workers: int | None = None, dask: str | None = None) -> SerialExecutor | ProcessExecutor | DaskExecutor:
    """The executor the command line asks for.

    ``dask`` set: Dask (``"local"`` or a scheduler address). Otherwise local
    processes, ``workers`` of them (None or 0: one per core); one worker
    runs in this process.
    """
    if dask:
        return DaskExecutor(dask, workers or None)
    n = int(workers) if workers else (os.cpu_count() or 1)
    if n < 1:
        raise InputError("--workers", str(workers), "must be at least 1 (or 0 for one per core)")
    return SerialExecutor() if n == 1 else ProcessExecutor(n)


WATCH_INTERVAL_S = 0.5
"""How often a worker process checks that the process that started it is still alive."""


def worker_pool(workers: int, mp_context: multiprocessing.context.BaseContext | None = None) -> ProcessPoolExecutor:
    """A process pool whose workers exit on their own when the process that started them dies.

    A pool's workers wait for tasks from their parent; after ``kill -9`` of
    the parent nobody sends them any, and without :func:`_watch_parent` they
    would wait forever (adopted by init).
    """
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp_context, initializer=_watch_parent)


def _watch_parent() -> None:
    """Worker initializer: a daemon thread that ends this process once its parent is gone (it was re-parented)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(WATCH_INTERVAL_S)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="ccsim-parent-watch", daemon=True).start()


def _context() -> multiprocessing.context.BaseContext:
    """How to start worker processes: the cheapest way that is safe now.

    Forking copies this process with :mod:`sim` already imported (instant),
    but is only safe while this process runs a single thread. Otherwise a
    fork server that imports the study code once (about two seconds), or
    spawn where there is no fork server.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.studies.sweep"])
        return ctx
    return multiprocessing.get_context("spawn")
