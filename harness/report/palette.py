"""One set of colours for the site's tables and every figure, safe for colour-blind readers.

Digits of agreement (0..17, 17 = the same doubles) use viridis sampled at 18 steps: light and hue
both rise with the digits, so the order reads in greyscale too. Failures are a neutral grey that
viridis never reaches; API generations use the Okabe-Ito palette. Hard-coded hex values, so a
matplotlib upgrade changes no published byte.
"""
from __future__ import annotations

# matplotlib.colormaps["viridis"](numpy.linspace(0, 1, 18)), as hex
DIGITS = ("#440154", "#481769", "#472a7a", "#433d84", "#3d4e8a", "#355e8d", "#2e6d8e", "#297b8e",
          "#23898e", "#1f978b", "#21a585", "#2eb37c", "#46c06f", "#65cb5e", "#89d548", "#b0dd2f",
          "#d8e219", "#fde725")
FAILURE = "#b4b4b4"
NEUTRAL = "#f2f2f2"      # single run, not run, not applicable: no claim either way
# Okabe & Ito (2008), "Color Universal Design"
API = {"keras2": "#E69F00", "tf.keras": "#56B4E9", "tf-keras": "#009E73", "keras3": "#CC79A7",
       "none": "#999999"}


def digits_color(digits) -> str:
    return DIGITS[max(0, min(len(DIGITS) - 1, int(digits)))]


def verdict_color(verdict) -> str:
    """The colour of a derive.verdicts.Verdict, as in the table and the heatmap."""
    if verdict.name in ("bitwise", "agrees", "diverged") and verdict.digits is not None:
        return digits_color(verdict.digits)
    if verdict.is_failure:
        return FAILURE
    return NEUTRAL


def text_color(background: str) -> str:
    """Black or white, whichever reads better on the background (WCAG relative luminance)."""
    channels = [int(background[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"
