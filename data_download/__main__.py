"""``python -m data_download antolik2016 --dest DIR``."""
import sys

from .cli import main

sys.exit(main())
