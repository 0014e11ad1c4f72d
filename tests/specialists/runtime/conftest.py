"""Fixtures of the runtime tests: a 2-worker Dask LocalCluster on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from specialists.runtime.cluster import DaskExecutor, executor, shutdown


@pytest.fixture(scope="module")
def local2() -> Iterator[DaskExecutor]:
    """A 2-worker LocalCluster (one thread each) on 127.0.0.1, shared by the module."""
    pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not "
                        "installed")
    ex = executor("local:2")
    assert isinstance(ex, DaskExecutor)
    yield ex
    shutdown()
