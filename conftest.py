"""Repo-wide pytest setup, shared by tests/ and the nbval run over notebooks/.

Notebook kernels inherit this process's environment, so setting the variables here makes every
notebook run headless and against one shared data cache. nbval runs the notebooks in quick mode
(``DAENR_MODE=quick``: short training, the models cached for the next notebook); the papermill tests in
``tests/test_notebooks.py`` run them in the default pretrained mode (``run_notebooks`` sets the mode for
its kernels), so each notebook runs once per mode.
"""
import os
import tempfile

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("DAENR_MODE", "quick")
os.environ.setdefault("DAENR_DATA_DIR", os.path.join(tempfile.gettempdir(), "daenr-lite-test-cache"))

# the student notebooks (exercises unsolved) are executed by tests/test_student.py, not by nbval
collect_ignore_glob = ["notebooks/student/*", "notebooks/student_*/*"]  # student_<path>: make-student --path
