"""Every text colour of the HTML report meets WCAG 2.1 AA contrast (4.5:1) against what it is drawn on.

Computed from the report's own CSS, rule by rule: a rule that sets both a colour and a background is
one pair (the status badges, the checks' status cells, the banner, the topology cells); a rule that
sets only a background is read against the page's text colour, and one that sets only a colour is
read against the page's white. Backgrounds without text (bars drawn by a ::before, SVG boxes) are left
out by name. Contrast ratio and relative luminance as WCAG 2.1 defines them:
https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio (AA: 1.4.3 Contrast (Minimum), 4.5:1 for normal text).
"""

from __future__ import annotations

import re

import pytest
from test_report_formats import faulty_report

from readycheck.report import render

AA = 4.5
PAGE, INK = "#ffffff", "#1c2328"  # body{color:#1c2328;background:#fff}
INHERITED = {"inherit", "transparent", "none", "currentcolor"}


def luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def css() -> str:
    page = render(faulty_report(), "html")
    return page[page.index("<style>") + len("<style>"):page.index("</style>")]


def rules(text: str) -> list[tuple[str, dict[str, str]]]:
    """(selector, declarations) of every rule, those inside @media blocks included."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    found = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        declarations = {}
        for declaration in body.split(";"):
            name, _, value = declaration.partition(":")
            if value:
                declarations[name.strip()] = value.strip()
        found.append((selector.strip(), declarations))
    return found


def resolve(value: str, variables: dict[str, str]) -> str | None:
    """A colour as #rrggbb, None where it is inherited; anything else fails the test, so that a colour
    written another way cannot escape the check."""
    value = value.strip().lower()
    while value.startswith("var("):
        value = variables[value[4:-1].strip()].lower()
    if value in INHERITED:
        return None
    assert re.fullmatch(r"#[0-9a-f]{3}|#[0-9a-f]{6}", value), f"write colours as #rgb or #rrggbb: {value}"
    return value


def no_text(selector: str) -> bool:
    """Backgrounds with no text on them: the bars' ::before, SVG boxes."""
    return "::before" in selector or selector.startswith("svg")


def pairs() -> list[tuple[str, str, str]]:
    """(selector, text colour, background colour) for every rule that sets either."""
    found = rules(css())
    variables = {name: value for selector, body in found if selector == ":root" for name, value in body.items()}
    out = []
    for selector, body in found:
        colour = resolve(body["color"], variables) if "color" in body else None
        background = body.get("background") or body.get("background-color")
        if background is not None and no_text(selector):
            continue
        background = resolve(background, variables) if background is not None else None
        if colour or background:
            out.append((selector, colour or INK, background or PAGE))
    return out


def test_the_css_is_read_whole():
    selectors = " ".join(selector for selector, _, _ in pairs())
    for expected in (".st.warn", ".st.skip", ".checks tr.fail>td:nth-last-child(2)", ".banner.ready", ".na",
                     ".l-SYS", "footer", "table.checks tbody th"):
        assert expected in selectors, expected


@pytest.mark.parametrize("selector, colour, background", pairs(), ids=lambda value: str(value)[:60])
def test_every_colour_pair_meets_wcag_aa(selector, colour, background):
    ratio = contrast(colour, background)
    assert ratio >= AA, f"{selector}: {colour} on {background} is {ratio:.2f}:1, below {AA}:1"


def test_the_ratio_is_computed_as_wcag_defines_it():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    # The badge colours the report had before: WARN 2.44:1, SKIP 4.37:1, "n/a" 3.35:1 (white and grey).
    assert round(contrast("#ffffff", "#ef8f00"), 2) == 2.44 and round(contrast("#ffffff", "#607d8b"), 2) == 4.37
    assert round(contrast("#78909c", "#ffffff"), 2) == 3.35
