"""The test setup itself (tests/conftest.py): what keeps the two workers apart
and what they share."""

import os
from pathlib import Path

import librosa
import numpy as np
import pytest


def test_each_test_worker_compiles_librosa_into_its_own_numba_cache():
    cache = Path(os.environ["NUMBA_CACHE_DIR"])
    assert cache.name == os.environ.get("PYTEST_XDIST_WORKER", "main")
    librosa.util.localmax(np.array([0.0, 1.0, 0.0]))  # a cached numba gufunc
    assert any(cache.rglob("*localmax*.nbi"))


@pytest.fixture(scope="module")
def built_once():
    return object()


def test_tests_that_share_a_module_fixture_share_a_worker(request, built_once):
    groups = [mark.args[0] for mark in request.node.iter_markers("xdist_group")]
    assert groups == [request.module.__name__]
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # what the scheduler reads: the group, appended to the test's id
        assert request.node.nodeid.endswith(f"@{request.module.__name__}")


def test_tests_without_one_are_spread_over_the_workers(request):
    assert not list(request.node.iter_markers("xdist_group"))
