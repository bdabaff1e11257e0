"""The package index's answer about a project: which files it offers (PEP 691 JSON simple API).

`harness releases` asks it which versions of Keras and its backends exist. The index is the one
pip would use: --index-url, else $PIP_INDEX_URL, else PyPI. Standard library only (urllib), one
request per project, a timeout on each; a failure is one line naming the index and the project.
"""
from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request

PYPI_SIMPLE = "https://pypi.org/simple/"
ACCEPT = "application/vnd.pypi.simple.v1+json"
MAX_BYTES = 64 * 1024 * 1024      # the largest answer read for one project


class IndexUnreachable(RuntimeError):
    """The index could not be asked or gave no usable answer (one line for the user)."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status      # the HTTP status when the index answered with an error


def index_url(explicit: str | None = None) -> str:
    """The simple index to ask: the option, else $PIP_INDEX_URL, else PyPI; ends with '/'."""
    url = explicit or os.environ.get("PIP_INDEX_URL") or PYPI_SIMPLE
    return url if url.endswith("/") else url + "/"


def shown(url: str) -> str:
    """The URL without a user name or password, for messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=host)
    return urllib.parse.urlunsplit(parts)


def project_files(name: str, url: str, timeout: float = 30.0) -> list:
    """The files the index lists for one project: dicts with filename, requires-python, yanked."""
    base = index_url(url)
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        raise IndexUnreachable(f"package index {shown(base)}: only http(s) indexes can be asked")
    target = urllib.parse.urljoin(base, urllib.parse.quote(name) + "/")
    request = urllib.request.Request(target, headers={"Accept": ACCEPT, "User-Agent": "keras-repro harness"})
    where = f"package index {shown(base)} ({name})"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            kind = answer.headers.get_content_type()
            body = answer.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise IndexUnreachable(f"{where}: HTTP {exc.code} {exc.reason}", exc.code) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (socket.timeout, TimeoutError)):
            raise IndexUnreachable(f"{where}: no answer within {timeout:g} s") from None
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror \
            else exc.reason
        raise IndexUnreachable(f"{where}: unreachable ({reason})") from None
    except (socket.timeout, TimeoutError):
        raise IndexUnreachable(f"{where}: no answer within {timeout:g} s") from None
    except (OSError, ValueError) as exc:
        raise IndexUnreachable(f"{where}: {exc}") from None
    if len(body) > MAX_BYTES:
        raise IndexUnreachable(f"{where}: answer larger than {MAX_BYTES} bytes")
    if kind != ACCEPT and kind != "application/json":
        raise IndexUnreachable(f"{where}: answered {kind}, not the JSON simple API (PEP 691) "
                               f"that this command reads")
    try:
        data = json.loads(body)
        files = data["files"]
        if not isinstance(files, list) or not all(isinstance(f, dict) and isinstance(f.get("filename"), str)
                                                  for f in files):
            raise TypeError("files is not a list of files")
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexUnreachable(f"{where}: not a PEP 691 answer ({exc})") from None
    return files


def fetch(names, url: str | None = None, timeout: float = 30.0) -> dict:
    """Every project's files, by project name; a project the index does not have (404) is left
    out, unless it has none of them (then the URL is wrong: the first 404 is raised)."""
    base = index_url(url)
    found, first_missing = {}, None
    for name in names:
        try:
            found[name] = project_files(name, base, timeout)
        except IndexUnreachable as exc:
            if exc.status != 404:
                raise
            first_missing = first_missing or exc
    if not found and first_missing is not None:
        raise first_missing
    return found
