"""The browsable API, without the HTML forms DRF builds from a view's serializer.

Those forms render every related object as a choice (every city's participation on the reports
page, to any official), and they describe the response, not the request a write takes. The
raw-data form (JSON in a text box) stays, and the filter form lists only what the user may see
(``evaluation.api.filters``).
"""

from __future__ import annotations

from typing import Any

from rest_framework import renderers
from rest_framework.request import Request


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    def get_rendered_html_form(
        self, data: Any, view: Any, method: str, request: Request
    ) -> str | None:
        return None
