"""The compiled path caches under the user's cache directory, and a fallback is never silent."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import numpy as np
import pytest

from gdstudio.engine import compile_cache, fused
from gdstudio.engine import race as race_module
from gdstudio.engine.functions import make_function
from gdstudio.engine.race import Entry, Race
from tests.engine.fused_support import break_fused_import


@pytest.fixture
def no_fallback_yet(monkeypatch):
    monkeypatch.setattr(compile_cache, "_fallback", None)


def big_race() -> Race:
    starts = np.random.default_rng(0).uniform(-2, 2, (race_module.FUSED_MIN, 2))
    return Race(make_function("rosenbrock"), [Entry.create("adam", {})], starts, 3)


def test_kernels_are_cached_under_the_users_cache_dir_named_for_the_sources(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    first = compile_cache.kernel_cache_dir(a, b)
    assert first.parent == tmp_path / "cache" / "gdstudio" / "numba"
    assert compile_cache.kernel_cache_dir(a, b) == first
    b.write_text("y = 3\n")
    assert compile_cache.kernel_cache_dir(a, b) != first


def test_without_xdg_cache_home_the_cache_is_under_home(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert compile_cache.user_cache_dir() == tmp_path / ".cache" / "gdstudio"


def test_a_missing_source_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        compile_cache.kernel_cache_dir(tmp_path / "gone.py")


def test_the_compiled_module_caches_where_the_user_cache_is(tmp_path):
    code = "import os, gdstudio.engine.fused; print(os.environ['NUMBA_CACHE_DIR'])"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True)  # fmt: skip
    assert out.stdout.strip().startswith(str(tmp_path / "gdstudio" / "numba"))


def numba_settings(env: dict[str, str]) -> tuple[str, str]:
    """(NUMBA_CPU_FEATURES, the features Numba compiles for) in a fresh process."""
    code = ("import os, gdstudio.engine.fused, numba.core.config as c; "
            "print(os.environ.get('NUMBA_CPU_FEATURES', '-')); print(c.CPU_FEATURES)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True)  # fmt: skip
    setting, compiled_for = out.stdout.split("\n")[:2]
    return setting, compiled_for


def test_avx512_cpus_get_512_bit_vectors_and_a_users_setting_stands(tmp_path):
    import llvmlite.binding as llvm

    host = llvm.get_host_cpu_features().flatten()
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CPU_FEATURES"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    setting, compiled_for = numba_settings(env)
    if "+avx512f" in host.split(","):
        assert setting == compiled_for == host + ",-prefer-256-bit"
    else:
        assert setting == "-" and compiled_for == "None"  # Numba's own host detection
    env["NUMBA_CPU_FEATURES"] = host
    assert numba_settings(env) == (host, host)


@pytest.mark.parametrize(
    "error",
    [
        ImportError("No module named 'numba'"),
        OSError("libllvmlite.so: cannot open shared object file"),
        RuntimeError("cannot cache function '_run': no locator available for file 'fused.py'"),
    ],
)
def test_a_fallback_is_logged_once_and_shown_in_the_status(monkeypatch, caplog, error,
                                                           no_fallback_yet):  # fmt: skip
    break_fused_import(monkeypatch, error)
    with caplog.at_level(logging.WARNING, logger="gdstudio"):
        first, second = big_race(), big_race()
    assert first._fused is None and second._fused is None
    warnings = [r for r in caplog.records if r.name == "gdstudio.engine.compile_cache"]
    assert len(warnings) == 1 and "NumPy path" in warnings[0].getMessage()
    assert str(error) in warnings[0].getMessage()
    status = compile_cache.status()
    assert status.startswith("not available") and type(error).__name__ in status
    second.run()
    assert second.done


def test_the_status_says_when_the_compiled_path_is_loaded(no_fallback_yet):
    assert big_race()._fused is not None
    status = compile_cache.status()
    assert status.startswith("loaded (Numba ")
    assert os.environ["NUMBA_CACHE_DIR"] in status
    assert fused.numba.__version__ in status


def test_before_any_big_race_the_status_says_not_loaded_yet():
    code = "from gdstudio.engine import compile_cache; print(compile_cache.status())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)  # fmt: skip
    assert out.stdout.startswith("not loaded yet") and str(race_module.FUSED_MIN) in out.stdout
