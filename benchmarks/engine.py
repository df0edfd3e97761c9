"""Engine benchmarks, each printed as a ratio against its peer measured in the same run.

(a) throughput: Adam and SGD-momentum on Rosenbrock, 100,000 start points × 500 steps,
    against torch.optim stepping one (100000, 2) float64 parameter with the same number of
    threads as ours (every core). torch runs every implementation it has: the default loop,
    foreach=True and fused=True, each fed a hand-written in-place gradient (torch at its
    fastest), and the usual autograd loop for reference; the bar, ≥ 3×, is against the
    fastest. Every figure is the best of RUNS runs, ours and each of torch's alike (a single
    run of either can lose a fifth to another program). Our figure counts the loss, the stop
    rules and the gradient for the next step too; for reference (not the bar) the script
    also times torch's fastest taking each point's loss and checking it is finite, the
    work a race step does besides the update. A race this big takes the compiled path
    (gdstudio.engine.fused); compiling it, once per machine, is done and timed before the
    measurement;
(b) interactive latency: one step of an 8-runner race of 4 optimizers, against torch.optim
    stepping the same 8 runners, held as separate parameters and as one tensor per optimizer
    (bar: ≤ 0.1× the faster and ≤ 150 µs); the three are timed step by step in alternating
    turns, so a machine whose speed drifts weighs on all of them alike;
(c) a user formula's gradient against the project's own tuned Rosenbrock gradient (bar: ≤ 2×);
(d) start-up: `gdstudio run` on a small scenario and `gdstudio list functions` (bar: < 0.5 s).

Run: python benchmarks/engine.py [--quick]. Without torch: pip install torch==2.13.0
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gdstudio.engine.functions import make_function
from gdstudio.engine.fused import threads
from gdstudio.engine.race import Entry, Race
from gdstudio.engine.stop import StopRule

try:
    import torch
except ImportError:  # the peer is optional; say how to get it
    torch = None


RUNS = 3
"""Throughput runs of each contender; the best counts (the peer at its best, ours likewise)."""


def rosen_starts(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.column_stack([rng.uniform(-2, 2, n), rng.uniform(-1, 3, n)])


def warm_up(entry: Entry) -> float:
    """Seconds to get the compiled path ready (compile, or load the on-disk cache)."""
    from gdstudio.engine.race import FUSED_MIN

    t0 = time.perf_counter()
    race = Race(make_function("rosenbrock"), [entry], rosen_starts(FUSED_MIN), 3)
    race.run()
    assert race.compiled, "this race should take the compiled path"
    return time.perf_counter() - t0


def ours_throughput(entry: Entry, n: int, steps: int, keep_history: bool) -> float:
    race = Race(make_function("rosenbrock"), [entry], rosen_starts(n), steps, StopRule(0.0, 1e300),
                keep_history=keep_history)  # fmt: skip
    t0 = time.perf_counter()
    race.run()
    elapsed = time.perf_counter() - t0
    return n * int(race.steps_taken.min()) / elapsed


def kernel_floor(entry: Entry, repeats: int = 20_000) -> float:
    """Point-steps per second of one core running only the optimizer's compiled kernel
    on one cache-resident block: no surface, no stop rules, no record. No driver built
    on the kernel can beat it; for Adam it is bound by the divider (two square roots and
    four divisions a point, as torch's formula has them)."""
    import numba

    from gdstudio.engine import fused
    from gdstudio.engine.optimizers import OPTIMIZERS

    spec, n = OPTIMIZERS[entry.name], fused.BLOCK
    hp = dict(entry.hyperparameters)
    numbers = np.array([spec.compiled.numbers(hp, hp["lr"], 2)], dtype=np.float64)
    fields = len(spec.init(np.zeros((1, 2)), hp))
    rng = np.random.default_rng(0)
    p, g = rng.uniform(-1, 1, 2 * n), rng.uniform(-1, 1, 2 * n)
    cur, new = rng.uniform(0, 1, (fields, 2 * n)), np.empty((fields, 2 * n))
    out, parts = np.empty(2 * n), np.array([[0, 2 * n, 0]], dtype=np.uintp)

    @numba.njit(error_model="numpy")
    def loop(count, kernel, p, g, cur, new, out, numbers, parts):
        for _ in range(count):
            kernel(p, g, cur, new, out, numbers, parts)

    kernel = fused._kernel(entry.name)
    loop(1, kernel, p, g, cur, new, out, numbers, parts)
    t0 = time.process_time()
    loop(repeats, kernel, p, g, cur, new, out, numbers, parts)
    return repeats * n / (time.process_time() - t0)


def torch_rosen_grad_into(p: torch.Tensor, g: torch.Tensor, t: torch.Tensor) -> None:
    """Rosenbrock's gradient written into ``g`` in place, no allocation: torch at its fastest."""
    x, y = p[:, 0], p[:, 1]
    torch.mul(x, x, out=t)
    torch.sub(y, t, out=t)  # t = y − x²
    torch.mul(t, 200.0, out=g[:, 1])
    torch.mul(t, -400.0, out=t)
    t.add_(2.0).mul_(x).sub_(2.0)  # x·(2 − 400t) − 2
    g[:, 0].copy_(t)


def torch_rosen_loss_checked(p: torch.Tensor, loss: torch.Tensor, t: torch.Tensor) -> bool:
    """Rosenbrock's value at every point into ``loss``, in place, and whether all are finite:
    what a race step does besides the update (it records the loss and stops a runner that
    diverged)."""
    x, y = p[:, 0], p[:, 1]
    torch.mul(x, x, out=t)
    torch.sub(y, t, out=t)
    t.mul_(t).mul_(100.0)  # 100 (y − x²)²
    torch.sub(1.0, x, out=loss)
    loss.mul_(loss).add_(t)
    return bool(torch.isfinite(loss).all())


def torch_throughput(make_opt, n: int, steps: int, autograd: bool, loss: bool = False) -> float:
    """torch.optim's point-steps per second, the gradient from autograd or written out
    (with ``loss``, also each point's loss and a check that all are finite)."""
    p = torch.tensor(rosen_starts(n), dtype=torch.float64, requires_grad=autograd)
    opt = make_opt([p])
    if not autograd:
        p.grad = torch.empty_like(p)
        scratch = torch.empty(n, dtype=torch.float64)
        values, scratch2 = torch.empty(n, dtype=torch.float64), torch.empty(n, dtype=torch.float64)
    t0 = time.perf_counter()
    for _ in range(steps):
        if autograd:  # the usual torch loop
            opt.zero_grad()
            x, y = p[:, 0], p[:, 1]
            ((1 - x) ** 2 + 100 * (y - x * x) ** 2).sum().backward()
        else:
            with torch.no_grad():
                torch_rosen_grad_into(p, p.grad, scratch)
                if loss:
                    torch_rosen_loss_checked(p, values, scratch2)
        opt.step()
    return n * steps / (time.perf_counter() - t0)


def torch_variants(cls, **hp) -> list[tuple[str, object, bool]]:
    """(label, optimizer factory, autograd) for every implementation torch.optim has."""
    return [
        ("torch, autograd loop", lambda ps: cls(ps, **hp), True),
        ("torch, hand gradient", lambda ps: cls(ps, **hp), False),
        ("torch, foreach=True", lambda ps: cls(ps, foreach=True, **hp), False),
        ("torch, fused=True", lambda ps: cls(ps, fused=True, **hp), False),
    ]


LATENCY_ENTRIES = [
    ("sgd", {"lr": 0.001}),
    ("sgd", {"lr": 0.001, "momentum": 0.9}),
    ("rmsprop", {"lr": 0.01}),
    ("adam", {"lr": 0.05}),
]
LATENCY_STARTS = [[-1.5, 2.0], [0.5, -0.5]]


def ours_stepper() -> Callable[[], object]:
    """One step of our 8-runner race of 4 optimizers."""
    entries = [Entry.create(name, hp) for name, hp in LATENCY_ENTRIES]
    race = Race(make_function("rosenbrock"), entries, LATENCY_STARTS, 10**7, StopRule(0.0, 1e300))
    return lambda: race.step(1)


def torch_stepper(stacked: bool) -> Callable[[], None]:
    """One step of the 8 runners in torch: one parameter per runner, or (``stacked``)
    one (2, 2) tensor per optimizer holding both of its runners."""
    classes = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam}
    params, opts = [], []
    for name, hp in LATENCY_ENTRIES:
        if stacked:
            group = [torch.tensor(LATENCY_STARTS, dtype=torch.float64, requires_grad=True)]
        else:
            group = [torch.tensor(s, dtype=torch.float64, requires_grad=True)
                     for s in LATENCY_STARTS]  # fmt: skip
        params += group
        opts.append(classes[name](group, **hp))

    def step() -> None:
        for opt in opts:  # the usual torch loop: zero_grad, loss, backward, step
            opt.zero_grad()
        for p in params:
            x, y = p[..., 0], p[..., 1]
            ((1 - x) ** 2 + 100 * (y - x * x) ** 2).sum().backward()
        for opt in opts:
            opt.step()

    return step


def median_steps(
    steppers: list[Callable[[], object]], repeats: int, rounds: int = 20
) -> list[float]:
    """Median seconds a step of each stepper, timed step by step in ``rounds`` turns taken
    in alternation, so that a machine that slows down or speeds up weighs on all alike."""
    times: list[list[float]] = [[] for _ in steppers]
    for _ in range(rounds):
        for step, own in zip(steppers, times, strict=True):
            for _ in range(max(1, repeats // rounds)):
                t0 = time.perf_counter()
                step()
                own.append(time.perf_counter() - t0)
    return [statistics.median(own) for own in times]


def formula_ratio(n: int, repeats: int) -> tuple[float, float]:
    from gdstudio.engine.formula import parse_formula

    text = "(1 - x)**2 + 100*(y - x**2)**2"
    obj = parse_formula(text)
    pts = rosen_starts(n)
    by_hand = make_function("rosenbrock").grad  # the project's own tuned gradient
    ours_g, hand_g = obj.grad(pts), by_hand(pts)
    np.testing.assert_allclose(ours_g, hand_g, rtol=1e-9, atol=1e-9 * np.abs(hand_g).max())
    ours = min(_time(lambda: obj.grad(pts)) for _ in range(repeats))
    hand = min(_time(lambda: by_hand(pts)) for _ in range(repeats))
    return ours, hand


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def startup_times(repeats: int) -> dict[str, float]:
    scenario = {
        "surface": {"function": "rosenbrock"},
        "optimizers": [{"name": "adam", "lr": 0.05}, {"name": "sgd", "lr": 0.001}],
        "starts": [[-1.5, 2.0]],
        "steps": 100,
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "small.json"
        path.write_text(json.dumps(scenario))
        commands = {
            "gdstudio run small.json": ["run", str(path)],
            "gdstudio list functions": ["list", "functions"],
        }
        out = {}
        for label, args in commands.items():
            runs = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "-m", "gdstudio", *args], check=True,
                               capture_output=True)  # fmt: skip
                runs.append(time.perf_counter() - t0)
            out[label] = statistics.median(runs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    n, steps = (10_000, 100) if args.quick else (100_000, 500)
    n_threads = threads()
    if torch is None:
        print("torch is not installed: the peer figures need `pip install torch==2.13.0`")
    else:
        torch.set_num_threads(n_threads)

    print(f"(a) throughput, Rosenbrock, {n} start points × {steps} steps, point-steps/s, "
          f"{n_threads} threads each")  # fmt: skip
    cases = [
        ("Adam lr=0.001", Entry.create("adam", {"lr": 0.001}), "Adam", {"lr": 0.001}),
        ("SGD momentum=0.9 lr=1e-4", Entry.create("sgd", {"lr": 1e-4, "momentum": 0.9}), "SGD",
         {"lr": 1e-4, "momentum": 0.9}),
    ]  # fmt: skip
    for label, entry, cls, hp in cases:
        ready = warm_up(entry)
        # Like for like: torch keeps no history, so the bar compares our race without it.
        ours = max(ours_throughput(entry, n, steps, keep_history=False) for _ in range(RUNS))
        print(f"    {label:<26} ours {ours:.3g}   (compiled path ready in {ready:.2f} s)")
        if torch is None:
            continue
        peers = {}
        for peer_label, make_opt, autograd in torch_variants(getattr(torch.optim, cls), **hp):
            try:
                peers[peer_label] = max(torch_throughput(make_opt, n, steps, autograd=autograd)
                                        for _ in range(RUNS))  # fmt: skip
            except (RuntimeError, TypeError, ValueError) as exc:  # an implementation torch lacks
                print(f"    {'':<26} {peer_label:<21} not available: {exc}")
                continue
            print(f"    {'':<26} {peer_label:<21} {peers[peer_label]:.3g}   "
                  f"ratio {ours / peers[peer_label]:.2f}x")  # fmt: skip
        best = max(peers, key=peers.get)
        print(f"    {'':<26} against the fastest ({best}): {ours / peers[best]:.2f}x (bar >= 3.0)")
        make_best = dict((v[0], v[1]) for v in torch_variants(getattr(torch.optim, cls), **hp))
        same_work = max(torch_throughput(make_best[best], n, steps, autograd=False, loss=True)
                        for _ in range(RUNS))  # fmt: skip
        print(f"    {'':<26} the same torch also taking each point's loss and checking it is "
              f"finite, as our race does: {same_work:.3g}, ratio {ours / same_work:.2f}x "
              f"(for reference, not the bar)")  # fmt: skip
        floor = kernel_floor(entry) * n_threads
        print(
            f"    {'':<26} the kernel alone, {n_threads} cores at best: {floor:.3g} "
            f"({floor / peers[best]:.2f}x the fastest torch: the most any driver could reach)"
        )
        recorded = ours_throughput(entry, n, steps, keep_history=True)
        print(f"    {'':<26} ours with every point recorded: {recorded:.3g} "
              f"({recorded / peers[best]:.2f}x the fastest torch)")  # fmt: skip

    repeats = 300 if args.quick else 2000
    if torch is None:
        (ours,) = median_steps([ours_stepper()], repeats)
    else:
        torch.set_num_threads(1)  # 8 runners: threads only add overhead
        ours, separate, stacked = median_steps(
            [ours_stepper(), torch_stepper(False), torch_stepper(True)], repeats
        )
    line = f"(b) latency, 8 runners of 4 optimizers, median step: ours {ours * 1e6:.0f} us"
    if torch is not None:
        line += (f"   torch {separate * 1e6:.0f} us (a parameter per runner), "
                 f"{stacked * 1e6:.0f} us (a tensor per optimizer)   "
                 f"ratio {ours / min(separate, stacked):.3f}x (bar <= 0.1, <= 150 us)")  # fmt: skip
    print(line)

    f_ours, f_hand = formula_ratio(n, 5 if args.quick else 20)
    print(f"(c) formula gradient at {n} points: ours {f_ours * 1e3:.2f} ms, the built-in's tuned "
          f"gradient {f_hand * 1e3:.2f} ms, ratio {f_ours / f_hand:.2f}x (bar <= 2.0)")  # fmt: skip

    for label, seconds in startup_times(3 if args.quick else 7).items():
        print(f"(d) start-up, {label}: {seconds:.3f} s (bar < 0.5 s)")


if __name__ == "__main__":
    main()
