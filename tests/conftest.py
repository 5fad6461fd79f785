"""Suite-wide rules: no socket to any non-loopback address, models loaded from disk only."""

from __future__ import annotations

import os

from litsynth.sources.netguard import guard_for_tests

# Set before any test imports sentence-transformers/transformers: no model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

guard_for_tests()
