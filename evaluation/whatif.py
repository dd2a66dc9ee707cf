"""What a draft ruleset would do (what-if): every city of the programme scored under the
published ruleset and under the draft, on the inputs an evaluation at the date would read, by
the pure core (``scoring.whatif``). A read: nothing is stored as a run and no ruleset is
frozen. The reports app keeps the comparison as a document and runs this on the workers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.contrib.auth.models import AnonymousUser, User

from evaluation.access import require_reviewer
from evaluation.models import Ruleset
from evaluation.scoring.digest import canonical_decimal
from evaluation.scoring.whatif import RulesetComparison, compare_rulesets
from evaluation.selectors import evaluation_inputs, programme_spec, ruleset_current, ruleset_spec


def draft_compare(
    *,
    draft: Ruleset,
    as_of: dt.date,
    fetched_by: User | AnonymousUser | None,
    published: Ruleset | None = None,
) -> RulesetComparison:
    """``draft`` against ``published`` (by default the programme's current ruleset), every
    city, as of ``as_of``. Reviewers (or the system, ``fetched_by=None``: the worker that runs
    it for one). Raises the core's ``EvaluationError`` when the draft is not a usable ruleset
    or nothing has elapsed."""
    if fetched_by is not None:
        require_reviewer(fetched_by)
    programme = draft.programme
    published = published or ruleset_current(programme=programme)
    cities, _ = evaluation_inputs(programme=programme, as_of=as_of)
    return compare_rulesets(
        programme=programme_spec(programme=programme),
        published=ruleset_spec(ruleset=published),
        draft=ruleset_spec(ruleset=draft),
        as_of=as_of,
        cities=cities,
    )


def ruleset_digest(*, ruleset: Ruleset) -> str:
    """A digest of what a ruleset scores with (its rules and bands), so a comparison can tell
    that its draft was edited since."""
    spec = ruleset_spec(ruleset=ruleset)
    text = json.dumps(
        {
            "indicators": [
                [r.indicator, r.kind, canonical_decimal(r.floor), canonical_decimal(r.weight)]
                for r in spec.indicators
            ],
            "bands": sorted(
                [b.grade, canonical_decimal(b.min_score), canonical_decimal(b.release_share)]
                for b in spec.bands
            ),
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()
