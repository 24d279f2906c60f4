"""How `make test`'s two xdist workers share the book build (tests/conftest.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest

import conftest
from conftest import ROOT

# a worker: conftest's shared_build with a fake build that takes 1 s and leaves a mark
WORKER = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    import conftest

    def fake_build():
        with open({marks!r}, "a") as f:
            f.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
        time.sleep(1)
        return {{"status": 0, "log": "built by " + os.environ["PYTEST_XDIST_WORKER"]}}

    conftest._run_build = fake_build
    base = Path({shared!r}) / os.environ["PYTEST_XDIST_WORKER"]
    base.mkdir(parents=True)
    factory = type("F", (), {{"getbasetemp": lambda self: base}})()
    print(json.dumps(conftest.shared_build(factory)))
""")


def test_two_workers_build_once_and_read_the_same_result(tmp_path):
    marks, shared = tmp_path / "marks", tmp_path / "pytest-7"
    shared.mkdir()
    code = WORKER.format(tests=str(ROOT / "tests"), marks=str(marks), shared=str(shared))
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              text=True, env={"PYTEST_XDIST_WORKER": w, "PATH": ""})
             for w in ("gw0", "gw1")]
    results = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    builders = marks.read_text().split()
    assert len(builders) == 1, builders  # the other worker waited and read
    assert results[0] == results[1] == {"status": 0, "log": f"built by {builders[0]}"}


def test_the_book_files_are_one_scheduling_unit():
    pytest.importorskip("xdist")
    config = SimpleNamespace(getvalue=lambda name: "loadfile", option=SimpleNamespace(),
                             pluginmanager=None)
    sched = conftest.pytest_xdist_make_scheduler(config, log=None)
    scope = sched._split_scope
    assert scope("tests/test_book.py::test_x") == scope("tests/test_browser.py::t[a]") == "book"
    assert scope("tests/test_bpe.py::test_a") == scope("tests/test_bpe.py::test_b[1]") == \
        "tests/test_bpe.py"
    assert conftest.pytest_xdist_make_scheduler(
        SimpleNamespace(getvalue=lambda name: "load"), log=None) is None


def test_a_file_using_the_build_must_be_listed():
    item = SimpleNamespace(fixturenames=["built_book"], nodeid="tests/test_new.py::test_x")
    with pytest.raises(pytest.UsageError, match="test_new.py"):
        conftest.pytest_collection_modifyitems(None, [item])
    listed = SimpleNamespace(fixturenames=["built_book"], nodeid="tests/test_book.py::t")
    conftest.pytest_collection_modifyitems(None, [listed])
