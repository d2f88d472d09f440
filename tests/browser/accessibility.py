"""Every page a browser test opens is checked with axe-core (WCAG 2.0 and 2.1, levels A and
AA) and, on tablet pages (body.layout-tablet), for touch targets of 44 px or more.

When: a new document at the first act on it or the first passing ``expect`` after it has
loaded; a page the test waited for with ``expect``, just before the test's next act or
expect on it (so that no check falls between an act and the expect that times it, nor
between two acts timed against each other); every page still open at the end of the test
or when it closes a browser context. A page is checked when it shows something not checked
yet: a tag under another, a class or an attribute on a tag, text in a tag, not seen on that
page in that language and size. New text or data alone is not new, so that a board of 200
tiles costs one check rather than 200, and a page checked in the same state by an earlier
test of the process is not checked twice. Tests marked ``alone`` time what the screen
shows: their pages are checked only at the end, outside the timed windows. Frames inside a
page (the e-mail preview) are not entered.

axe-core comes from node_modules (a devDependency, never served to users) and is injected by
Playwright: into every document of a watched context as it starts, or (tests marked
``alone``) into a page only when it is checked. A serious or critical violation, or a touch target too small, fails the test,
with the page, the rule, the element and the message. Each check is a line in
var/accessibility/, and the run ends with a count."""

import json
import os
import re
import time
from functools import cache
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parent.parent.parent
AXE_SOURCE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LOG_DIR = ROOT / "var" / "accessibility"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("serious", "critical")
TOUCH_TARGET_PX = 44

# What the page is made of, as numbers: each tag under its parent's tag, each class and each
# attribute on a tag (with the value of those that style or state it), each tag holding text.
# Behaviour attributes (data-*, hx-*) and htmx's passing classes are left out.
KINDS = """(known) => {
  const skip = /^(data|hx)-/;
  const valued = /^(style|role|type|disabled|hidden|aria-(pressed|expanded|selected|current|checked|hidden|disabled|invalid))$/;
  const hash = (text) => { let h = 2166136261; for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 16777619); } return h >>> 0; };
  const kinds = new Set();
  const walk = (element, parent) => {
    const tag = element.tagName;
    kinds.add(hash(parent + ">" + tag));
    for (const name of element.classList) if (!name.startsWith("htmx-")) kinds.add(hash(tag + "." + name));
    for (const attribute of element.attributes) {
      const name = attribute.name;
      // axe leaves an empty style attribute behind on the elements it measured.
      if (name === "class" || skip.test(name) || (name === "style" && !attribute.value.trim())) continue;
      kinds.add(hash(tag + "[" + name + (valued.test(name) ? "=" + attribute.value : "") + "]"));
    }
    if ([...element.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) kinds.add(hash(tag + "#"));
    for (const child of element.children) walk(child, tag);
  };
  walk(document.documentElement, "");
  const lang = document.documentElement.lang, size = window.innerWidth + "x" + window.innerHeight;
  // What was checked already stays in the page, so that a look sends back only what is new.
  const key = location.pathname + " " + lang + " " + size;
  if (known !== null) window.__accessibilityChecked = {key, kinds: new Set(known)};
  const checked = window.__accessibilityChecked;
  if (!checked || checked.key !== key) return {lang, size, stale: true};
  const fresh = [...kinds].filter((kind) => !checked.kinds.has(kind));
  fresh.forEach((kind) => checked.kinds.add(kind));
  return {lang, size, fresh};
}"""

# Runs in the page: axe's violations, and on a tablet page the controls too small to tap.
CHECK = """async ({tags, minTarget}) => {
  // A button still fading from one colour to the next is measured once it is there.
  const moving = document.getAnimations().filter((a) => a instanceof CSSTransition && a.playState === "running");
  await Promise.race([
    Promise.all(moving.map((a) => a.finished.catch(() => null))),
    new Promise((resolve) => setTimeout(resolve, 1000)),
  ]);
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
    iframes: false,
  });
  const violations = result.violations.map((v) => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({
      target: n.target.join(" "), html: n.html.slice(0, 200), summary: n.failureSummary,
    })),
  }));
  const small = [];
  if (document.body.classList.contains("layout-tablet")) {
    const controls = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]";
    for (const control of document.querySelectorAll(controls)) {
      let shown = control;
      // A radio or check box drawn as its label (Bootstrap's btn-check) is tapped there.
      if (control.matches("input[type=radio], input[type=checkbox]") && control.labels.length) {
        const own = control.getBoundingClientRect();
        const label = control.labels[0].getBoundingClientRect();
        if (label.width * label.height > own.width * own.height) shown = control.labels[0];
      }
      const box = shown.getBoundingClientRect();
      const style = getComputedStyle(shown);
      if (!box.width || !box.height || style.visibility === "hidden" || control.disabled) continue;
      // A link inside a sentence is exempt (WCAG 2.5.5: inline).
      if (control.matches("a") && style.display === "inline" &&
          control.parentElement.textContent.trim() !== control.textContent.trim()) continue;
      if (box.width < minTarget || box.height < minTarget) {
        const label = (control.getAttribute("aria-label") || control.textContent || control.name || "").trim();
        small.push({
          target: control.tagName.toLowerCase() + (control.id ? "#" + control.id : "") +
            (typeof control.className === "string" && control.className.trim() ?
             "." + control.className.trim().split(/\\s+/).join(".") : ""),
          label: label.replace(/\\s+/g, " ").slice(0, 40),
          size: Math.round(box.width) + "×" + Math.round(box.height),
        });
      }
    }
  }
  return {violations, small};
}"""

_ids = re.compile(r"/\d+(?=/)")
_keys = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=/)")
_tokens = re.compile(r"/[A-Za-z0-9_:-]{20,}(?=/)")


def page_name(url: str) -> str:
    """The page's path with ids, keys and tokens replaced: pages, not documents."""
    path = re.sub(r"^[a-z]+://[^/]+", "", url).split("?")[0].split("#")[0]
    return _tokens.sub("/<token>", _ids.sub("/<id>", _keys.sub("/<key>", path)))


@cache
def axe_source() -> str:
    return AXE_SOURCE_PATH.read_text(encoding="utf-8")


# Kinds of elements checked already in this process, by page, language and size.
_checked: dict[tuple[str, str, str], set[int]] = {}


class Checker:
    """The checks of one test."""

    def __init__(self, test: str, on_the_way: bool):
        self.test = test
        # False for tests that time the screen: only the end is checked.
        self.on_the_way = on_the_way
        self.found: list[str] = []
        self.pages: list = []
        self.new_document: set = set()
        # Pages shown as an expect waited for them, not looked at since.
        self.asserted: set = set()
        self.busy = False
        self.finished = False
        self.record = True

    def watch(self, context) -> None:
        # axe comes with every document of the context, sent to the browser once, rather
        # than sent again into each document checked (a tenth of a second each).
        if self.on_the_way:
            context.add_init_script(script=axe_source())
        context.on("page", self._watch_page)
        for page in context.pages:
            self._watch_page(page)
        close = context.close

        # What is found here fails the test at its end, after the pages it goes on to.
        def check_then_close(*args, **kwargs):
            if not self.finished:
                self.settle(set(self.pages), always=True)
            close(*args, **kwargs)

        context.close = check_then_close

    def _watch_page(self, page) -> None:
        self.pages.append(page)

        def navigated(frame):
            if frame.parent_frame is None:
                self.new_document.add(page)

        page.on("framenavigated", navigated)

    def after_expect(self) -> None:
        """The test has seen what it waited for: a new document is looked at now, a changed
        one just before the test's next step (so that nothing is added to a time the test
        measures between an act and what it expects)."""
        loaded = set(self.new_document)
        self.settle(loaded)
        self.asserted.update(page for page in self.pages if page not in loaded)

    def before(self, page) -> None:
        """Before an act on ``page``, or (``page`` None) before an expect."""
        waiting = self.asserted if page is None else {page} & (self.asserted | self.new_document)
        self.settle(waiting)

    def settle(self, pages, *, always: bool = False) -> None:
        """Check each of ``pages`` that is open and shows something not checked yet."""
        if self.busy or self.finished or not (self.on_the_way or always):
            return
        self.busy = True
        try:
            for page in [page for page in self.pages if page in pages]:
                self.asserted.discard(page)
                if not page.is_closed() and page.url.startswith("http"):
                    self._look(page)
        finally:
            self.busy = False

    def _look(self, page) -> None:
        try:
            if page in self.new_document:
                page.wait_for_load_state()
            self.new_document.discard(page)
            seen = page.evaluate(KINDS, None)
            if seen.get("stale"):
                known = _checked.get((page_name(page.url), seen["lang"], seen["size"]), set())
                seen = page.evaluate(KINDS, list(known))
            if not seen["fresh"]:
                return
            key = (page_name(page.url), seen["lang"], seen["size"])
            self.found.extend(self._check(page, key))
            _checked.setdefault(key, set()).update(seen["fresh"])
        except PlaywrightError as error:
            if "destroyed" not in str(error) and "navigat" not in str(error):
                raise
            # The page went on to another under the check: that one is looked at next.
            self.new_document.add(page)

    def finish(self) -> None:
        """At the end of the test: every page still open, then everything found."""
        self.settle(set(self.pages), always=True)
        self.finished = True
        self.fail_if_found()

    def fail_if_found(self) -> None:
        if self.found:
            found, self.found = self.found, []
            raise AssertionError(
                f"Accessibility: {len(found)} problem(s) on the pages this test opened\n"
                + "\n".join(found)
            )

    def _check(self, page, key) -> list[str]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(axe_source())
        started = time.monotonic()
        result = page.evaluate(CHECK, {"tags": TAGS, "minTarget": TOUCH_TARGET_PX})
        result["ms"] = round((time.monotonic() - started) * 1000)
        where = f"{key[0]} [{key[1]}, {key[2]}]"
        problems = []
        for violation in result["violations"]:
            if violation["impact"] not in FAILING_IMPACTS:
                continue
            for node in violation["nodes"]:
                problems.append(
                    f"- {where} {violation['rule']} ({violation['impact']}): {violation['help']}\n"
                    f"    element: {node['target']}  {node['html']}\n"
                    f"    {' '.join(node['summary'].split())}"
                )
        for control in result["small"]:
            problems.append(
                f"- {where} touch-target: {control['target']} “{control['label']}” is "
                f"{control['size']} px, under {TOUCH_TARGET_PX}×{TOUCH_TARGET_PX}"
            )
        if self.record:
            self._write(key, result)
        return problems

    def _write(self, key, result: dict) -> None:
        impacts: dict[str, int] = {}
        rules: dict[str, int] = {}
        for violation in result["violations"]:
            impact = violation["impact"]
            impacts[impact] = impacts.get(impact, 0) + len(violation["nodes"])
            rules[f"{violation['rule']} ({impact})"] = len(violation["nodes"])
        line = {
            "test": self.test,
            "page": key[0],
            "lang": key[1],
            "size": key[2],
            "impacts": impacts,
            "rules": rules,
            "ms": result["ms"],
            "small_targets": [f"{c['target']} {c['size']}" for c in result["small"]],
            "failing": sorted(
                f"{v['rule']} {node['target']}"
                for v in result["violations"]
                if v["impact"] in FAILING_IMPACTS
                for node in v["nodes"]
            ),
        }
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = LOG_DIR / f"checks-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.jsonl"
        with log.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


# Where the test lets the page settle: before these acts, and around each expect.
ACTS = {
    "Page": (
        "goto reload go_back go_forward set_viewport_size emulate_media close click dblclick "
        "fill press check uncheck select_option set_input_files tap type hover"
    ),
    "Locator": (
        "click dblclick fill press press_sequentially type check uncheck set_checked "
        "select_option set_input_files tap hover clear dispatch_event drag_to select_text"
    ),
}


def hooks():
    """(class, method name, when) for each Playwright method where the page is looked at."""
    from playwright.sync_api import Locator, Page
    from playwright.sync_api._generated import LocatorAssertions, PageAssertions

    classes = {"Page": Page, "Locator": Locator}
    for class_name, names in ACTS.items():
        for name in names.split():
            yield classes[class_name], name, "before"
    for assertions in (LocatorAssertions, PageAssertions):
        for name in dir(assertions):
            if name.startswith(("to_", "not_to_")):
                yield assertions, name, "after"


def install(checker: Checker, monkeypatch) -> None:
    from playwright.sync_api import Page

    for cls, name, when in hooks():
        original = getattr(cls, name)
        if when == "before":

            def before(self, *args, _original=original, _cls=cls, **kwargs):
                checker.before(self if _cls is Page else self.page)
                return _original(self, *args, **kwargs)

            monkeypatch.setattr(cls, name, before)
        else:

            def after(*args, _original=original, **kwargs):
                checker.before(None)
                result = _original(*args, **kwargs)
                checker.after_expect()
                return result

            monkeypatch.setattr(cls, name, after)


def clear_log() -> None:
    for old in LOG_DIR.glob("checks-*.jsonl"):
        old.unlink()


def summary() -> str:
    """One line for the end of the run: what was checked and what was found."""
    checks = [
        json.loads(line)
        for log in sorted(LOG_DIR.glob("checks-*.jsonl"))
        for line in log.read_text(encoding="utf-8").splitlines()
    ]
    if not checks:
        return ""
    failing = {
        impact: sum(check["impacts"].get(impact, 0) for check in checks)
        for impact in FAILING_IMPACTS
    }
    pages = {check["page"] for check in checks}
    languages = sorted({check["lang"] for check in checks})
    sizes = sorted({check["size"] for check in checks})
    small = sum(len(check["small_targets"]) for check in checks)
    return (
        f"Accessibility: {len(checks)} checks of {len(pages)} pages "
        f"({', '.join(languages)}; {', '.join(sizes)}): "
        f"{failing['serious']} serious, {failing['critical']} critical violations, "
        f"{small} touch targets under {TOUCH_TARGET_PX} px (var/accessibility/)"
    )
