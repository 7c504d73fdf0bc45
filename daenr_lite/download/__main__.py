"""``python -m daenr_lite.download antolik2016 --dest DIR``."""
import sys

from .cli import main

sys.exit(main())
