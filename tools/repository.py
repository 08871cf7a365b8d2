"""The repository's public address, one setting: ``[project.urls] Repository`` in pyproject.toml.

Every README link that depends on where the repository lives -- the static site on
GitHub Pages, its playground, both Binder badges -- is derived from it, so
publishing the project under an account is one command::

    python -m tools.repository OWNER/NAME     # set it, and rewrite the README's links
    python -m tools.repository --check       # the README's links follow it (a test runs this)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTING = re.compile(r'^Repository = "https://github\.com/(?P<slug>[^/"]+/[^/"]+)"$', re.M)


def repository(root: Path = ROOT) -> str:
    """``OWNER/NAME`` as pyproject.toml's ``[project.urls] Repository`` says."""
    found = SETTING.search((root / "pyproject.toml").read_text(encoding="utf-8"))
    if found is None:
        raise SystemExit("pyproject.toml has no [project.urls] Repository on GitHub")
    return found["slug"]


def links(slug: str) -> dict[str, str]:
    """The README's link definitions that follow from ``OWNER/NAME``.

    >>> links("ada/mapviz")["playground"]
    'https://ada.github.io/mapviz/play.html'
    >>> links("ada/mapviz")["binder-lab"].startswith("https://mybinder.org/v2/gh/ada/mapviz/HEAD?")
    True
    """
    owner, name = slug.split("/")
    pages = f"https://{owner.lower()}.github.io/{name}/"
    binder = f"https://mybinder.org/v2/gh/{slug}/HEAD"
    return {
        "repository": f"https://github.com/{slug}",
        "site": pages,
        "playground": f"{pages}play.html",
        "binder-lab": f"{binder}?urlpath=lab/tree/notebooks/00-tour.ipynb",
        "binder-voila": f"{binder}?urlpath=voila/render/notebooks/talk.ipynb",
    }


def _definition(key: str) -> re.Pattern[str]:
    return re.compile(rf"^\[{re.escape(key)}\]: (?P<url>\S+)$", re.M)


def stale(root: Path = ROOT) -> list[str]:
    """The README's link definitions that do not follow the setting (``key: found``)."""
    readme = (root / "README.md").read_text(encoding="utf-8")
    out = []
    for key, url in links(repository(root)).items():
        found = _definition(key).search(readme)
        if found is None or found["url"] != url:
            out.append(f"[{key}]: {found['url'] if found else 'missing'} (should be {url})")
    return out


def set_repository(slug: str, root: Path = ROOT) -> None:
    """Set the setting to ``OWNER/NAME`` and rewrite the README's derived links."""
    if not re.fullmatch(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+", slug):
        raise SystemExit(f"not OWNER/NAME: {slug!r}")
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    if SETTING.search(text) is None:
        raise SystemExit("pyproject.toml has no [project.urls] Repository on GitHub")
    pyproject.write_text(
        SETTING.sub(f'Repository = "https://github.com/{slug}"', text), encoding="utf-8"
    )
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    for key, url in links(slug).items():
        text = _definition(key).sub(f"[{key}]: {url}", text)
    readme.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        problems = stale()
        print("\n".join(problems) or f"README links follow {repository()}")
        return 1 if problems else 0
    if len(argv) != 1:
        print(__doc__)
        return 2
    set_repository(argv[0])
    print(f"repository: {repository()}; README links rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
