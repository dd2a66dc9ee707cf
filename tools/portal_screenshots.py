"""Screenshots of every portal page, in Chinese and English, at 1366x768 and on a phone.

Against a running server with the demo data (``manage.py demo``; then
``manage.py runserver --insecure 8109``):

    .venv/bin/python tools/portal_screenshots.py http://localhost:8109 /tmp/screens/h9

Signs in as the demo official (``demo_portal``) through the sign-in page. Not a test.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        for language, accept in (("zh", "zh-CN"), ("en", "en")):
            for size_name, size in SIZES.items():
                context = browser.new_context(viewport=size, locale=accept)
                page = context.new_page()
                page.goto(base + "/")
                page.screenshot(path=out / f"{language}-{size_name}-0-sign-in.png", full_page=True)
                page.fill("#id_username", "demo.official")
                page.fill("#id_password", "demo-portal-2020")
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
                city = page.url.rstrip("/").split("/")[-1]
                pages = {
                    "1-dashboard": f"/city/{city}/",
                    "2-periods": f"/city/{city}/periods/",
                    "3-entry": f"/city/{city}/periods/2022-08/",
                    "3-entry-locked": f"/city/{city}/periods/2021-03/",
                    "4-excel": f"/city/{city}/excel/",
                    "5-history": f"/city/{city}/history/",
                    "5-history-filtered": f"/city/{city}/history/?period=2021-03",
                    "6-results": f"/city/{city}/results/",
                    "7-submit": f"/city/{city}/submit/",
                    "8-not-found": "/no-such-page/",
                }
                for name, path in pages.items():
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(
                        path=out / f"{language}-{size_name}-{name}.png",
                        full_page=name != "5-history",
                    )
                # The latest result's scorecard, reached from the landing page.
                page.goto(base + f"/city/{city}/")
                page.click("#result .links a")
                page.wait_for_load_state("networkidle")
                page.screenshot(
                    path=out / f"{language}-{size_name}-9-scorecard.png", full_page=True
                )
                context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
