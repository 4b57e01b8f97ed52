"""Screenshots of pages as a user sees them (headless Chromium through Playwright).

    .venv/bin/python scripts/screenshot.py --user hk_admin --width 1366 /orgs/1/ /bureau/ ...
    .venv/bin/python scripts/screenshot.py --width 375 /v/Y000044001234263000017?s=...

Writes PNGs to var/screenshots/. Uses the system Chromium (never downloads a browser).
"""

import argparse
import os
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user")
    parser.add_argument("--password", default="Demo@2026")
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--height", type=int, default=768)
    parser.add_argument("--out", default="var/screenshots")
    parser.add_argument("--lang", default="zh-CN")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height}, locale=args.lang)
        if args.user:
            page.goto(f"{args.base}/login/")
            page.fill("input[name=username]", args.user)
            page.fill("input[name=password]", args.password)
            page.click("button[type=submit]")
        for path in args.paths:
            page.goto(args.base + path)
            name = re.sub(r"[^A-Za-z0-9]+", "_", f"{args.user or 'anon'}_{args.width}_{path}").strip("_")[:120]
            target = out / f"{name}.png"
            page.screenshot(path=str(target), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            print(target, "horizontal overflow!" if overflow else "")
        browser.close()


if __name__ == "__main__":
    main()
