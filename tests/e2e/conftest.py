"""Fixtures for the JupyterLab browser tests: a real ``jupyter lab`` server and headless Chromium.

Environment
-----------
DAENR_SKIP_BROWSER=1
    Skip these tests explicitly. Without it, a missing browser or a server that does not start is a
    test FAILURE with the reason, never a silent skip.
DAENR_CHROMIUM
    Path of the Chromium binary (default: ``chromium`` on PATH, Debian package ``chromium``).
DAENR_ARTIFACTS
    Folder for screenshots (default: ``test-artifacts/`` at the repository root, git-ignored).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from lab_harness import CHROMIUM_ARGS, LabError, LabServer, find_chromium, prepare_root

REPO_ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1280, "height": 900}


def _skip_if_asked() -> None:
    if os.environ.get("DAENR_SKIP_BROWSER") == "1":
        pytest.skip("DAENR_SKIP_BROWSER=1: JupyterLab browser tests skipped on request")


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where screenshots go (``$DAENR_ARTIFACTS`` or ``<repo>/test-artifacts``)."""
    path = Path(os.environ.get("DAENR_ARTIFACTS") or REPO_ROOT / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory):
    """A running JupyterLab serving a stripped copy of ``notebooks/``; stopped whatever happens.

    The server (and so each kernel) runs in quick mode against the shared data cache, with the
    repository first on ``PYTHONPATH`` so the kernels import the checkout under test. ``MPLBACKEND`` is
    removed so matplotlib uses the notebook's inline backend, as for a student.
    """
    _skip_if_asked()
    base = tmp_path_factory.mktemp("jupyterlab")
    root = prepare_root(REPO_ROOT / "notebooks", base / "root")
    pythonpath = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    kernel_env = {
        "DAENR_MODE": "quick",
        "DAENR_DATA_DIR": os.environ.get("DAENR_DATA_DIR") or str(base / "data-cache"),
        "MPLBACKEND": None,
        "PYTHONPATH": pythonpath,
        "PYTHONUNBUFFERED": "1",
    }
    server = LabServer(root_dir=root, work_dir=base / "server", kernel_env=kernel_env)
    try:
        problem = None
        try:
            server.start()
        except LabError as err:
            problem = str(err)
        if problem:
            pytest.fail(f"JupyterLab server did not start: {problem}", pytrace=False)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory):
    """Headless system Chromium driven by Playwright, with a fresh user-data dir.

    Fails (does not skip) when the browser cannot start, unless ``DAENR_SKIP_BROWSER=1``.
    """
    _skip_if_asked()
    try:
        chromium = find_chromium()
    except LabError as err:
        problem = f"cannot run the JupyterLab browser test: {err}"
    else:
        problem = None
    if problem:
        pytest.fail(problem, pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        problem = (f"the `playwright` Python package is missing ({err}); install the test extras: "
                   "pip install -e '.[test]' (no browser download is needed: the system Chromium is used)")
    if problem:
        pytest.fail(problem, pytrace=False)
    playwright = sync_playwright().start()
    try:
        context = None
        try:
            context = playwright.chromium.launch_persistent_context(
                user_data_dir=str(tmp_path_factory.mktemp("chromium-profile")),
                executable_path=chromium, headless=True, args=CHROMIUM_ARGS,
                viewport=VIEWPORT, device_scale_factor=1, timeout=60_000)
        except Exception as err:  # playwright.Error and friends: report, do not skip
            problem = (f"headless Chromium ({chromium}) did not start: {err}\nSet DAENR_CHROMIUM to a "
                       "working Chromium, or DAENR_SKIP_BROWSER=1 to skip explicitly.")
        if problem:
            pytest.fail(problem, pytrace=False)
        try:
            yield context
        finally:
            context.close()
    finally:
        playwright.stop()


@pytest.fixture
def lab_page(browser_context):
    """A new browser tab, closed after the test."""
    page = browser_context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        page.close()
