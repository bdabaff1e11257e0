"""Text about machine classes: `harness machine` and the classes section of portability.md."""
from __future__ import annotations

from ..derive import classes


def decider_lines() -> list:
    """What decides the code path per stack, and whether a record shows it or it is a hypothesis."""
    rows = [("TensorFlow >= 2.9", classes.ONEDNN), ("TensorFlow < 2.9 (Eigen)", classes.EIGEN_VENDOR),
            ("torch", classes.MKL_VENDOR)]
    lines = [f"- {stack}: {rule.fact} ({'shown by a record' if rule.established else 'hypothesis'})"
             for stack, rule in rows]
    return lines + ["- Theano, JAX: one class per architecture (no split in the records)"]


def machine_report(machine_id: str, info: dict, cells: list, known: dict) -> str:
    """This machine's id, class and the facts behind it; per stack, its class and the recorded
    machines in the same class (`known`: {machine id: info})."""
    found = classes.facts(info)
    lines = [f"machine   {machine_id}",
             f"class     {classes.machine_class(info)}",
             f"cpu       {info.get('cpu_model')} ({info.get('cpu_vendor')}, family/model "
             f"{info.get('cpu_family_model')}), {info.get('cores')} cores, {info.get('machine')}",
             f"oneDNN    {'on' if found['onednn_default'] else 'off'} by default in TensorFlow >= 2.9"
             + (f" ({', '.join(found['onednn_flags'])})" if found["onednn_flags"] else
                " (no AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX)"),
             "", "per stack (the class predicts its fingerprints; machines of the same class in the records):"]
    for cell in cells:
        mine = classes.cell_class(info, cell)
        same = sorted(m for m, other in known.items() if m != machine_id
                      and classes.cell_class(other, cell) == mine)
        lines.append(f"  {cell['name']:48s} {mine:16s} {' '.join(m[:4] for m in same) or '(none recorded)'}")
    return "\n".join(lines + ["", "what decides the code path:"] + decider_lines())
