"""Picture the what-if page for the README and docs/app.md: serve it, compare two arms in headless
Chromium, and save the page once the summary is in.

    python -m experiments.screenshot            # docs/img/app.png: 10,000 people x 180 days, 5 seeds
    python -m experiments.screenshot --quick    # 2,000 people x 30 days, 2 seeds (the docs test)

Arm A has no incentive; arm B pays 25 yuan per member who brings 3 friends. The browser is the Debian
package ``chromium`` (Playwright's own download is not used); the helpers here also drive the browser
tests (tests/test_page.py)."""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

from sim.page.serve import free_port, serving

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[1]


def browser_missing() -> str | None:
    """Why the page cannot be driven here, or None."""
    try:
        import playwright  # noqa: F401
        import solara  # noqa: F401
    except ImportError as err:
        return f"{err.name} is not installed (pip install -e '.[browser]')"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@contextlib.contextmanager
def open_page(graphs: Path, out: Path, viewport=(1400, 1000)):
    """Serve the page (graph folder ``graphs``, output folder ``out``) and open it in headless Chromium;
    yields (Playwright page, seconds the server took to answer)."""
    from playwright.sync_api import sync_playwright

    argv = [str(Path(sys.executable).with_name("growthsim-app")), "--port", str(free_port()),
            "--graphs", str(graphs), "--out", str(out)]
    with serving(argv) as (url, started), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True)
            page.set_default_timeout(60_000)
            page.goto(url)
            page.get_by_role("button", name="Run both arms").wait_for()
            yield page, started
        finally:
            browser.close()


def set_value(page, label: str, value) -> None:
    """Type ``value`` into the input labelled ``label`` and confirm it."""
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")


def select(page, label: str):
    """The drop-down labelled ``label`` (vuetify 3 puts the label inside the field)."""
    return page.locator(".v-select .v-field").filter(has=page.get_by_text(label, exact=True))


def choose(page, label: str, option: str) -> None:
    select(page, label).click()
    page.locator(".v-overlay--active .v-list-item").filter(has=page.get_by_text(option, exact=True)).click()


def compare(page, size: int, days: int, seeds: int, reward: float = 25) -> None:
    """Set the community, give arm B an invitation reward and start both arms."""
    set_value(page, "population size", size)
    set_value(page, "days", days)
    set_value(page, "paired seeds", seeds)
    choose(page, "B: incentive scheme", "invite_reward")
    set_value(page, "B: reward per qualifying inviter (yuan)", reward)
    page.get_by_role("button", name="Run both arms").click()


def wait_for_summary(page, seeds: int) -> None:
    """Wait until the run is over: its summary is in and the progress line is gone."""
    page.get_by_text(f"Summary over {seeds} paired seeds").wait_for()
    page.get_by_text("running: seed").wait_for(state="detached")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Screenshot the what-if page (docs/app.md).")
    p.add_argument("--quick", action="store_true", help="a small comparison (2,000 people x 30 days, 2 seeds)")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "img", help="folder for app.png (default docs/img)")
    args = p.parse_args(argv)
    if missing := browser_missing():
        print(f"screenshot: error: {missing}", file=sys.stderr)
        sys.exit(2)
    size, days, seeds = (2000, 30, 2) if args.quick else (10_000, 180, 5)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, open_page(Path(tmp), Path(tmp) / "out", (1400, 2300)) as (page, _):
        compare(page, size, days, seeds)
        wait_for_summary(page, seeds)
        page.screenshot(path=args.out / "app.png")  # the page scrolls inside: a tall window shows it all
    print(f"wrote {args.out / 'app.png'}")


if __name__ == "__main__":
    main()
