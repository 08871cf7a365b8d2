"""The two wheels the playground's worker unpacks into Pyodide: mapviz's and sortedcontainers'.

Both are pure Python, so a wheel is a zip of the package's files plus a
``.dist-info`` (METADATA, WHEEL, RECORD), which this module writes from what
is installed here: no network, no build tool, and the same bytes every time
(fixed timestamps, sorted names).  The worker unpacks each with
``pyodide.unpackArchive(bytes, "wheel")``.

>>> import io, zipfile
>>> name, data = mapviz_wheel()
>>> names = zipfile.ZipFile(io.BytesIO(data)).namelist()
>>> name.endswith("-py3-none-any.whl"), "mapviz/site/worker.py" in names
(True, True)
>>> any("__pycache__" in n for n in names), mapviz_wheel()[1] == data
(False, True)
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from mapviz._version import __version__
from mapviz.errors import MapvizError

STAMP = (2020, 1, 1, 0, 0, 0)
"""Every member's timestamp: the same package makes the same wheel."""
PACKAGE_FILES = (".py", ".js", ".css", ".md", ".scenario", ".txt", "py.typed")
"""What of the mapviz package goes into its wheel (what ``pyproject.toml`` ships)."""


def mapviz_wheel() -> tuple[str, bytes]:
    """mapviz's wheel, from the package this code is part of: ``(file name, bytes)``."""
    root = Path(__file__).resolve().parents[1]
    members = sorted(
        (PurePosixPath("mapviz", *Path(folder, name).relative_to(root).parts), Path(folder, name))
        # followlinks: in a source tree mapviz/docs is a link to docs/ (pyproject.toml).
        for folder, _, names in os.walk(root, followlinks=True)
        for name in names
        if "__pycache__" not in Path(folder).parts and name.endswith(PACKAGE_FILES)
    )
    metadata = (
        f"Metadata-Version: 2.1\nName: mapviz\nVersion: {__version__}\n"
        "Requires-Python: >=3.11\nRequires-Dist: sortedcontainers>=2.4\n"
    )
    return _wheel("mapviz", __version__, metadata, members)


def distribution_wheel(name: str) -> tuple[str, bytes]:
    """An installed pure-Python distribution's wheel, repacked from its files (RECORD).

    Raises
    ------
    MapvizError
        ``name`` is not installed, or lists no files.
    """
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise MapvizError(f"mapviz site: {name} is not installed") from None
    version = dist.version
    members = []
    metadata = ""
    for file in dist.files or ():
        parts = PurePosixPath(str(file)).parts
        if "__pycache__" in parts or parts[0].endswith(".dist-info") or ".." in parts:
            if parts[0].endswith(".dist-info") and parts[-1] == "METADATA":
                metadata = dist.read_text("METADATA") or ""
            continue
        members.append((PurePosixPath(*parts), Path(str(file.locate()))))
    if not members or not metadata:
        raise MapvizError(f"mapviz site: cannot find the files of {name} {version}")
    return _wheel(dist.metadata["Name"], version, metadata, sorted(members))


def _wheel(
    name: str, version: str, metadata: str, members: Iterable[tuple[PurePosixPath, Path]]
) -> tuple[str, bytes]:
    stem = f"{name.replace('-', '_')}-{version}"
    info = f"{stem}.dist-info"
    record: list[str] = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:

        def add(arcname: str, data: bytes) -> None:
            entry = zipfile.ZipInfo(arcname, date_time=STAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{arcname},sha256={digest.decode()},{len(data)}")

        for arcname, path in members:
            add(str(arcname), path.read_bytes())
        add(f"{info}/METADATA", metadata.encode("utf-8"))
        wheel = (
            "Wheel-Version: 1.0\nGenerator: mapviz site\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        add(f"{info}/WHEEL", wheel.encode())
        record.append(f"{info}/RECORD,,")
        add_record = "\n".join(record) + "\n"
        entry = zipfile.ZipInfo(f"{info}/RECORD", date_time=STAMP)
        entry.external_attr = 0o644 << 16
        archive.writestr(entry, add_record)
    return f"{stem}-py3-none-any.whl", buffer.getvalue()
