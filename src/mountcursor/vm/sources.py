"""The Debian archive this machine's apt already uses, read from its sources at run time.

Both formats apt reads (``sources.list(5)``): one-line ``deb [opts] URI suite comp...``
in ``/etc/apt/sources.list`` and ``sources.list.d/*.list``, and deb822 stanzas
(``Types:``, ``URIs:``, ``Suites:``, ``Components:``, ``Signed-By:``) in
``sources.list.d/*.sources``.  :func:`debian_archive` picks the entry that serves a plain
release suite (``bookworm``, not ``bookworm-security`` or ``-updates``) with ``main``:
the VM fetches other suites from that same address, so no host name is written into the
project.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field


class SourcesError(ValueError):
    """No usable archive in the apt sources, or a line that cannot be read."""


@dataclass(frozen=True)
class Source:
    """One ``deb`` entry: where it is, and its first line (for messages)."""

    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]
    signed_by: str | None = None
    where: str = field(default="", compare=False)


def parse_one_line(text: str, where: str) -> list[Source]:
    """The ``deb`` entries of a one-line-style file (``deb-src`` and comments skipped)."""
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] not in ("deb", "deb-src"):
            raise SourcesError(f"{where}:{n}: expected deb or deb-src, got {words[0]!r}")
        rest = words[1:]
        opts: dict[str, str] = {}
        if rest and rest[0].startswith("["):
            joined = " ".join(rest)
            if "]" not in joined:
                raise SourcesError(f"{where}:{n}: an option list '[' without ']'")
            inside, after = joined[1:].split("]", 1)
            for opt in inside.split():
                key, _, value = opt.partition("=")
                opts[key] = value
            rest = after.split()
        if len(rest) < 2:
            raise SourcesError(f"{where}:{n}: expected URI and suite after {words[0]}")
        if words[0] == "deb":
            out.append(Source(rest[0], (rest[1],), tuple(rest[2:]), opts.get("signed-by"), f"{where}:{n}"))
    return out


def parse_deb822(text: str, where: str) -> list[Source]:
    """The ``deb`` entries of a deb822 ``.sources`` file (``Enabled: no`` ones skipped)."""
    out = []
    stanza: dict[str, str] = {}
    start = 0
    key = ""

    def flush() -> None:
        if not stanza:
            return
        if stanza.get("enabled", "yes").strip().lower() == "no" or "deb" not in stanza.get("types", "").split():
            return
        for need in ("uris", "suites"):
            if not stanza.get(need, "").split():
                raise SourcesError(f"{where}:{start}: the stanza has no {need.capitalize()}: field")
        signed = stanza.get("signed-by", "").strip()
        for uri in stanza["uris"].split():
            out.append(Source(uri, tuple(stanza["suites"].split()), tuple(stanza.get("components", "").split()),
                              signed if signed and "\n" not in signed else None, f"{where}:{start}"))

    for n, raw in enumerate(text.splitlines(), 1):
        if raw.startswith("#"):
            continue
        if not raw.strip():
            flush()
            stanza, key = {}, ""
            continue
        if raw[0] in " \t":
            if not key:
                raise SourcesError(f"{where}:{n}: a continuation line before any field")
            stanza[key] += "\n" + raw.strip()
            continue
        if ":" not in raw:
            raise SourcesError(f"{where}:{n}: expected 'Field: value', got {raw.strip()!r}")
        if not stanza:
            start = n
        name, _, value = raw.partition(":")
        key = name.strip().lower()
        stanza[key] = value.strip()
    flush()
    return out


def read_sources(etc: str = "/etc/apt") -> list[Source]:
    """Every ``deb`` entry of ``etc``'s ``sources.list`` and ``sources.list.d``, in apt's order."""
    files = [os.path.join(etc, "sources.list")]
    files += sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.list")))
    files += sorted(glob.glob(os.path.join(etc, "sources.list.d", "*.sources")))
    out: list[Source] = []
    for path in files:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except FileNotFoundError:
            continue
        except OSError as e:
            raise SourcesError(f"{path}: cannot read: {e.strerror}") from None
        out += parse_deb822(text, path) if path.endswith(".sources") else parse_one_line(text, path)
    return out


#: suite names of Debian's own archive (a third-party repository's ``stable`` or
#: ``nodistro`` is not one of them unless nothing else is there)
DEBIAN_SUITES = ("buster", "bullseye", "bookworm", "trixie", "forky", "duke", "sid",
                 "oldoldstable", "oldstable", "stable", "testing", "unstable")


def debian_archive(sources: list[Source]) -> Source:
    """The first entry serving a Debian release suite (``bookworm``, not
    ``bookworm-security`` or ``-updates``) with the ``main`` component: Debian's archive as
    this machine reaches it."""
    for s in sources:
        if "main" in s.components and any(suite in DEBIAN_SUITES for suite in s.suites):
            return s
    raise SourcesError("no apt source serves a Debian release suite with 'main' "
                       "(looked in /etc/apt/sources.list and /etc/apt/sources.list.d)")
