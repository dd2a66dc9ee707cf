"""The tasks are registered in any process that loads Django (web, commands), not only in
workers: the outbox sends them by name. Checked in a fresh interpreter, where no test module
has imported them first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_web_process_knows_every_task_by_name():
    code = (
        "import django; django.setup()\n"
        "from config.celery import app\n"
        "names = sorted(n for n in app.tasks if n.startswith('evaluation.'))\n"
        "print(','.join(names))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert set(out.split(",")) >= {
        "evaluation.tasks.run_evaluation",
        "evaluation.tasks.evaluate_chunk",
        "evaluation.tasks.notify_reviewers",
        "evaluation.tasks.notify_officials",
        "evaluation.tasks.send_city_reminder",
        "evaluation.tasks.dispatch_outbox",
        "evaluation.tasks.run_midterm_evaluation",
        "evaluation.tasks.run_provisional_evaluations",
        "evaluation.tasks.send_report_reminders",
        "evaluation.tasks.sweep_evaluation_runs",
        "evaluation.tasks.send_rectification_reminders",
    }
