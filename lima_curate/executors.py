"""Where the per-unit stage runs: in this process, a local process pool, or Ray tasks.

The executors know nothing of what a unit is; the stages know nothing of executors (the split
datatrove makes between its pipeline steps and its executors). Whatever runs the tasks, the
results come back in task order and the first failing task *in that order* is the one reported,
so an error reads the same with 1, 2 or N workers and with Ray. Only counts and paths come back.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any, Callable, Iterator, Sequence

from . import sources
from .errors import InputError
from .extract import Shards, Unit, extract

EXECUTORS = ("local", "ray")

Task = tuple  # the arguments of extract.extract: (unit, recipe, files, shard_dir, key)


def run_tasks(
    tasks: Sequence[Task],
    executor: str = "local",
    workers: int = 1,
    ray_address: str | None = None,
    on_done: Callable[[Shards], None] = lambda shards: None,
) -> list[Shards]:
    """Every task's shards in task order, ``on_done`` called as each arrives; one worker (or one
    task) runs here, with no pool to start."""
    if executor == "ray":
        return run_on_ray(tasks, workers, ray_address, on_done)
    if executor != "local":
        raise ValueError(f"unknown executor {executor!r}; known: {', '.join(EXECUTORS)}")
    if workers <= 1 or len(tasks) <= 1:
        results = []
        for task in tasks:
            results.append(extract(*task))
            on_done(results[-1])
        return results
    return run_in_pool(tasks, workers, on_done)


# -- a local process pool --------------------------------------------------------------------------


def run_in_pool(tasks: Sequence[Task], workers: int, on_done: Callable[[Shards], None]) -> list[Shards]:
    """The tasks in a forkserver pool; a dead worker is reported as its unit's ``InputError``."""
    units: list[Unit] = [task[0] for task in tasks]
    context = get_context("forkserver")
    # Workers fork from a server that has already imported the readers they need: no fork of a
    # parent with threads (the progress bar), and no per-worker import cost as with spawn.
    context.set_forkserver_preload(
        [
            "lima_curate.extract",
            "lima_curate.dedup",
            "datasketch",
            *sorted({f"lima_curate.sources.{u.source}" for u in units if u.source in sources.BUILTIN}),
        ]
    )
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)), mp_context=context, initializer=exit_with_parent, initargs=(os.getpid(),)
    )
    results: list[Shards] = []
    try:
        futures = [pool.submit(extract, *task) for task in tasks]
        for unit, future in zip(units, futures):  # in task order, whatever finishes first
            try:
                results.append(future.result())
            except BrokenProcessPool:
                raise InputError(unit.path, "the worker extracting this input died (killed, or out of memory)") from None
            on_done(results[-1])
    except BaseException:
        stop_workers(pool)
        raise
    pool.shutdown(wait=True)
    return results


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the pool now: running units are abandoned (their shards have no marker and are never
    used), queued ones are never started."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public way before Python 3.14
    for process in processes:
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def exit_with_parent(parent: int) -> None:
    """Pool initializer: a worker whose build is gone (``kill -9``) exits instead of waiting forever
    on a queue nobody writes to. Forkserver workers are not the build's children, so the build's
    pid is watched directly."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


# -- Ray -------------------------------------------------------------------------------------------


def run_on_ray(tasks: Sequence[Task], workers: int, address: str | None, on_done: Callable[[Shards], None]) -> list[Shards]:
    """Each unit a Ray task. Without ``address`` a local Ray is started for this build (``workers``
    CPUs) and stopped after it; with one (``auto`` or ``HOST:PORT``) the tasks go to that cluster,
    whose nodes must all see the shard folder (the cache folder, or the output folder's parent)."""
    try:
        import ray
    except ImportError:
        raise InputError("--executor ray", "Ray is not installed: pip install 'lima-curate[ray]'") from None
    started = not ray.is_initialized()
    if started:
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # a build sends nothing anywhere by itself
        with stderr_kept_unless_failing():  # Ray's start-up notices would break the one-line error contract
            if address:
                ray.init(address=address, **options)
            else:  # a Ray of this build's own, reachable from this machine only
                ray.init(num_cpus=max(1, workers), _node_ip_address="127.0.0.1", **options)
    remote = ray.remote(num_cpus=1, max_retries=0)(extract)
    refs = [remote.remote(*task) for task in tasks]
    results: list[Shards] = []
    try:
        for task, ref in zip(tasks, refs):
            try:
                results.append(ray.get(ref))
            except ray.exceptions.RayTaskError as error:
                cause = getattr(error, "cause", None)
                if isinstance(cause, InputError):
                    raise InputError(cause.path, cause.message, cause.line) from None
                raise
            except ray.exceptions.WorkerCrashedError:
                raise InputError(task[0].path, "the Ray worker extracting this input died (killed, or out of memory)") from None
            on_done(results[-1])
    except BaseException:
        for ref in refs:
            ray.cancel(ref, force=True)
        raise
    finally:
        if started:
            with stderr_kept_unless_failing():
                ray.shutdown()
    return results


@contextmanager
def stderr_kept_unless_failing() -> Iterator[None]:
    """Hold back what is written to file descriptor 2 inside the block (Ray's notices, from Python
    and from its C++ core alike); let it through only if the block fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode(errors="replace"))
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
