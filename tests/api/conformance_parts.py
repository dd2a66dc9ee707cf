"""The operations of the optional parts (a city's money, plan and tasks; expenditure and its
review), exercised for the schema conformance walk (``test_schema_conformance``): successes
and refusals, each checked against the document by the walk's ``check``."""

from __future__ import annotations

from typing import Any


def exercise_parts(check: Any, *, city: Any, official: Any, reviewer: Any, other: Any) -> None:
    """``city`` is the official's participation; ``other`` another city's official's client."""
    own = f"/api/v1/participations/{city.pk}/"
    check(official, "get", "/api/v1/participations/{id}/money/", 200, own + "money/")
    check(other, "get", "/api/v1/participations/{id}/money/", 404, own + "money/")
    plan = "/api/v1/participations/{id}/plan/"
    # The walk's mid-term run is finalised by now: 2021 is closed, 2022 open.
    check(official, "put", plan, 200, own + "plan/", {"year": 2022, "planned": "3000.00"})
    check(official, "put", plan, 409, own + "plan/", {"year": 2021, "planned": "2000.00"})
    check(official, "put", plan, 400, own + "plan/", {"year": 2019, "planned": "3000.00"})
    tasks = "/api/v1/participations/{id}/tasks/"
    check(official, "get", tasks, 200, own + "tasks/")
    check(official, "put", tasks, 200, own + "tasks/", {"chosen": []})
    check(official, "put", tasks, 400, own + "tasks/", {"chosen": ["nonesuch"]})

    entry = {"participation": city.pk, "period": "2022-05", "amount": "10.00", "evidence": "v"}
    check(official, "get", "/api/v1/expenditure/", 200)
    made = check(official, "post", "/api/v1/expenditure/", 201, data=entry).json()
    check(official, "post", "/api/v1/expenditure/", 400, data={**entry, "amount": "x"})
    detail = "/api/v1/expenditure/{id}/"
    url = f"/api/v1/expenditure/{made['id']}/"
    check(official, "get", detail, 200, url)
    check(other, "get", detail, 404, url)
    check(official, "post", detail + "submit/", 200, url + "submit/", {})
    check(official, "post", "/api/v1/expenditure/", 409, data=entry)
    check(official, "post", detail + "approve/", 403, url + "approve/")
    check(reviewer, "post", detail + "return/", 400, url + "return/", {"comment": ""})
    check(reviewer, "post", detail + "return/", 200, url + "return/", {"comment": "voucher?"})
    check(official, "post", detail + "submit/", 200, url + "submit/", {})
    check(reviewer, "post", detail + "approve/", 200, url + "approve/")
    check(reviewer, "post", detail + "reopen/", 200, url + "reopen/", {"reason": "a typo"})
