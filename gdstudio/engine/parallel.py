"""Racing a big job on every core, with progress and cancelling.

The analysis commands race many runners at once (every start of a basin map, every
setting of a sweep). A race on the compiled path already steps its runners on every
core; a race on the NumPy path (formulas, datasets, Newton) does not, so the job is
cut into a race per core, each stepped in its own thread (NumPy's array loops let go
of the GIL). Runners never interact, so the parts give the numbers one race would,
bit for bit.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Sequence

from gdstudio.engine.race import FUSED_STEPS, Race

Progress = Callable[[float], bool]
"""Called with the fraction done (0 to 1); returning False cancels the work."""
POLL_SECONDS = 0.05
"""How often progress is reported while the races run."""


class Cancelled(Exception):
    """The user cancelled a long computation (its progress callback returned False)."""


def cores() -> int:
    """The number of CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def split(count: int, parts: int) -> list[range]:
    """``range(count)`` cut into at most ``parts`` consecutive, nearly equal, non-empty ranges."""
    parts = max(1, min(parts, count))
    edges = [count * i // parts for i in range(parts + 1)]
    return [range(a, b) for a, b in itertools.pairwise(edges)]


def race_parts(build: Callable[[range], Race], count: int) -> tuple[list[range], list[Race]]:
    """The races for a job of ``count`` items (starts, settings) and the items each holds.

    ``build(items)`` makes the race for a range of items. One race for them all when
    the compiled path steps it (on every core by itself), else one race per core.
    """
    whole = build(range(count))
    if whole.compiled or cores() == 1:
        return [range(count)], [whole]
    parts = split(count, cores())
    return parts, [build(part) for part in parts]


def fraction_done(race: Race) -> float:
    """How far a race has come: 1 when done, else its furthest runner's share of the steps."""
    if race.done or race.max_steps <= 0:
        return 1.0
    return min(1.0, float(race.steps_taken.max(initial=0)) / race.max_steps)


def run_races(races: Sequence[Race], progress: Progress | None = None) -> None:
    """Step every race to its end, each in its own thread (see :func:`race_parts`).

    ``progress`` is called from this thread with the mean fraction done; when it
    returns False the races stop where they are and :class:`Cancelled` is raised.
    An error in a race is raised here.
    """
    stop = threading.Event()
    errors: list[BaseException] = []

    def work(race: Race) -> None:
        try:
            while not race.done and not stop.is_set():
                race.step(FUSED_STEPS)
        except BaseException as exc:  # handed to the caller's thread
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=work, args=(race,), daemon=True) for race in races]
    for thread in threads:
        thread.start()
    while alive := [t for t in threads if t.is_alive()]:
        done = sum(fraction_done(r) for r in races) / len(races)
        if progress is not None and not stop.is_set() and not progress(done):
            stop.set()
        alive[0].join(POLL_SECONDS)
    if errors:
        raise errors[0]
    if stop.is_set():
        raise Cancelled
    if progress is not None:
        progress(1.0)
