#!/usr/bin/env python3
"""Checks a page as headless Chromium rendered it (called by build.sh).

usage: render_check.py DOM_FILE PAGE_URL SCREENSHOT [--heading TEXT]... [--plot FILE.svg]...

- every --heading must be the text of an <h1> or <h2> of the DOM (Chromium's --dump-dom output);
- every --plot must be the file name of an <img> of the DOM, and its URL (resolved against PAGE_URL) must answer
  HTTP 200 with an SVG body;
- the screenshot must be a PNG that is not nearly empty.

Prints what it checked; exits 1 with one line per failure.
"""
import sys
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urljoin


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headings = []
        self.images = []
        self._in_heading = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("h1", "h2"):
            self._in_heading = tag
            self._text = []
        elif tag == "img" and a.get("src"):
            self.images.append(a["src"])
        elif tag == "a" and self._in_heading and "headerlink" in (a.get("class") or ""):
            self._in_heading = self._in_heading + "-link"  # skip the permalink's text

    def handle_endtag(self, tag):
        if tag == "a" and self._in_heading and self._in_heading.endswith("-link"):
            self._in_heading = self._in_heading[:-5]
        elif tag in ("h1", "h2") and self._in_heading == tag:
            self.headings.append(" ".join("".join(self._text).split()))
            self._in_heading = None

    def handle_data(self, data):
        if self._in_heading and not self._in_heading.endswith("-link"):
            self._text.append(data)


def main(argv):
    dom_file, page_url, screenshot = argv[1:4]
    headings, plots = [], []
    rest = argv[4:]
    while rest:
        if len(rest) < 2 or rest[0] not in ("--heading", "--plot"):
            sys.exit("render_check.py: bad arguments: " + " ".join(rest))
        (headings if rest[0] == "--heading" else plots).append(rest[1])
        rest = rest[2:]

    failures = []
    with open(dom_file, encoding="utf-8", errors="replace") as f:
        dom = f.read()
    page = Page()
    page.feed(dom)
    if not page.headings:
        failures.append(f"{page_url}: the rendered DOM has no h1/h2 at all ({len(dom)} bytes of DOM)")
    for h in headings:
        if h not in page.headings:
            failures.append(f"{page_url}: heading '{h}' is missing; found {page.headings}")

    for plot in plots:
        srcs = [s for s in page.images if s.split("?")[0].endswith("/" + plot) or s == plot]
        if not srcs:
            failures.append(f"{page_url}: no <img> shows {plot}; images: {page.images}")
            continue
        url = urljoin(page_url, srcs[0])
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                body = r.read()
                if r.status != 200 or b"<svg" not in body[:500]:
                    failures.append(f"{url}: HTTP {r.status}, {len(body)} bytes, not an SVG")
                else:
                    print(f"  ok: <img> {srcs[0]} served as {url}: HTTP 200, {len(body)} bytes of SVG")
        except Exception as e:  # urllib raises HTTPError for 404
            failures.append(f"{url}: {e}")

    try:
        with open(screenshot, "rb") as f:
            png = f.read()
        if not png.startswith(b"\x89PNG") or len(png) < 15000:
            failures.append(f"{screenshot}: not a PNG of a rendered page ({len(png)} bytes)")
        else:
            print(f"  ok: screenshot {screenshot} ({len(png)} bytes)")
    except OSError as e:
        failures.append(f"{screenshot}: {e}")

    if failures:
        for f in failures:
            print("FAILED: " + f, file=sys.stderr)
        return 1
    print(f"  ok: {page_url}: headings {headings} present")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
