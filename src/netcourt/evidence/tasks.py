"""The evidence timers: uploads abandoned past their expiry are removed."""

from __future__ import annotations

from netcourt.core import jobs
from netcourt.evidence.actions import sweep_uploads

jobs.every_tick(sweep_uploads)
