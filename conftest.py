"""Repo-wide pytest setup, shared by tests/ and the nbval run over notebooks/.

Notebook kernels inherit this process's environment, so setting the variables here makes every
notebook (papermill or nbval) run headless, in quick mode, and against one shared data cache.
"""
import os
import tempfile

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("DAENR_QUICK", "1")
os.environ.setdefault("DAENR_DATA_DIR", os.path.join(tempfile.gettempdir(), "daenr-lite-test-cache"))
