"""Every admin page in Chinese, as a reviewer who reads only Chinese sees it: the index, every
registered model's list, the pages of its objects and their history, and the custom pages
(the sign-off confirmation, the override, starting a provisional run). Visible text holds no
English word and no indicator code; what must stay is allowed by name below (the records'
own English fields, codes and digests, the login of someone with no name)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from django.contrib import admin
from django.test import Client

from evaluation.models import City, Indicator, Programme, Ruleset, TrancheDecision
from tests.admin.conftest import logged_in
from tests.story import Story, tell

pytestmark = [pytest.mark.django_db, pytest.mark.chinese]

# Pages whose subject is the English text or the code itself: the catalogue of indicators
# (where the code, the English name and unit words are edited), a city's page and list (its
# English name and province are its record), the people's pages (logins).
ENGLISH_RECORDS = (
    "/admin/evaluation/indicator/",
    "/admin/auth/",
    "/admin/evaluation/city/",
)
# Words that stay as they are: formats and abbreviations the Chinese pages use too, the time
# zone's setting, and Django's own visually hidden table headers for screen readers.
ALLOWED = {
    "PDF",
    "CSV",
    "XLSX",
    "Excel",
    "API",
    "ID",
    "YYYY",
    "MM",
    "DD",
}
HIDDEN = re.compile(
    r'<(script|style|template)\b.*?</\1>|<[^>]*class="[^"]*(visually-hidden|hidden)[^"]*"[^>]*>.*?</[^>]+>',
    re.S,
)


@pytest.fixture
def story(programme, django_capture_on_commit_callbacks) -> Story:
    return tell(programme, django_capture_on_commit_callbacks)


def visible(content: str) -> str:
    text = HIDDEN.sub(" ", content)
    # The language switch names each language in its own words (English).
    text = re.sub(r'<option value="en"[^>]*>English</option>', " ", text)
    # Digests and the names of files loaded stay as they are.
    text = re.sub(r"\b[0-9a-f]{16,}\b", " ", text)
    text = re.sub(r"[\w.-]+\.(csv|xlsx|pdf)\b", " ", text)
    # What the reader sees: text between tags, and the words on buttons and in placeholders.
    text = re.sub(r'<input[^>]*type="(submit|button)"[^>]*value="([^"]*)"[^>]*>', r" \2 ", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", html.unescape(text))


def data_words(story: Story) -> set[str]:
    """The records' English fields and logins, which stay as stored. A programme's name and
    release basis and a ruleset's notes are texts an administrator typed (the shipped ones in
    English, as the notices were quoted): the configuration pages show and edit them as they
    are, like a city's English name; their labels, help texts and choices are in Chinese."""
    words: set[str] = set()
    for city in City.objects.all():
        words |= set(re.findall(r"[A-Za-z]+", f"{city.name_en} {city.province}"))
    for programme in Programme.objects.all():
        words |= set(re.findall(r"[A-Za-z]+", f"{programme.name} {programme.release_basis}"))
    for notes in Ruleset.objects.values_list("notes", flat=True):
        words |= set(re.findall(r"[A-Za-z]+", notes))
    for user in (story.reviewer, story.signer, story.official, story.administrator):
        shown = f"{user.get_username()} {user.get_full_name()}"
        words |= set(re.findall(r"[A-Za-z]+", shown))
    return words


def urls(story: Story) -> Iterator[str]:
    yield "/admin/"
    yield "/admin/evaluation/"
    yield "/admin/evaluation/evaluationrun/start-provisional/"
    for model, _model_admin in admin.site._registry.items():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        yield base
        for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:1]:
            yield f"{base}{pk}/change/"
            yield f"{base}{pk}/history/"


def english_on(client: Client, url: str, allowed: set[str], codes: set[str]) -> list[str]:
    response = client.get(url, follow=True)
    if response.status_code in (403, 404):
        return []  # not the reviewer's page
    assert response.status_code == 200, url
    text = visible(response.content.decode())
    found = []
    for word in re.findall(r"[A-Za-z][A-Za-z_]+", text):
        if word in codes or (len(word) > 2 and word not in allowed and word.upper() != word):
            found.append(word)
    return found


def test_every_admin_page_reads_in_chinese(story):
    client = logged_in(story.signer)
    codes = set(Indicator.objects.values_list("code", flat=True))
    allowed = ALLOWED | data_words(story)
    offending = {}
    for url in urls(story):
        if url.startswith(ENGLISH_RECORDS) and url != "/admin/evaluation/city/":
            continue
        found = english_on(client, url, allowed, codes)
        if found:
            offending[url] = sorted(set(found))[:12]
    # The sign-off pages, which only a POST shows.
    pending = TrancheDecision.objects.filter(city_result__run=story.provisional)
    for action in ("confirm", "override"):
        response = client.post(
            "/admin/evaluation/tranchedecision/",
            {"action": action, "_selected_action": [pending.first().pk]},
        )
        text = visible(response.content.decode())
        found = [
            w
            for w in re.findall(r"[A-Za-z][A-Za-z_]+", text)
            if w in codes or (len(w) > 2 and w not in allowed and w.upper() != w)
        ]
        if found:
            offending[action] = sorted(set(found))
    if offending:
        pytest.fail("English on the Chinese pages: " + repr(offending))


def test_the_configuration_pages_read_in_chinese_to_their_administrator(story):
    """A programme's and a ruleset's pages as the administrator who edits them sees them: the
    form's labels, help texts and choices, and the ruleset's inlines (rules, grade bands, tasks)
    with every indicator to choose by its name and unit, not its code; and the add pages."""
    client = logged_in(story.administrator)
    codes = set(Indicator.objects.values_list("code", flat=True))
    allowed = ALLOWED | data_words(story)
    programme, ruleset = Programme.objects.order_by("pk").first(), story.provisional.ruleset
    pages = [
        f"/admin/evaluation/programme/{programme.pk}/change/",
        f"/admin/evaluation/programme/{programme.pk}/history/",
        "/admin/evaluation/programme/add/",
        f"/admin/evaluation/ruleset/{ruleset.pk}/change/",
        f"/admin/evaluation/ruleset/{ruleset.pk}/history/",
        "/admin/evaluation/ruleset/add/",
    ]
    offending = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        found = english_on(client, url, allowed, codes)
        if found:
            offending[url] = sorted(set(found))
    if offending:
        pytest.fail("English on the configuration pages: " + repr(offending))
    # The rules' indicators are chosen by name: the options of the rule inline's select.
    content = client.get(f"/admin/evaluation/ruleset/{ruleset.pk}/change/").content.decode()
    rule = ruleset.rules.select_related("indicator").first()
    select = re.search(r'<select name="rules-0-indicator".*?</select>', content, re.S)
    assert select is not None
    option = re.search(rf'<option value="{rule.indicator.pk}"[^>]*>([^<]*)</option>', select[0])
    assert option is not None
    assert rule.indicator.name_zh in option.group(1) and rule.indicator.code not in content
