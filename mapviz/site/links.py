"""The playground's shareable links: a scenario (and a kernel model and a step) in the URL
fragment of ``play.html``, so one QR code on a slide opens it (docs/PLAYGROUND.md).

``#s=`` is base64url (no padding) of the scenario's UTF-8 text compressed with raw
DEFLATE (RFC 1951: what the browser's ``CompressionStream("deflate-raw")`` makes);
``#t=`` is the same text uncompressed, in base64url.  Then ``&kernel=MODEL`` and
``&step=N`` (``&step=end`` for the last step).  ``play.js`` reads and writes the
same format; the fragment never reaches a server.

>>> link = play_link("open -f data\\nmwrite 0 4k\\n", kernel="mainline", step="end")
>>> link.startswith("play.html#s=") and link.endswith("&kernel=mainline&step=end")
True
>>> fragment = link.split("#", 1)[1]
>>> read_fragment(fragment)
('open -f data\\nmwrite 0 4k\\n', 'mainline', 'end')
>>> read_fragment("t=" + encode_text("%title é"))
('%title é', '', '')
"""

from __future__ import annotations

import base64
import zlib

from mapviz.errors import MapvizError


def encode_text(text: str) -> str:
    """``text`` as ``#t=`` carries it: base64url of its UTF-8, without padding."""
    return base64.urlsafe_b64encode(text.encode("utf-8")).rstrip(b"=").decode("ascii")


def encode_compressed(text: str) -> str:
    """``text`` as ``#s=`` carries it: base64url of its UTF-8 compressed with raw DEFLATE."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = packer.compress(text.encode("utf-8")) + packer.flush()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def play_link(text: str, *, kernel: str = "", step: int | str = "", page: str = "play.html") -> str:
    """A link to the playground showing ``text`` (compressed), under ``kernel``, at ``step``."""
    link = f"{page}#s={encode_compressed(text)}"
    if kernel:
        link += f"&kernel={kernel}"
    if step != "":
        link += f"&step={step}"
    return link


def read_fragment(fragment: str) -> tuple[str, str, str]:
    """``(text, kernel, step)`` of a fragment (without its ``#``); "" for what it lacks.

    Raises
    ------
    MapvizError
        ``s=`` or ``t=`` that is not base64url of (raw-DEFLATE compressed) UTF-8.
    """
    fields = dict(part.split("=", 1) for part in fragment.split("&") if "=" in part)
    text = ""
    try:
        if "s" in fields:
            text = zlib.decompress(_unbase64(fields["s"]), -15).decode("utf-8")
        elif "t" in fields:
            text = _unbase64(fields["t"]).decode("utf-8")
    except (ValueError, zlib.error) as error:
        raise MapvizError(f"mapviz: not a playground link ({error})") from None
    return text, fields.get("kernel", ""), fields.get("step", "")


def _unbase64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
