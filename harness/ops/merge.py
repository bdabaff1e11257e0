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
    """[(data, source path)] of every record under the sources; MergeError names bad files."""
    found, problems = [], []
    for source in sources:
        source = Path(source)
        if not source.is_dir():
            raise MergeError(f"{source}: not a results directory")
        files = records.iter_files(source)
        if not files:
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


def merge(sources, results: Path) -> MergeReport:
    results = Path(results)
    incoming = read_sources(sources)
    report = MergeReport()
    best = {}
    for data, source in incoming:  # the best of the incoming records per key, losers noted
        target = records.canonical_path(results, data)
        if target in best and _rank(best[target][0]) >= _rank(data):
            _supersede(results, target, data, report, source)
            continue
        if target in best:
            _supersede(results, target, best[target][0], report, best[target][1])
        best[target] = (data, source)
    for target, (data, source) in sorted(best.items()):
        body = {k: v for k, v in data.items() if k not in ("format", "schema", "kind")}
        text = records.encode(data["kind"], body)
        if not target.exists():
            records.write_text(target, text)
            report.added.append(target)
            continue
        try:
            existing = records.read(target)
        except records.RecordError as exc:
            raise MergeError(f"{exc}; fix or remove it before merging") from None
        if records.encode(existing["kind"], {k: v for k, v in existing.items()
                                             if k not in ("format", "schema", "kind")}) == text:
            report.unchanged += 1
        elif _rank(data) > _rank(existing):
            _supersede(results, target, existing, report, target)
            records.write_text(target, text)
            report.replaced.append((target, source, f"{_describe(data, source)} replaces "
                                                    f"{_describe(existing, 'the existing record')}"))
        else:
            _supersede(results, target, data, report, source)
            report.kept.append((target, f"{_describe(existing, 'existing')} is newer than "
                                        f"{_describe(data, source)}"))
    return report


def superseded_path(results: Path, target: Path, data: dict) -> Path:
    relative = target.relative_to(results)
    stamp = (data.get("started") or "undated").replace(":", "")
    return results / "superseded" / relative.parent / f"{relative.stem}.{stamp}.json"


def _supersede(results: Path, target: Path, data: dict, report, source) -> None:
    """Keep a losing record (not read as a result) so that no record is ever lost."""
    if data["kind"] == "machine":
        return
    path = superseded_path(results, target, data)
    text = json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n"
    if not path.exists() or path.read_text() != text:
        records.write_text(path, text)
