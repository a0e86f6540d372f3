"""Start the real UI server (`python -m rag.cli ui`) on a free port with a throwaway data dir,
and drive it from Playwright (tests/test_ui_browser.py); and read the UI's HTML as a browser
would (`Elements`, for the tests of ui/render.py and ui/handlers.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

from tests.servers import free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


@contextmanager
def ui_server(data_dir: Path, timeout: float = 180.0, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Run the UI in a subprocess against `data_dir`; yield its URL; stop it afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update({
        "RAG_DATA_DIR": str(data_dir),
        "RAG_GENERATOR": "extractive",
        # nothing listens there: choosing the "openai" generator gives "model server down"
        "RAG_OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "RAG_REQUEST_TIMEOUT": "5",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_TEMP_DIR": str(data_dir / "gradio-tmp"),
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra_env or {})
    log = (data_dir / "ui-server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ui", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, proc, data_dir / "ui-server.log", "the UI server", timeout)
        yield url
    finally:
        stop(proc, timeout=20)
        log.close()


def server_log(data_dir: Path) -> str:
    path = data_dir / "ui-server.log"
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# -- driving the chat ---------------------------------------------------------------------------

FINISHED = "#chat [data-testid=bot] .rag-meta, #chat [data-testid=bot] .rag-error"


def finished_count(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator(FINISHED).count())


def ask(page, question: str, timeout: float = 60_000) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Type `question`, press Ask and wait for the answer to be complete. Returns the seconds from
    the click to the first answer text in the bubble and to the finished answer."""
    before = finished_count(page)
    bubbles = int(page.locator("#chat [data-testid=bot]").count())
    page.fill("#question textarea", question)
    started = time.perf_counter()
    page.click("#ask-btn")
    page.wait_for_function(
        """(n) => {
            const bots = document.querySelectorAll('#chat [data-testid=bot]');
            const last = bots[bots.length - 1];
            // a new bubble with answer text; a status line ("Waiting…", "Searching…") is not answer text
            return bots.length > n && last.innerText.trim().length > 0 && !last.querySelector('.status');
        }""",
        arg=bubbles, polling="raf", timeout=timeout,
    )
    first = time.perf_counter() - started
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length > n", arg=[FINISHED, before], polling="raf",
        timeout=timeout,
    )
    return {"first_token": first, "total": time.perf_counter() - started}


def last_answer(page) -> str:  # type: ignore[no-untyped-def]
    return str(page.locator("#chat [data-testid=bot]").last.inner_text())


def user_messages(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.strip() for t in page.locator("#chat [data-testid=user]").all_inner_texts()]


def upload(page, path: Path, timeout: float = 60_000) -> str:  # type: ignore[no-untyped-def]
    """Upload `path` on the Articles tab, index it, and return the status text."""
    page.get_by_role("tab", name="Articles").click()
    page.set_input_files("#upload input[type=file]", str(path))
    page.wait_for_function(
        r"(name) => document.querySelector('#upload').textContent.replace(/\s+/g, '').includes(name)",
        arg=path.name, timeout=timeout,
    )
    page.wait_for_timeout(200)
    page.click("#add-btn")
    status = page.locator("#nr-status-text", has_text=path.name)
    status.wait_for(timeout=timeout)
    return str(status.inner_text())


# -- reading the UI's HTML -------------------------------------------------------------------

class Elements(HTMLParser):
    """The elements (tag, attributes) and the visible text of an HTML fragment, as a browser reads them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_parts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def find(self, tag: str, cls: str = "") -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and (not cls or cls in a.get("class", "").split())]


def dataset(attrs: dict[str, str]) -> dict[str, str]:
    """What the page's `title.dataset` holds: data-quote-start -> quoteStart, values as strings."""
    def camel(name: str) -> str:
        head, *rest = name.split("-")
        return head + "".join(part.capitalize() for part in rest)

    return {camel(k[5:]): v for k, v in attrs.items() if k.startswith("data-")}
