"""Drive a real JupyterLab server with headless Chromium, the way a person would.

Two pieces, both used by ``tests/e2e``:

- :class:`LabServer` starts ``jupyter lab`` on 127.0.0.1 (free port, random token, its own root folder
  and config/runtime folders) and stops it -- kernels first, then the whole process group.
- :class:`LabNotebook` wraps a Playwright page showing one notebook: open it, run all cells through the
  Run menu, wait until the kernel is idle, and collect what went wrong (error outputs, widgets that
  failed to render).

Nothing here downloads anything: the browser is the system Chromium (Debian package ``chromium``),
found by :func:`find_chromium`.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Flags for a quiet, offline, reproducible headless Chromium (no sandbox: CI runs as root in a container).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--mute-audio",
]
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Text JupyterLab / the widget manager shows when a widget cannot be displayed.
WIDGET_ERROR_TEXTS = ("Error displaying widget", "Model not found", "Failed to display model")


class LabError(RuntimeError):
    """The JupyterLab server or the page did not behave; the message says what was seen."""


def find_chromium() -> str:
    """Path of the system Chromium: ``$DAENR_CHROMIUM`` if set, else the first on ``PATH``.

    Raises
    ------
    LabError
        When no browser is found, with the command that installs one.
    """
    explicit = os.environ.get("DAENR_CHROMIUM")
    if explicit:
        if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
            raise LabError(f"DAENR_CHROMIUM={explicit!r} is not an executable file; point it at chromium.")
        return explicit
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise LabError(
        "no Chromium found on PATH (tried " + ", ".join(CHROMIUM_CANDIDATES) + "). Install it with "
        "`apt-get install -y chromium` (Debian/Ubuntu), or set DAENR_CHROMIUM=/path/to/chromium; "
        "set DAENR_SKIP_BROWSER=1 to skip the browser tests explicitly."
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_root(notebooks_src: Path, root: Path) -> Path:
    """Copy ``notebooks_src`` into ``root`` with every ``.ipynb`` stripped of outputs and counts.

    Stripping makes the run start from a clean notebook (as a student opening it would see) and makes
    "every code cell has an execution count" an unambiguous sign that Run All has finished.

    Returns
    -------
    Path
        ``root``.
    """
    import nbformat

    root.mkdir(parents=True, exist_ok=True)
    if notebooks_src.is_dir():
        shutil.copytree(notebooks_src, root, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "_output",
                                                      "*.executed.ipynb"))
    for path in root.rglob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        nb.metadata.pop("widgets", None)  # stale saved widget state would show old views
        stat = path.stat()
        nbformat.write(nb, path)
        # keep the timestamp: jupytext refuses to open an .ipynb newer than its paired .py
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return root


@dataclass
class LabServer:
    """A ``jupyter lab`` process serving ``root_dir`` on 127.0.0.1.

    Parameters
    ----------
    root_dir
        Folder the server shows (its notebooks are what the browser opens).
    work_dir
        Scratch folder for the server's config, runtime files, settings and log.
    kernel_env
        Extra environment for the server and hence its kernels (``None`` values remove a variable).
    """

    root_dir: Path
    work_dir: Path
    kernel_env: dict[str, str | None] = field(default_factory=dict)
    port: int = 0
    token: str = ""
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "jupyter-lab.log"

    def log_tail(self, n_chars: int = 3000) -> str:
        """The end of the server log (kernel tracebacks land here too)."""
        try:
            return self.log_path.read_text(errors="replace")[-n_chars:]
        except OSError:
            return "(no server log)"

    def lab_url(self, notebook: str) -> str:
        return f"{self.base_url}/lab/tree/{notebook}?token={self.token}"

    # ------------------------------------------------------------------ lifecycle
    def _write_config(self) -> dict[str, str]:
        config_dir = self.work_dir / "jupyter-config"
        settings_dir = self.work_dir / "lab-user-settings"
        for d in (config_dir, settings_dir, self.work_dir / "runtime", self.work_dir / "ipython",
                  self.work_dir / "workspaces"):
            d.mkdir(parents=True, exist_ok=True)
        config = {
            # offline: no news feed, no update check, no PyPI extension manager
            "LabApp": {"news_url": None,
                       "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
                       "extension_manager": "readonly",
                       "user_settings_dir": str(settings_dir),
                       "workspaces_dir": str(self.work_dir / "workspaces")},
        }
        (config_dir / "jupyter_server_config.json").write_text(json.dumps(config, indent=1))
        # a fresh profile would otherwise ask "receive official Jupyter news?" in a toast
        notif = settings_dir / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        notif.parent.mkdir(parents=True, exist_ok=True)
        notif.write_text(json.dumps({"fetchNews": "false"}))
        return {"JUPYTER_CONFIG_DIR": str(config_dir), "JUPYTER_RUNTIME_DIR": str(self.work_dir / "runtime"),
                "IPYTHONDIR": str(self.work_dir / "ipython")}

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until ``/api/status`` answers.

        Raises
        ------
        LabError
            If the process exits or does not answer within ``timeout`` seconds (log tail included).
        """
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self.token = self.token or secrets.token_hex(16)
        env = dict(os.environ)
        env.update(self._write_config())
        for key, value in self.kernel_env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.open_browser=False",
            "--ServerApp.allow_remote_access=False",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # CI containers run as root
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed by the child's lifetime / GC
        try:
            self.process = subprocess.Popen(cmd, cwd=self.root_dir, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LabError(f"jupyter lab exited with code {self.process.returncode} before answering "
                               f"/api/status.\nCommand: {' '.join(cmd)}\nLog tail:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status", timeout=2)
                return
            except (OSError, LabError):
                time.sleep(0.25)
        raise LabError(f"jupyter lab did not answer /api/status within {timeout:.0f} s.\n"
                       f"Log tail:\n{self.log_tail()}")

    def api(self, method: str, path: str, timeout: float = 10) -> Any:
        """Call the server's REST API with the token; returns the decoded JSON (or ``None``)."""
        req = urllib.request.Request(self.base_url + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                body = resp.read()
        except urllib.error.HTTPError as err:
            raise LabError(f"{method} {path} -> HTTP {err.code}") from err
        return json.loads(body) if body.strip() else None

    def kernels(self) -> list[dict]:
        """The running kernels as the server reports them (``id``, ``execution_state``, ...)."""
        return self.api("GET", "/api/kernels") or []

    def stop(self, timeout: float = 10.0) -> None:
        """Shut kernels down, ask the server to stop, then terminate/kill everything it started.

        Kernels run in their own sessions (jupyter_client starts them with ``start_new_session``), so
        besides the server's process group every descendant recorded before the shutdown is killed.
        """
        proc = self.process
        if proc is None:
            return
        descendants = _descendant_pids(proc.pid)
        if proc.poll() is None:
            try:
                for kernel in self.kernels():
                    self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=5)
                self.api("POST", "/api/shutdown", timeout=5)
                proc.wait(timeout=timeout)
            except (OSError, LabError, subprocess.TimeoutExpired, ValueError):
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                continue
        for pid in descendants:  # kernels (and their children) that outlived the server
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.process = None


def _descendant_pids(root: int) -> list[int]:
    """PIDs of all live descendants of ``root`` (Linux ``/proc``; empty elsewhere)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


# JavaScript evaluated in the page ------------------------------------------------------------------
_JS_RUN_STATE = """
() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return {ready: false, why: 'no notebook panel'};
  const cells = [...panel.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  const prompts = cells.map(c => {
    const p = c.querySelector('.jp-InputArea-prompt');
    const src = c.querySelector('.jp-InputArea-editor');
    return {prompt: p ? p.textContent.trim() : '', empty: src ? src.textContent.trim() === '' : true};
  });
  const running = prompts.filter(p => p.prompt.includes('*')).length;
  const notRun = prompts.filter(p => !p.empty && !/\\[\\d+\\]/.test(p.prompt)).length;
  const ind = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const status = ind ? (ind.getAttribute('data-status') || '') : '';
  const allCells = panel.querySelectorAll('.jp-Notebook .jp-Cell').length;
  const kernelName = panel.querySelector('.jp-KernelName');
  return {ready: true, cells: cells.length, allCells, running, notRun, status,
          kernel: kernelName ? kernelName.textContent.trim() : ''};
}
"""

_JS_ERRORS = """
(widgetTexts) => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)') || document;
  const out = [];
  const cells = [...panel.querySelectorAll('.jp-Notebook .jp-Cell')];
  cells.forEach((cell, i) => {
    // JupyterLab renders an error output like stderr (same mime type, no distinguishing class);
    // the IPython traceback header tells them apart from warnings and progress bars
    cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
      .forEach(el => { if (el.textContent.includes('Traceback (most recent call last)')) {
        out.push({cell: i, kind: 'error output', text: el.textContent.slice(-4000)}); } });
    const text = cell.textContent;
    widgetTexts.forEach(t => { if (text.includes(t)) {
      out.push({cell: i, kind: 'widget not displayed', text: t}); } });
  });
  return out;
}
"""


class LabNotebook:
    """One notebook open in JupyterLab in a Playwright ``page``.

    Parameters
    ----------
    page
        A Playwright (sync API) page.
    server
        The :class:`LabServer` serving the notebook.
    name
        Notebook path relative to the server's root, e.g. ``"03_dae_nr.ipynb"``.
    """

    def __init__(self, page: Any, server: LabServer, name: str) -> None:
        self.page = page
        self.server = server
        self.name = name
        self.console: list[str] = []
        page.on("console", lambda msg: self.console.append(f"[{msg.type}] {msg.text}")
                if msg.type in ("error", "warning") else None)
        page.on("pageerror", lambda exc: self.console.append(f"[pageerror] {exc}"))

    # ------------------------------------------------------------------ helpers
    def diagnostics(self) -> str:
        """Browser console errors and the server log tail, for failure messages."""
        console = "\n".join(self.console[-20:]) or "(none)"
        return (f"\n--- browser console (errors/warnings, last 20) ---\n{console}"
                f"\n--- jupyter server log (tail) ---\n{self.server.log_tail()}")

    def _dialog_text(self) -> str | None:
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count() and dialog.first.is_visible():
            return dialog.first.inner_text()
        return None

    # ------------------------------------------------------------------ actions
    def open(self, timeout: float = 120.0) -> None:
        """Load ``/lab/tree/<name>`` and wait for the notebook and an idle kernel."""
        page = self.page
        # start from an empty layout: otherwise JupyterLab restores tabs opened earlier (by another test)
        # and their widgets would be found too
        try:
            self.server.api("DELETE", "/lab/api/workspaces/default")
        except LabError:
            pass  # 404: no saved workspace yet
        page.goto(self.server.lab_url(self.name), wait_until="domcontentloaded",
                  timeout=timeout * 1000)
        try:
            page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(
                state="attached", timeout=timeout * 1000)
        except Exception as exc:  # playwright TimeoutError
            raise LabError(f"JupyterLab did not show the notebook {self.name!r} within {timeout:.0f} s "
                           f"(dialog: {self._dialog_text()!r}).{self.diagnostics()}") from exc
        self.wait_kernel_idle(timeout=timeout, what="kernel start")

    def _session_kernel_state(self) -> str | None:
        """Execution state of the kernel of this notebook's session, as the server sees it."""
        for session in self.server.api("GET", "/api/sessions") or []:
            if session.get("path", "").endswith(self.name) and session.get("kernel"):
                return session["kernel"].get("execution_state")
        return None

    def wait_kernel_idle(self, timeout: float, what: str) -> None:
        """Wait until the notebook is fully shown, its kernel session exists and both sides say idle.

        The toolbar indicator alone is not enough: it reads "idle" for a moment before the notebook
        content and its kernel session exist.
        """
        import nbformat

        expected_cells = len(nbformat.read(self.server.root_dir / self.name, as_version=4).cells)
        deadline = time.monotonic() + timeout
        state: dict = {}
        server_state = None
        while time.monotonic() < deadline:
            dialog = self._dialog_text()
            if dialog:
                raise LabError(f"a JupyterLab dialog appeared during {what}: {dialog!r}")
            state = self.page.evaluate(_JS_RUN_STATE)
            if state.get("ready") and state["allCells"] == expected_cells and state["status"] == "idle":
                server_state = self._session_kernel_state()
                if server_state == "idle":
                    return
            time.sleep(0.25)
        raise LabError(f"kernel not idle after {what} ({timeout:.0f} s); page state {state}, "
                       f"server kernel state {server_state!r}, {expected_cells} cells expected."
                       f"{self.diagnostics()}")

    def menu(self, menu: str, item: str) -> None:
        """Click ``menu`` in the menu bar, then ``item`` in it (e.g. ``("Run", "Run All Cells")``)."""
        page = self.page
        page.locator(".lm-MenuBar-itemLabel").filter(has_text=re.compile(rf"^{re.escape(menu)}$")).click()
        entry = page.locator(".lm-Menu-content .lm-Menu-itemLabel").filter(
            has_text=re.compile(rf"^{re.escape(item)}$"))
        entry.first.click()

    def run_all(self, timeout: float = 90.0) -> dict:
        """Run > Run All Cells, then wait until every code cell ran and the kernel is idle.

        Returns
        -------
        dict
            The final run state: ``cells`` (code cells), ``notRun`` (non-empty code cells without an
            execution count; > 0 when an error stopped the run), ``status`` (kernel).
        """
        self.menu("Run", "Run All Cells")
        deadline = time.monotonic() + timeout
        stable_since = None
        state: dict = {}
        while time.monotonic() < deadline:
            dialog = self._dialog_text()
            if dialog:
                raise LabError(f"a JupyterLab dialog appeared while running all cells: {dialog!r}")
            state = self.page.evaluate(_JS_RUN_STATE)
            # Run All stops at the first failing cell and un-queues the rest, so "finished" is either
            # every code cell has an execution count, or nothing runs any more after an error
            finished = state.get("ready") and state["running"] == 0 and state["status"] == "idle"
            done = finished and (state["notRun"] == 0 or bool(self.problems()))
            if done:
                stable_since = stable_since or time.monotonic()
                if time.monotonic() - stable_since > 1.0:  # idle for a second: really done
                    return state
            else:
                stable_since = None
            time.sleep(0.25)
        raise LabError(f"Run All Cells did not finish within {timeout:.0f} s; page state {state} "
                       f"(running = cells still [*], notRun = cells without an execution count)."
                       f"{self.diagnostics()}")

    def save_and_read(self, timeout: float = 20.0) -> Any:
        """Save the notebook (Ctrl+S, as a person would) and read the saved file back.

        Returns
        -------
        nbformat.NotebookNode
            The saved notebook: outputs with their exact ``output_type`` (``"error"`` for failures).
        """
        import nbformat

        path = self.server.root_dir / self.name
        before = path.stat().st_mtime_ns
        self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").first.click(
            position={"x": 5, "y": 5})
        self.page.keyboard.press("Control+s")
        if not wait_until(lambda: path.stat().st_mtime_ns != before, timeout=timeout):
            raise LabError(f"saving {self.name} with Ctrl+S did not change the file within {timeout:.0f} s "
                           f"(dialog: {self._dialog_text()!r})")
        time.sleep(0.5)  # let the write finish
        return nbformat.read(path, as_version=4)

    def problems(self) -> list[dict]:
        """Error outputs and undisplayable widgets shown in the notebook: ``[{cell, kind, text}]``."""
        return self.page.evaluate(_JS_ERRORS, list(WIDGET_ERROR_TEXTS))


def saved_errors(notebook: Any) -> list[dict]:
    """Error outputs of a saved notebook, in the :meth:`LabNotebook.problems` format."""
    return [{"cell": i, "kind": "error output (saved notebook)",
             "text": f"{out.get('ename')}: {out.get('evalue')}"}
            for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.get("output_type") == "error"]


def format_problems(problems: list[dict]) -> str:
    """Human-readable list of :meth:`LabNotebook.problems` results."""
    def shorten(text: str, head: int = 300, tail: int = 900) -> str:
        text = text.strip()  # keep the end of a traceback: the exception line is the informative part
        return text if len(text) <= head + tail else f"{text[:head]}\n[...]\n{text[-tail:]}"

    return "\n".join(f"- cell index {p['cell']} (0-based, all cells): {p['kind']}: {shorten(p['text'])}"
                     for p in problems)


# Widget interaction ----------------------------------------------------------------------------------
def choose_option(control: Any, wanted: list[str]) -> str:
    """Pick, in a selection widget, the first of ``wanted`` that is not already selected.

    Works for the ipywidgets selection views a person sees: ``Dropdown`` (a ``<select>``),
    ``ToggleButtons`` (buttons) and ``RadioButtons`` (labelled radio inputs).

    Parameters
    ----------
    control
        Playwright locator of the widget's root element (e.g. ``.daenr-layer``).
    wanted
        Option labels in order of preference; an option matches when it equals or contains one.

    Returns
    -------
    str
        The label of the option chosen.
    """
    def pick(labels: list[str], current: str | None) -> str:
        for want in wanted:
            for label in labels:
                if (label.strip() == want or want in label) and label != current:
                    return label
        raise LabError(f"none of {wanted} can be chosen among options {labels} (current {current!r})")

    select = control.locator("select")
    if select.count():
        labels = [t.strip() for t in select.first.locator("option").all_inner_texts()]
        current = select.first.evaluate("s => s.options[s.selectedIndex] ? "
                                        "s.options[s.selectedIndex].textContent.trim() : null")
        label = pick(labels, current)
        select.first.select_option(label=label)
        return label
    buttons = control.locator("button")
    if buttons.count():
        labels = [t.strip() for t in buttons.all_inner_texts()]
        pressed = control.locator("button.mod-active")
        current = pressed.first.inner_text().strip() if pressed.count() else None
        label = pick(labels, current)
        buttons.nth(labels.index(label)).click()
        return label
    radios = control.locator("label:has(input[type=radio])")
    if radios.count():
        labels = [t.strip() for t in radios.all_inner_texts()]
        checked = control.locator("label:has(input[type=radio]:checked)")
        current = checked.first.inner_text().strip() if checked.count() else None
        label = pick(labels, current)
        radios.nth(labels.index(label)).click()
        return label
    raise LabError("the control has no <select>, buttons or radio inputs: "
                   + control.first.evaluate("e => e.outerHTML.slice(0, 500)"))


def image_src(page: Any, css_class: str) -> str | None:
    """``src`` of the image shown by the widget with ``css_class`` (the img itself or one inside it)."""
    img = page.locator(f"img.{css_class}, .{css_class} img")
    return img.first.get_attribute("src") if img.count() else None


def wait_until(check: Any, timeout: float, interval: float = 0.25) -> Any:
    """Poll ``check()`` until it returns truthy or ``timeout`` seconds pass; returns the last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
