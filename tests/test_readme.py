"""Every command and code block in README's set-up sections runs as written.

The blocks are parsed from README.md (sections listed in SECTIONS), split into commands, and each command is
checked by the checker for its program: run for real where that is quick and offline (``git clone`` of this
checkout, ``python -m venv``, ``daenr-lite info``, the Python API example with a one-epoch ``fit``), parsed
by the program's own argument parser where a real run is too long or needs the internet (``pip install``,
``daenr-lite run-notebooks``, ``pytest``: collected, not run), or checked against the files they name
(``conda``, ``jupyter lab``). A command with no checker fails the test, so a new README command needs one.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
SECTIONS = ("Quickstart", "On a shared server", "Running the tests")
PLACEHOLDER_URL = "REPOSITORY-URL"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


@dataclass
class Block:
    section: str
    language: str
    code: str
    line: int  # line number of the opening fence in README.md

    def __str__(self) -> str:
        return f"README.md line {self.line} ({self.section}, {self.language})"


def section_text(text: str, title: str) -> tuple[str, int]:
    match = re.search(rf"^## {re.escape(title)}\s*$", text, flags=re.M)
    assert match, f"README has no '## {title}' section"
    end = re.search(r"^## ", text[match.end():], flags=re.M)
    body = text[match.start(): match.end() + (end.start() if end else len(text))]
    return body, text[: match.start()].count("\n") + 1


def readme_blocks(text: str, sections=SECTIONS) -> list[Block]:
    blocks = []
    for title in sections:
        body, first_line = section_text(text, title)
        for match in re.finditer(r"^```(\w*)\n(.*?)^```", body, flags=re.M | re.S):
            line = first_line + body[: match.start()].count("\n")
            blocks.append(Block(title, match.group(1) or "text", match.group(2), line))
    return blocks


def shell_commands(code: str) -> list[list[str]]:
    """Lines split into words (comments dropped), and ``a && b`` into separate commands."""
    commands = []
    for line in code.splitlines():
        words = shlex.split(line, comments=True)
        current: list[str] = []
        for word in words + ["&&"]:
            if word == "&&":
                if current:
                    commands.append(current)
                current = []
            else:
                current.append(word)
    return commands


# ------------------------------------------------------------------------------------------- checkers
class Shell:
    """Checks README shell commands in order, in a scratch folder standing in for the user's machine."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.cwd = scratch
        self.venv: Path | None = None
        self.env_names = _environment_names()
        self.done: set[tuple[str, ...]] = set()

    def check(self, words: list[str]) -> None:
        if tuple(words) in self.done and words[0] != "cd":  # e.g. the test command, shown twice
            return
        self.done.add(tuple(words))
        program = words[0]
        if program in ("python", "python3") and words[1:3] == ["-m", "pip"]:
            return self.pip(words[3:])
        if program in ("python", "python3") and words[1:3] == ["-m", "venv"]:
            return self.venv_create(words[3:])
        if program in ("python", "python3") and words[1:3] == ["-m", "pytest"]:
            return self.pytest(words[3:])
        if program in ("python", "python3") and len(words) > 1 and words[1].endswith(".py"):
            return self.script(words[1:])
        handler = {"git": self.git, "cd": self.cd, "source": self.source, "daenr-lite": self.daenr_lite,
                   "conda": self.conda, "jupyter": self.jupyter, "export": self.export}.get(program)
        if handler is None:
            raise AssertionError(f"no checker for README command {shlex.join(words)!r}; add one to tests/test_readme.py")
        handler(words[1:])

    def git(self, args: list[str]) -> None:
        assert args[:1] == ["clone"] and len(args) == 3, f"unexpected git command: git {shlex.join(args)}"
        url, target = args[1], args[2]
        assert url == PLACEHOLDER_URL, f"git clone of {url!r}: README explains the placeholder {PLACEHOLDER_URL}"
        # the real clone, offline: from this checkout instead of the remote (a copy if it is no git checkout)
        if (REPO / ".git").exists():
            subprocess.run(["git", "clone", "-q", str(REPO), str(self.cwd / target)], check=True, timeout=120)
        else:
            shutil.copytree(REPO, self.cwd / target, ignore=shutil.ignore_patterns(".venv", "runs", "__pycache__"))

    def cd(self, args: list[str]) -> None:
        target = (self.cwd / args[0]).resolve()
        assert target.is_dir(), f"cd {args[0]}: no such folder"
        self.cwd = target
        assert (target / "pyproject.toml").is_file(), "cd into the clone: it has no pyproject.toml"

    def venv_create(self, args: list[str]) -> None:
        assert args == [".venv"], f"python -m venv {shlex.join(args)}"
        self.venv = self.cwd / ".venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(self.venv)], check=True, timeout=120)

    def source(self, args: list[str]) -> None:
        assert self.venv is not None, "source before python -m venv"
        script = (self.cwd / args[0]).resolve()
        if os.name == "nt":  # Windows: README says .venv\Scripts\activate; the POSIX path is the one shown
            script = self.venv / "Scripts" / "activate"
        assert script.is_file(), f"source {args[0]}: the new virtual environment has no such script"

    def pip(self, args: list[str]) -> None:
        from pip._internal.commands import create_command

        assert args[:1] == ["install"], f"pip {shlex.join(args)}"
        options, targets = create_command("install").parse_args(args[1:])  # exits on an unknown option
        extras_available = _extras()
        for editable in options.editables:
            path, _, extras = editable.partition("[")
            assert (self.cwd / path / "pyproject.toml").is_file(), f"pip install -e {editable}: no project there"
            for extra in filter(None, extras.rstrip("]").split(",")):
                assert extra in extras_available, f"pip install -e {editable}: no extra {extra!r} in pyproject.toml"
        if "--index-url" in args:
            assert options.index_url == CPU_INDEX, f"unexpected index {options.index_url}"
        assert all(re.fullmatch(r"[A-Za-z0-9_.-]+([<>=!~]=?[0-9.]+)?", t) for t in targets), targets

    def pytest(self, args: list[str]) -> None:
        result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                                 *args], cwd=self.cwd, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"pytest {shlex.join(args)} does not collect:\n{result.stdout[-3000:]}"

    def script(self, args: list[str]) -> None:
        path = self.cwd / args[0]
        assert path.is_file(), f"python {args[0]}: no such file"
        result = subprocess.run([sys.executable, str(path), "--help"], cwd=self.cwd, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, f"python {args[0]} --help failed:\n{result.stderr[-2000:]}"
        for option in (a.split("=")[0] for a in args[1:] if a.startswith("--")):
            assert option in result.stdout, f"python {shlex.join(args)}: {args[0]} has no option {option}"

    def daenr_lite(self, args: list[str]) -> None:
        from daenr_lite import cli

        try:
            cli.build_parser().parse_args(args)
        except SystemExit as exc:
            raise AssertionError(f"daenr-lite {shlex.join(args)}: rejected by the CLI's parser") from exc
        if args == ["info"]:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                assert cli.main(args) == 0
            assert "torch threads" in out.getvalue()
        for value in (a for a in args if a.startswith(("runs/", "notebooks/"))):
            assert value.startswith("runs/") or (self.cwd / value).exists(), value

    def conda(self, args: list[str]) -> None:
        import yaml

        environment = yaml.safe_load((self.cwd / "environment.yml").read_text())
        if args[:2] == ["env", "create"]:
            assert args[2:] == ["-f", "environment.yml"], args
        else:
            assert args == ["activate", environment["name"]], f"conda {shlex.join(args)}: the environment is {environment['name']}"

    def jupyter(self, args: list[str]) -> None:
        assert args[0] == "lab" and importlib.util.find_spec("jupyterlab") is not None, "jupyter lab is not installed"
        assert all((self.cwd / a).exists() for a in args[1:]), f"jupyter {shlex.join(args)}: no such path"

    def export(self, args: list[str]) -> None:
        from daenr_lite.threads import parse_threads

        name, _, value = args[0].partition("=")
        assert name in self.env_names, f"export {name}: daenr-lite never reads {name}"
        if name == "DAENR_THREADS":
            parse_threads(value)


def _environment_names() -> set[str]:
    names = set()
    for path in [*REPO.glob("daenr_lite/**/*.py"), *REPO.glob("tests/**/*.py"), REPO / "conftest.py"]:
        if path.name == Path(__file__).name:
            continue  # this file names wrong variables on purpose
        names.update(re.findall(r"\b(DAENR_[A-Z_]+)\b", path.read_text(encoding="utf-8")))
    return names


def _extras() -> set[str]:
    text = (REPO / "pyproject.toml").read_text()
    section = text.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^([A-Za-z0-9_-]+)\s*=", section, flags=re.M))


def check_python_block(code: str) -> str:
    """Run a README Python block with ``fit`` limited to one epoch (the real one trains for a minute)."""
    import daenr_lite
    from daenr_lite.training import fit as real_fit

    def one_epoch_fit(model, dataset, config=None, **overrides):
        overrides["max_epochs"], overrides["progress"] = 1, False
        return real_fit(model, dataset, config, **overrides)

    saved = daenr_lite.__dict__.get("fit")
    daenr_lite.fit = one_epoch_fit
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    finally:
        if saved is None:
            del daenr_lite.fit
        else:
            daenr_lite.fit = saved
    return out.getvalue()


# ------------------------------------------------------------------------------------------- tests
BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def test_the_setup_sections_have_their_blocks():
    languages = [(b.section, b.language) for b in BLOCKS]
    assert ("Quickstart", "python") in languages and ("On a shared server", "bash") in languages
    assert sum(lang == "bash" for _, lang in languages) >= 6


@pytest.mark.slow
def test_every_shell_block_runs_as_written(tmp_path):
    shell = Shell(tmp_path)
    for block in (b for b in BLOCKS if b.language == "bash"):
        for words in shell_commands(block.code):
            try:
                shell.check(words)
            except AssertionError as exc:
                raise AssertionError(f"{block}: {shlex.join(words)}\n{exc}") from None
    assert shell.venv is not None and shell.cwd.name == "daenr-lite"


@pytest.mark.slow
@pytest.mark.parametrize("block", [b for b in BLOCKS if b.language == "python"], ids=str)
def test_every_python_block_runs(block):
    out = check_python_block(block.code)
    if "evaluate(" in block.code:
        assert "'psnr'" in out and "'test_corr'" in out


def test_a_broken_readme_block_fails_the_checks(tmp_path):
    text = README.read_text(encoding="utf-8")
    broken_text, n = re.subn(r"^daenr-lite info\b", "daenr-lite infos", text, count=1, flags=re.M)
    assert n == 1
    broken = readme_blocks(broken_text)
    shell = Shell(tmp_path)
    shell.cwd = REPO
    with pytest.raises(AssertionError, match="rejected by the CLI's parser"):
        for block in broken:
            if block.language == "bash":
                for words in shell_commands(block.code):
                    if words[0] == "daenr-lite":
                        shell.check(words)
    with pytest.raises(AssertionError, match="no checker"):
        shell.check(["rm", "-rf", "runs"])
    with pytest.raises(AssertionError, match="no extra 'labs'"):
        shell.check(["python", "-m", "pip", "install", "-e", ".[labs]"])
    with pytest.raises(AssertionError, match="never reads"):
        shell.check(["export", "DAENR_THREAD=1"])
    with pytest.raises(ValueError, match="mapping_layr"):
        check_python_block('from daenr_lite import build_model, load_dataset\n'
                           'build_model("dae_nr", load_dataset("simulated", region=1), mapping_layr=2)')


def test_environment_yml_and_pyproject_agree_on_python():
    import yaml

    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    conda_python = next(d for d in environment["dependencies"] if isinstance(d, str) and d.startswith("python"))
    requires = re.search(r'^requires-python\s*=\s*"([^"]+)"', (REPO / "pyproject.toml").read_text(), flags=re.M)
    assert conda_python.replace("python", "", 1).strip() == requires.group(1)


def test_readme_stays_a_guide():
    """Reference material lives in docs/; the README stays short enough to read (at most 15 KB)."""
    size = len(README.read_bytes())
    assert size <= 15_000, f"README.md is {size} bytes; move reference material to docs/ (limit 15,000)"
