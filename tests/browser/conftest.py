"""A real Chromium (Debian's, driven by Playwright) against the live server and a real worker."""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop on the test thread; Django would then refuse the test's
# own database calls as "async", although they really are synchronous here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Screenshots stay out of the repository's tracked files; SCREENSHOTS_DIR puts them elsewhere.
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or Path(__file__).resolve().parents[1] / "screenshots")
# axe-core (npm ci); injected as a script, so its pages need a context with bypass_csp=True.
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}
# Closed network: no background fetches, no component updates, no sync (they would only fail).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (scripts/install-browser.sh installs Debian's)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def shots(request):
    """shots(page, "step") saves tests/screenshots/<test name>/NN-step.png."""
    folder = SHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    counter = {"n": 0}

    def take(page, step: str) -> Path:
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    take.folder = folder
    return take


@pytest.fixture
def new_page(browser, live_server):
    """new_page(viewport, **options) -> a page in a fresh context (its own cookies), base URL = live
    server; options go to new_context (bypass_csp=True for a page that axe_violations runs on)."""
    contexts = []

    def make(viewport=DESK, **options):
        context = browser.new_context(viewport=viewport, base_url=live_server.url, locale="en-GB", **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now (id, impact, help, nodes)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def open_clinic(worker_process) -> list[Path]:
    """The journeys' clinic: the newest shipped model active, levels, diseases and FAQ seeded, a
    real worker running; returns the isic8-180 test photos (skips when the model or images are absent)."""
    from chatbot.seed import seed as seed_faq
    from diagnosis.seed import seed as seed_diseases
    from ml import registry
    from tests.images import real_lesion_paths
    from triage.seed import seed as seed_levels

    versions = registry.shipped_versions()
    if not versions:
        pytest.skip("no shipped model under ml/models (run `make train`)")
    photos = real_lesion_paths("test")
    if not photos:
        pytest.skip("the isic8-180 images are not in ../shared (set SKIN_DATA_DIR)")
    registry.model_register(folder=versions[-1], activate=True)
    seed_levels()
    seed_diseases()
    seed_faq()
    worker_process()
    return photos
