"""`harness merge SRC...`: bring result sets from other machines or CI artifacts into results/.

Every record of every source is read (any layout, any older schema: upgraded on read) and filed
at its canonical place, keyed by (machine, cell, scenario, recipe). The rules:
  * all sources are read and validated first; a corrupt or newer-schema file refuses the whole
    merge with a message naming it, and nothing is written;
  * the same record twice changes nothing (idempotent: identical content is skipped);
  * for the same key the newest complete record wins (complete beats partial, then the later
    start time, then more replays); the loser is reported and kept under results/superseded/,
    so a merge never loses a record;
  * every file is written atomically (a temporary file renamed into place), so an interrupted
    merge leaves each file as it was or complete, and running it again finishes the job.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ..store import records


class MergeError(ValueError):
    pass


@dataclasses.dataclass
class MergeReport:
    added: list = dataclasses.field(default_factory=list)        # destination paths
    replaced: list = dataclasses.field(default_factory=list)     # (path, winner source, loser note)
    kept: list = dataclasses.field(default_factory=list)         # (path, losing source)
    unchanged: int = 0

    def lines(self) -> list:
        out = [f"added {len(self.added)}, replaced {len(self.replaced)}, kept {len(self.kept)} "
               f"(incoming older or less complete), unchanged {self.unchanged}"]
        out += [f"replaced {p}: {why}" for p, _, why in self.replaced]
        out += [f"kept {p}: {why}" for p, why in self.kept]
        return out


def _rank(data: dict) -> tuple:
    """Newest complete wins: complete first, then the later start, then more replays."""
    if data["kind"] in ("machine", "environment"):
        return (True, data.get("started", ""), 0)
    return (bool(data.get("complete")), data.get("started", ""), len(data.get("replays", [])))


def _describe(data: dict, source) -> str:
    complete = "complete" if data.get("complete", True) else "partial"
    return f"{source} ({complete}, started {data.get('started') or '?'}, " \
           f"{len(data.get('replays', []))} replays)"


def read_sources(sources) -> list:
    """[(data, source path)] of every record under the sources, each validated against the record
    schema (store/schema.py); MergeError names every bad file and field. A symbolic link is
    refused without being read: a source may only offer what lies inside it."""
    found, problems = [], []
    for source in sources:
        source = Path(source)
        if not source.is_dir():
            raise MergeError(f"{source}: not a results directory")
        files = _source_files(source, problems)
        if not files and not problems:
            raise MergeError(f"{source}: no records found (expected records/ and machines/ inside)")
        for path in files:
            try:
                data = records.read(path)
                records.canonical_path(Path("/"), data)  # names must be safe before anything is written
                found.append((data, path))
            except records.RecordError as exc:
                problems.append(str(exc))
    if problems:
        raise MergeError("refused, nothing written:\n  " + "\n  ".join(problems))
    return found


def _source_files(source: Path, problems: list) -> list:
    """The regular .json files under source's records/ and machines/, none reached through a
    symbolic link; each link found is a problem (named, not followed)."""
    root, found = source.resolve(), []
    for folder in (records.records_dir(source), records.machines_dir(source)):
        if folder.is_symlink():
            problems.append(f"{folder}: is a symbolic link; refused without reading it")
            continue
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.json")):
            if path.is_symlink():
                problems.append(f"{path}: is a symbolic link; refused without reading it")
            elif path.is_file() and root in path.resolve().parents:
                found.append(path)
            elif path.is_file():
                problems.append(f"{path}: lies outside {source} (through a symbolic link); refused")
    return found


def merge(sources, results: Path) -> MergeReport:
    """Read and check everything, decide every write, check every path; only then write."""
    results = Path(results)
    incoming = read_sources(sources)
    report, writes = MergeReport(), {}
    best = {}
    for data, source in incoming:  # the best of the incoming records per key, losers noted
        try:
            target = records.canonical_path(results, data)
        except records.RecordError as exc:
            raise MergeError(f"refused, nothing written: {source}: {exc}") from None
        if target in best and _rank(best[target][0]) >= _rank(data):
            _supersede(results, target, data, writes)
            continue
        if target in best:
            _supersede(results, target, best[target][0], writes)
        best[target] = (data, source)
    for target, (data, source) in sorted(best.items()):
        body = {k: v for k, v in data.items() if k not in ("format", "schema", "kind")}
        text = records.encode(data["kind"], body)
        if not target.exists():
            writes[target] = text
            report.added.append(target)
            continue
        try:
            existing = records.read(target)
        except records.RecordError as exc:
            raise MergeError(f"{exc}; fix or remove it before merging; nothing written") from None
        if records.encode(existing["kind"], {k: v for k, v in existing.items()
                                             if k not in ("format", "schema", "kind")}) == text:
            report.unchanged += 1
        elif _rank(data) > _rank(existing):
            _supersede(results, target, existing, writes)
            writes[target] = text
            report.replaced.append((target, source, f"{_describe(data, source)} replaces "
                                                    f"{_describe(existing, 'the existing record')}"))
        else:
            _supersede(results, target, data, writes)
            report.kept.append((target, f"{_describe(existing, 'existing')} is newer than "
                                        f"{_describe(data, source)}"))
    _write(results, writes)
    return report


def _write(results: Path, writes: dict) -> None:
    """Write the planned files (each atomically), after checking that every one lies under the
    results directory; first remove what an earlier merge killed mid-write left behind."""
    for path in writes:
        try:
            records.under(results, path.relative_to(results))
        except (ValueError, records.RecordError) as exc:
            raise MergeError(f"refused, nothing written: {exc}") from None
    records.remove_abandoned_temporaries(results)
    for path, text in writes.items():
        try:
            records.write_text(path, text)
        except records.RecordError as exc:
            raise MergeError(f"{exc} (the files before it were merged; run the merge again)") from None


def superseded_path(results: Path, target: Path, data: dict) -> Path:
    """results/superseded/<the target's place>/<name>.<start time>.json, from validated parts
    only (the start time matched records.STARTED when the record was read)."""
    relative = target.relative_to(results)
    started = data.get("started")
    stamp = started.replace(":", "") if isinstance(started, str) and records.STARTED.match(started) \
        else "undated"
    return records.under(results, "superseded", *relative.parent.parts, f"{relative.stem}.{stamp}.json")


def _supersede(results: Path, target: Path, data: dict, writes: dict) -> None:
    """Keep a losing record (not read as a result) so that no record is ever lost."""
    if data["kind"] == "machine":
        return
    path = superseded_path(results, target, data)
    text = json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n"
    if path in writes or not path.exists() or path.read_text() != text:
        writes[path] = text
