"""The coach's pages load under their own Content-Security-Policy (the other browser tests
bypass it: Playwright's ``wait_for_function`` evaluates strings, which the policy forbids)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.browser import CHROMIUM, coach_server, playwright_or_skip

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/", "/progress", "/screen", "/history"])
def test_the_pages_load_under_the_content_security_policy(tmp_path: Path, path: str) -> None:
    sync_playwright = playwright_or_skip()
    with coach_server(tmp_path) as srv, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            refused: list[str] = []
            page.on(
                "console",
                lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
            )
            response = page.goto(f"{srv.origin}{path}?token={srv.token}")
            assert response is not None and response.status == 200
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
            assert refused == [], refused
        finally:
            browser.close()
