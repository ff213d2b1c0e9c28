"""The portal's colours, derived from the company's branding so that every text stays readable.

Staff pick any colours (``config.Branding``); the pages and mails never show them as picked
where a pair would be hard to read. ``palette(branding)`` returns the colours the stylesheet
uses (``base.html`` writes them as CSS custom properties, the mails inline them): each text
colour is the chosen one when it reaches the WCAG 2.2 AA contrast on its background (4.5:1 for
text, 3:1 for borders and focus rings), else the nearest colour towards black or white that
does. Against any background one of black and white reaches 4.58:1, so 4.5:1 is always met.

``contrast_warnings(branding)`` names the chosen pairs that fall short, for the settings
preview. ``FONT_STACKS`` are the font lists staff choose from: fonts every system has, each
with generic fallbacks, written without quotes (they go into a ``<style>`` element as they are).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import attrs

TEXT, LARGE, UI = 4.5, 3.0, 3.0  # WCAG 1.4.3 text, 1.4.3 large text, 1.4.11 non-text contrast
WHITE, BLACK = "#FFFFFF", "#000000"

FONT_STACKS: tuple[tuple[str, str], ...] = (
    ("System (the device's own)", "system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"),
    ("Helvetica, Arial", "Helvetica, Arial, sans-serif"),
    ("Verdana", "Verdana, Geneva, DejaVu Sans, sans-serif"),
    ("Trebuchet", "Trebuchet MS, Lucida Grande, Lucida Sans Unicode, sans-serif"),
    ("Tahoma", "Tahoma, Verdana, Segoe, sans-serif"),
    ("Georgia (serif)", "Georgia, Cambria, Times New Roman, serif"),
    ("Palatino (serif)", "Palatino Linotype, Palatino, Book Antiqua, Georgia, serif"),
    ("Garamond (serif)", "Garamond, Baskerville, Baskerville Old Face, Times New Roman, serif"),
    ("Monospace", "ui-monospace, SFMono-Regular, Menlo, Consolas, Liberation Mono, monospace"),
)

# The status hues: badges, notices and the danger button are tints and shades of these.
HUES = {"success": "#1E7B34", "warning": "#9A6700", "danger": "#C62828", "info": "#1F5FAD", "neutral": "#5F6770"}


def rgb(colour: str) -> tuple[int, int, int]:
    """``#RGB`` or ``#RRGGBB`` as three 0-255 channels."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def hex_of(channels: Iterable[float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02X}" for c in channels)


def luminance(colour: str) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""

    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two colours, 1 to 21."""
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def mix(a: str, b: str, amount: float) -> str:
    """``a`` moved ``amount`` (0..1) of the way to ``b``."""
    return hex_of(x + (y - x) * amount for x, y in zip(rgb(a), rgb(b)))


def is_dark(colour: str) -> bool:
    """Whether white text reads better on ``colour`` than black text."""
    return contrast(colour, WHITE) >= contrast(colour, BLACK)


def _text_on(colour: str, backgrounds: Iterable[str], comfortable: float) -> str:
    """A text colour the company chose, on ``backgrounds``: as chosen when readable; when it is of
    the backgrounds' own lightness (dark on dark) it is moved on to ``comfortable`` contrast, not
    just to the 4.5:1 that a grey in between would reach."""
    grounds = list(backgrounds)
    clash = is_dark(colour) == is_dark(grounds[0])
    return readable(
        colour, grounds, comfortable if clash and min(contrast(colour, g) for g in grounds) < TEXT else TEXT
    )


def readable(colour: str, backgrounds: str | Iterable[str], minimum: float = TEXT) -> str:
    """``colour`` if it has ``minimum`` contrast on every one of ``backgrounds``; else the least
    change of it towards black or white (whichever the backgrounds need) that has. Backgrounds
    are expected to be all light or all dark (the palette's are); when they are not, the best
    reachable colour is returned."""
    grounds = [backgrounds] if isinstance(backgrounds, str) else list(backgrounds)

    def worst(c: str) -> float:
        return min(contrast(c, g) for g in grounds)

    if worst(colour) >= minimum:
        return hex_of(rgb(colour))
    towards = max((WHITE, BLACK), key=worst)
    if worst(towards) < minimum:
        return towards
    low, high = 0.0, 1.0  # the least amount of mixing that is enough
    for _ in range(20):
        middle = (low + high) / 2
        if worst(mix(colour, towards, middle)) >= minimum:
            high = middle
        else:
            low = middle
    return mix(colour, towards, high)


@attrs.frozen
class Badge:
    background: str
    text: str
    border: str


@attrs.frozen
class Palette:
    """Every colour the pages use. ``dark``: the page background is dark (light text)."""

    dark: bool
    canvas: str  # the page background (the company's background colour)
    surface: str  # cards and tables
    sunken: str  # table headers, quiet panels
    text: str
    muted: str  # secondary text
    border: str  # decorative lines (the company's border colour)
    control_border: str  # inputs, secondary buttons: 3:1 on the surface
    link: str
    focus: str
    nav: str
    nav_text: str
    nav_focus: str
    button: str
    button_text: str
    button_hover: str
    button_hover_text: str
    danger: str  # the danger button's colour
    danger_text: str
    danger_ink: str  # error text on the page and cards
    badges: dict[str, Badge]

    def css(self) -> str:
        """The custom properties, one ``--name: value;`` per line (values are hex colours only)."""
        values: dict[str, str] = {
            "canvas": self.canvas,
            "surface": self.surface,
            "sunken": self.sunken,
            "text": self.text,
            "muted": self.muted,
            "line": self.border,
            "control-border": self.control_border,
            "link": self.link,
            "focus": self.focus,
            "nav-bg": self.nav,
            "nav-fg": self.nav_text,
            "nav-focus": self.nav_focus,
            "primary": self.button,
            "on-primary": self.button_text,
            "primary-hover": self.button_hover,
            "on-primary-hover": self.button_hover_text,
            "danger": self.danger,
            "on-danger": self.danger_text,
            "danger-ink": self.danger_ink,
        }
        for name, badge in self.badges.items():
            values[f"{name}-bg"], values[f"{name}-fg"], values[f"{name}-line"] = (
                badge.background,
                badge.text,
                badge.border,
            )
        return "\n".join(f"--{name}: {value};" for name, value in values.items())


@functools.lru_cache(maxsize=64)
def palette(branding: Any) -> Palette:
    """The colours of the pages for ``branding`` (a ``config.Branding``): every text colour at
    4.5:1 or more on what it is shown on, borders of controls and focus rings at 3:1. Computed
    once per branding (a frozen, hashable record): every page of a company shows the same."""
    canvas = hex_of(rgb(branding.background_colour))
    dark = is_dark(canvas)
    if dark:  # cards a little lighter than the page, unless that would bring light text under 7:1
        lift = WHITE if contrast(mix(canvas, WHITE, 0.14), WHITE) >= 7 else BLACK
        surface = mix(canvas, lift, 0.07 if lift == WHITE else 0.15)
        sunken = mix(surface, lift, 0.06 if lift == WHITE else 0.12)
    else:  # cards white (or nearly), quiet panels tinted with the navigation colour
        surface = WHITE if luminance(canvas) > 0.6 else mix(canvas, WHITE, 0.85)
        sunken = mix(surface, branding.nav_bar_colour, 0.04)
    grounds = (canvas, surface, sunken)
    text = _text_on(branding.dashboard_text_colour, grounds, 12.0)
    muted = readable(mix(text, surface, 0.35), grounds)
    link = readable(branding.button_colour, grounds)
    button = hex_of(rgb(branding.button_colour))
    button_text = _text_on(branding.button_text_colour, [button], 8.0)
    hover = mix(button, BLACK if luminance(button) > 0.08 else WHITE, 0.15)
    nav = hex_of(rgb(branding.nav_bar_colour))
    nav_text = _text_on(branding.nav_text_colour, [nav], 8.0)
    danger = readable(HUES["danger"], grounds, TEXT) if not dark else mix(HUES["danger"], WHITE, 0.1)
    badges = {}
    for name, hue in HUES.items():
        background = mix(hue, surface, 0.72 if dark else 0.88)
        badges[name] = Badge(
            background,
            readable(mix(hue, WHITE, 0.55) if dark else hue, background, TEXT),
            readable(mix(hue, surface, 0.4), background, 1.4),
        )
    return Palette(
        dark=dark,
        canvas=canvas,
        surface=surface,
        sunken=sunken,
        text=text,
        muted=muted,
        border=hex_of(rgb(branding.border_colour)),
        control_border=readable(branding.border_colour, (surface, canvas), UI),
        link=link,
        focus=readable(branding.button_colour, grounds, UI),
        nav=nav,
        nav_text=nav_text,
        nav_focus=readable(branding.nav_text_colour, nav, UI),
        button=button,
        button_text=button_text,
        button_hover=hover,
        button_hover_text=readable(button_text, hover),
        danger=danger,
        danger_text=readable(WHITE, danger),
        danger_ink=readable(mix(HUES["danger"], WHITE, 0.45) if dark else HUES["danger"], grounds),
        badges=badges,
    )


def contrast_warnings(branding: Any) -> list[dict[str, Any]]:
    """The chosen colour pairs that fall short of 4.5:1, with what the portal shows instead:
    ``{"what", "text", "background", "ratio", "used", "used_ratio"}`` each."""
    shown = palette(branding)
    pairs = (
        ("Text on the page background", branding.dashboard_text_colour, branding.background_colour, shown.text),
        ("Navigation text on the navigation bar", branding.nav_text_colour, branding.nav_bar_colour, shown.nav_text),
        ("Button text on the button colour", branding.button_text_colour, branding.button_colour, shown.button_text),
        (
            "Links (the button colour) on the page background",
            branding.button_colour,
            branding.background_colour,
            shown.link,
        ),
    )
    found = []
    for what, text, background, used in pairs:
        ratio = contrast(text, background)
        if ratio < TEXT:
            found.append(
                {
                    "what": what,
                    "text": text.upper(),
                    "background": background.upper(),
                    "ratio": round(ratio, 2),
                    "used": used,
                    "used_ratio": round(contrast(used, background), 2),
                }
            )
    return found


__all__ = ["FONT_STACKS", "Palette", "contrast", "contrast_warnings", "luminance", "mix", "palette", "readable"]
