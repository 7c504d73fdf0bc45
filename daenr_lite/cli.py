"""The ``daenr-lite`` command line.

Subcommands::

    daenr-lite run-notebooks [--quick|--full] [--output DIR] [--only 00,03] [--device auto|cpu|cuda]
                             [--seed N] [--dataset simulated|antolik2016] [--region R] [--notebooks DIR]
    daenr-lite download antolik2016 [--dest DIR] [--url URL | --archive ZIP] [--force]
    daenr-lite sync-notebooks [--notebooks DIR] [--only 00,03] [--no-execute]
    daenr-lite pretrain [--dataset simulated|antolik2016] [--regions 1 2 3] [--seeds 0 1 2] [--device auto]
                        [--output DIR] [--float16] [--no-table2] [--jobs N] [--scheduler ADDRESS]
                        [--lam 1e-4 1e-3 1e-2] [--layers 1 2 3 4]
    daenr-lite sweep-report FOLDER [--output DIR]
    daenr-lite make-student [--notebooks DIR] [--output DIR] [--path 90min|3x90|full]
    daenr-lite course [90min|3x90|full] [--fix] [--write docs/course.md]
    daenr-lite notebooks DEST [--student]
    daenr-lite info
"""
from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path
from typing import Sequence

__all__ = ["main", "build_parser"]


def _only_list(text: str) -> list[str]:
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items or not all(item.isdigit() for item in items):
        raise argparse.ArgumentTypeError(f"--only expects notebook numbers separated by commas, e.g. 00,03; got {text!r}")
    return [f"{int(item):02d}" for item in items]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expects a positive whole number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from .config import COURSE_PATHS, ZOO_SEEDS

    parser = argparse.ArgumentParser(
        prog="daenr-lite",
        description="DAE-NR teaching package: run the notebook series, download the real recordings.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"daenr-lite {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    run = sub.add_parser("run-notebooks", help="execute the notebook series into a run folder (HTML + summary)")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick", default=None,
                      help="short training, seconds per model (CI, or to watch training happen)")
    mode.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="the zoo's full training settings, training whatever is not stored yet (real data)")
    mode.add_argument("--pretrained", dest="mode", action="store_const", const="pretrained",
                      help="converged models from the shipped zoo, nothing trained (the default, or $DAENR_MODE)")
    run.add_argument("--output", type=Path, default=None, help="run folder (default: runs/<timestamp>/)")
    run.add_argument("--only", type=_only_list, default=None, help="notebook numbers to run, e.g. 00,03")
    run.add_argument("--device", default="auto", help="auto (CUDA/MPS when available), cpu, cuda, cuda:1, mps")
    run.add_argument("--seed", type=int, default=0, help="random seed for data splits and training (default 0)")
    run.add_argument("--dataset", choices=["simulated", "antolik2016"], default="simulated",
                     help="simulated V1 population (default) or the real recordings (download them first)")
    run.add_argument("--region", type=int, choices=[1, 2, 3], default=None,
                     help="recording region (default: each notebook's own, 1; notebook 05: 3, the paper's)")
    run.add_argument("--notebooks", type=Path, default=None, help="folder of NN_name.ipynb notebooks")
    run.add_argument("--no-html", dest="html", action="store_false", help="skip the HTML export")
    run.add_argument("--keep-going", action="store_true", help="run the remaining notebooks after a failure")
    run.add_argument("--threads", type=_positive_int, default=None,
                     help="torch threads per notebook kernel (default: $DAENR_THREADS if set, else 1)")

    download = sub.add_parser("download", help="download a real dataset (needs internet)")
    download.add_argument("dataset", choices=["antolik2016"], help="dataset to download")
    download.add_argument("--dest", type=Path, default=None,
                          help="target folder (default: the daenr-lite data folder, DAENR_DATA_DIR)")
    source = download.add_mutually_exclusive_group()
    source.add_argument("--url", default=None,
                        help="address of the S1 zip: a mirror's http(s)://, or a local copy as file:// or a path "
                        "(default: $DAENR_DOWNLOAD_URL if set, else the paper's DOI address)")
    source.add_argument("--archive", type=Path, default=None,
                        help="install from an S1 zip you downloaded by hand instead of downloading")
    download.add_argument("--force", action="store_true", help="download again even if a verified copy exists")

    sync = sub.add_parser("sync-notebooks", help="regenerate notebooks/*.ipynb from the paired .py files")
    sync.add_argument("--notebooks", type=Path, default=None, help="folder of NN_name.py notebooks (default ./notebooks)")
    sync.add_argument("--only", type=_only_list, default=None, help="notebook numbers, e.g. 00,03")
    sync.add_argument("--no-execute", dest="execute", action="store_false",
                      help="do not execute notebooks to refresh the outputs of NBVAL_CHECK_OUTPUT cells")

    pre = sub.add_parser("pretrain", help="train the paper's grid of models (resumable) with a manifest")
    pre.add_argument("--dataset", choices=["simulated", "antolik2016"], default="simulated",
                     help="simulated V1 population (default) or the real recordings (download them first)")
    pre.add_argument("--regions", type=int, nargs="+", choices=[1, 2, 3], default=[1, 2, 3], help="regions (default 1 2 3)")
    pre.add_argument("--seeds", type=int, nargs="+", default=list(ZOO_SEEDS), help="seeds (default: the zoo's, 0 1 2 3 4)")
    pre.add_argument("--device", default="auto", help="auto (CUDA/MPS when available), cpu, cuda, cuda:1, mps")
    pre.add_argument("--output", type=Path, default=None,
                     help="store folder (default: the user cache, <data folder>/models, which notebooks search)")
    pre.add_argument("--data-dir", type=Path, default=None, help="data folder (default: DAENR_DATA_DIR / the user cache)")
    pre.add_argument("--float16", action="store_true", help="store weights in float16 (half the size; the shipped zoo)")
    pre.add_argument("--no-verify", dest="verify", action="store_false",
                     help="antolik2016: skip the checksum check of the recordings (for your own copies)")
    pre.add_argument("--no-table2", dest="table2", action="store_false",
                     help="skip the region-3 Table 2 models (DAE-NR_i on only its (in)significant neurons)")
    pre.add_argument("--jobs", type=int, default=None,
                     help="worker processes of the dask LocalCluster that trains the grid's independent chains (default: "
                     "the available cores, at most 4, on CPU; 1 on a GPU; at most one per chain); 1 trains in this "
                     "process; any count trains the same models")
    pre.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="train on an existing dask cluster, e.g. tcp://login1:8786 (a dask-jobqueue SLURMCluster's "
                     "scheduler_address); its workers need no shared folder: the models come back here")
    pre.add_argument("--lam", dest="lams", type=float, nargs="+", default=None, metavar="LAMBDA",
                     help="a sweep: train every DAE-NR once per response weight, e.g. --lam 1e-4 1e-3 1e-2 "
                     "(default: the default 1e-3 only); `daenr-lite sweep-report DIR` summarises it")
    pre.add_argument("--layers", type=int, nargs="+", default=None, choices=[1, 2, 3, 4],
                     help="only the DAE-NR_i and probes of these mapping layers (default: 1 2 3 4)")

    sweep = sub.add_parser("sweep-report", help="a lambda sweep's table and figure (PSNR vs test r) from a store folder")
    sweep.add_argument("folder", type=Path, help="the store folder of `daenr-lite pretrain --lam ... --output FOLDER`")
    sweep.add_argument("--dataset", choices=["simulated", "antolik2016"], default="simulated")
    sweep.add_argument("--output", type=Path, default=None,
                       help="where sweep.md and sweep_psnr_test_r.png go (default: the store folder)")

    student = sub.add_parser("make-student", help="write student notebooks: what nbgrader generate_assignment releases")
    student.add_argument("--notebooks", type=Path, default=None, help="instructor notebooks (default ./notebooks)")
    student.add_argument("--output", type=Path, default=None, help="target folder (default notebooks/student; outside a checkout, where the "
                         "installed notebooks are used, ./student)")
    student.add_argument("--install-source", default=None,
                         help="what the notebooks' first cell pip-installs on a hosted Jupyter (e.g. Colab) without "
                         "daenr-lite: your course's git+https://... address or a wheel URL ($DAENR_LITE_SOURCE, "
                         "where set, wins)")
    student.add_argument("--path", default=None, choices=list(COURSE_PATHS),
                         help="hand out one course path (docs/course.md): only its notebooks, each section marked "
                         "with what to do or skip and the time so far (default: the full series; the output "
                         "folder then defaults to notebooks/student_<path>)")

    course = sub.add_parser("course", help="the course paths: sections, timings and sessions (docs/course.md)")
    course.add_argument("path", nargs="?", default=None, choices=list(COURSE_PATHS),
                        help="one path (default: all of them)")
    course.add_argument("--notebooks", type=Path, default=None, help="instructor notebooks (default ./notebooks, "
                        "else the installed ones)")
    course.add_argument("--fix", action="store_true", help="rewrite the 'min so far' totals of the notebooks' "
                        "section markers after changing a section's minutes")
    course.add_argument("--write", type=Path, default=None, metavar="DOC",
                        help="rewrite the generated part of DOC (docs/course.md): the paths and instructor notes")

    nbs = sub.add_parser("notebooks", help="copy the notebooks that ship with daenr-lite into a folder")
    nbs.add_argument("dest", type=Path, help="folder to copy them into (created if needed; nothing is overwritten)")
    nbs.add_argument("--student", action="store_true",
                     help="the student versions (exercises to solve) instead of the instructor notebooks")

    sub.add_parser("info", help="print versions and the compute device")
    return parser


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from .bundled import copy_notebooks

    try:
        copy_notebooks(args.dest, student=args.student)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"open them with: jupyter lab {args.dest}")
    return 0


def _cmd_run_notebooks(args: argparse.Namespace) -> int:
    from .runner import run_notebooks

    try:
        series = run_notebooks(
            mode=args.mode, output_dir=args.output, only=args.only, device=args.device, seed=args.seed,
            dataset=args.dataset, region=args.region, notebooks_dir=args.notebooks, html=args.html,
            stop_on_error=not args.keep_going, threads=args.threads,
        )
    except (OSError, ValueError) as exc:  # missing/unusable folders, bad options: one line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; the run folder's summary.json marks the run as unfinished (ok: false).",
              file=sys.stderr)
        return 130
    print()
    print(series.table())
    print(f"\nexecuted notebooks, HTML and summary.json in {series.output_dir}")
    if not series.ok:
        failure = series.failure
        if failure is not None:
            print("\nerror: " + failure.describe(), file=sys.stderr)
        return 1
    return 0


def _cmd_download(args: argparse.Namespace) -> int:
    from .download import download_antolik2016

    try:
        path = download_antolik2016(args.dest, force=args.force, archive=args.archive, url=args.url)
    except KeyboardInterrupt:
        print("error: download interrupted; any existing copy was left untouched. Run it again.", file=sys.stderr)
        return 130
    except Exception as exc:  # network / checksum / disk problems: say what happened, exit non-zero
        print(f"error: download failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"antolik2016 recordings ready in {path}")
    return 0


def _cmd_sync(args: argparse.Namespace) -> int:
    from .pairing import sync_notebooks

    try:
        sync_notebooks(args.notebooks, only=args.only, execute_checked=args.execute)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _cmd_pretrain(args: argparse.Namespace) -> int:
    from .training import get_device
    from .zoo import pretrain
    from .zoo.distributed import ChainFailed
    from .zoo.pretrain import auto_jobs

    try:
        device = get_device(args.device)
        jobs = auto_jobs(device) if args.jobs is None else args.jobs
        store = pretrain(args.dataset, regions=args.regions, seeds=args.seeds, output=args.output, device=device,
                         data_dir=args.data_dir, float16=args.float16, table2=args.table2, jobs=jobs,
                         scheduler=args.scheduler, lams=args.lams, layers=args.layers,
                         dataset_options=None if args.dataset == "simulated" else {"verify": args.verify})
    except (OSError, ValueError, LookupError) as exc:  # missing data, unwritable folder, bad option
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ChainFailed as exc:  # some chains raised; the others are stored
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; finished models are kept, run the same command again to resume.", file=sys.stderr)
        return 130
    from .zoo.pretrain import log_summary

    trained, stored = log_summary(store.log)
    print(f"{trained} model(s) trained, {stored} already there; manifest: "
          f"{store.cache_dir / 'manifest.json'}")
    return 0


def _cmd_sweep_report(args: argparse.Namespace) -> int:
    from .zoo.sweep import write_sweep_report

    try:
        markdown, figure = write_sweep_report(args.folder, args.output, dataset=args.dataset)
    except (OSError, ValueError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"sweep report: {markdown} (figure {figure})")
    return 0


def _instructor_notebooks(notebooks: str | Path | None) -> tuple[Path, bool]:
    """The instructor notebooks a command works on and whether they are the installed package's.

    ``--notebooks`` when given, else ``./notebooks`` of a checkout (it holds ``NN_name.py`` files), else the
    notebooks that ship with the package (FileNotFoundError, with the fix, where none ship).
    """
    if notebooks is not None:
        return Path(notebooks), False
    checkout = Path.cwd() / "notebooks"
    if any(checkout.glob("[0-9][0-9]_*.py")):
        return checkout, False
    from .bundled import bundled_notebooks_dir

    return bundled_notebooks_dir(), True


def _cmd_make_student(args: argparse.Namespace) -> int:
    from .student import make_student

    output = args.output
    try:
        notebooks, bundled = _instructor_notebooks(args.notebooks)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if bundled and output is None:
        # outside a checkout the student notebooks go to ./student, never into the installed package
        output = Path("student" if args.path in (None, "full") else f"student_{args.path}")
    try:
        written = make_student(notebooks, output, echo=None, install_source=args.install_source,
                               path=args.path)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(written) // 2} student notebooks to {written[0].parent}")
    return 0


def _cmd_course(args: argparse.Namespace) -> int:
    from .config import COURSE_PATHS
    from .course import check_markers, fix_markers, format_plan

    try:
        notebooks, _bundled = _instructor_notebooks(args.notebooks)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sources = sorted(p for p in Path(notebooks).glob("[0-9][0-9]_*.py"))
    if not sources:
        print(f"error: no NN_name.py notebooks in {notebooks}; pass --notebooks.", file=sys.stderr)
        return 2
    if args.fix:
        for source in sources:
            if fix_markers(source):
                print(f"rewrote the running totals of {source.name}; run `daenr-lite sync-notebooks` next")
    problems = [f"{source.name}: {problem}" for source in sources for problem in check_markers(source)]
    if problems:
        print("error: " + problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
              file=sys.stderr)
        return 2
    if args.write is not None:
        from .course import write_course_doc

        changed = write_course_doc(args.write, notebooks)
        print(f"{'rewrote' if changed else 'up to date:'} {args.write}")
        return 0
    try:
        for name in [args.path] if args.path else list(COURSE_PATHS):
            print(format_plan(name, notebooks))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _cmd_info(_args: argparse.Namespace) -> int:
    from importlib.metadata import PackageNotFoundError, version

    import daenr_lite

    lines = {"daenr-lite": daenr_lite.__version__, "python": platform.python_version(), "platform": platform.platform()}
    for package in ("torch", "numpy", "matplotlib", "ipywidgets", "jupyterlab", "papermill", "jupytext"):
        try:
            lines[package] = version(package)
        except PackageNotFoundError:
            lines[package] = "not installed"
    try:
        import torch

        lines["cuda available"] = str(torch.cuda.is_available())
        if torch.cuda.is_available():
            lines["cuda device"] = torch.cuda.get_device_name(0)
        mps = getattr(torch.backends, "mps", None)
        lines["mps available"] = str(bool(mps and mps.is_available()))
        try:
            lines["default device"] = str(daenr_lite.get_device())
        except Exception as exc:  # training module missing or broken: still print the rest
            lines["default device"] = f"unknown ({type(exc).__name__}: {exc})"
        try:
            from .threads import available_cores, thread_policy

            lines["cpu cores available"] = str(available_cores())
            lines["torch threads"] = str(thread_policy())
        except Exception as exc:  # e.g. DAENR_THREADS=abc: say so, still print the rest
            lines["torch threads"] = f"unknown ({exc})"
    except ImportError:
        pass
    try:
        lines["data folder"] = str(daenr_lite.default_data_dir())
    except Exception as exc:
        lines["data folder"] = f"unknown ({type(exc).__name__})"
    lines.update(_setup_lines())
    width = max(len(k) for k in lines)
    for key, value in lines.items():
        print(f"{key.ljust(width)}  {value}")
    return 0


def _setup_lines() -> dict[str, str]:
    """What the notebooks would use now: mode, model cache and the shipped zoo (each line survives a bad setting)."""
    import os

    lines: dict[str, str] = {}
    try:
        from .config import MODE_ENV, parse_mode

        lines["mode"] = parse_mode(None) + (f" (from ${MODE_ENV})" if os.environ.get(MODE_ENV, "").strip() else
                                            " (the default; set $DAENR_MODE or pass --quick/--full)")
    except ValueError as exc:  # e.g. DAENR_MODE=fast
        lines["mode"] = f"unknown ({exc})"
    try:
        from .zoo.store import MANIFEST, MODEL_CACHE_ENV, SHIPPED_ZOO_DIR, default_cache_dir

        cache = default_cache_dir()
        lines["model cache"] = f"{cache}{f' (from ${MODEL_CACHE_ENV})' if os.environ.get(MODEL_CACHE_ENV, '').strip() else ''}" \
            + ("" if cache.is_dir() else " (not created yet)")
        try:
            import json

            manifest = json.loads((SHIPPED_ZOO_DIR / MANIFEST).read_text(encoding="utf-8"))
            zoo = f"{SHIPPED_ZOO_DIR} ({len(manifest.get('models', {}))} models, model code version " \
                  f"{manifest.get('model_code_version', '?')})"
        except (OSError, ValueError, AttributeError) as exc:
            zoo = f"{SHIPPED_ZOO_DIR} (unreadable: {type(exc).__name__}; reinstall daenr-lite)"
        lines["zoo"] = zoo
    except Exception as exc:  # a broken install: still print the rest
        lines["zoo"] = f"unknown ({type(exc).__name__}: {exc})"
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``daenr-lite`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    handlers = {
        "run-notebooks": _cmd_run_notebooks,
        "download": _cmd_download,
        "sync-notebooks": _cmd_sync,
        "pretrain": _cmd_pretrain,
        "sweep-report": _cmd_sweep_report,
        "make-student": _cmd_make_student,
        "course": _cmd_course,
        "info": _cmd_info,
        "notebooks": _cmd_notebooks,
    }
    return handlers[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
