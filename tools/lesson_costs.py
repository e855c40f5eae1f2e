"""What each lesson costs at each scale: its wall time and the peak memory of
its kernel, recorded by `python -m tools.run_course --record`, kept in
`data/results/<scale>/lessons.json`, and written into the README's lesson table
(between `<!-- lessons:start -->` and `<!-- lessons:end -->`).

    python -m tools.lesson_costs   # rewrite that table from the stored figures

The time is the notebook's whole run on a fresh kernel, kernel start included.
The memory is the kernel process's peak resident set (`VmHWM` in Linux's
`/proc/<pid>/status`), sampled after every cell: it leaves out any process the
lesson starts (lesson 6a's fresh process, for one), and it is `None` where the
system does not report it.
"""

import datetime
import json
import pathlib

from tools import readme_blocks

LESSONS_FILE = "lessons.json"
MARKERS = ("<!-- lessons:start -->", "<!-- lessons:end -->")
SCALE_ORDER = ("ci", "cpu", "gpu")


def kernel_peak_memory_mib(pid):
    """The peak resident memory of process `pid` so far, in MiB, or `None`."""
    try:
        status = pathlib.Path(f"/proc/{int(pid)}/status").read_text()
    except (OSError, TypeError, ValueError):  # no /proc, no pid, or it has ended
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):  # "VmHWM:   123456 kB"
            return round(int(line.split()[1]) / 1024, 1)
    return None


def record(folder, name, seconds, peak_memory_mib, machine):
    """Adds (or replaces) lesson `name`'s figures in `folder/lessons.json`.

    Args:
        folder: `data/results/<scale>`.
        name: the lesson's file stem, e.g. `"03d_alignments_and_length_curves"`.
        seconds: its wall time.
        peak_memory_mib: its kernel's peak memory, or `None`.
        machine: `provenance.machine()`, stored with the lesson's figures.
    """
    path = pathlib.Path(folder) / LESSONS_FILE
    stored = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    stored[name] = {
        "seconds": round(seconds, 1),
        "peak_memory_mib": peak_memory_mib,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(dict(sorted(stored.items())), ensure_ascii=False, indent=1),
        encoding="utf-8",
    )


def title(source):
    """A lesson's title: its twin's first `# # ` heading, less "Lesson "."""
    for line in pathlib.Path(source).read_text(encoding="utf-8").splitlines():
        if line.startswith("# # "):
            return line[len("# # ") :].removeprefix("Lesson ").strip()
    return pathlib.Path(source).stem


def table(results_root, sources):
    """The README's lesson table, as Markdown: a row per source, a time and a
    memory column per scale that has a `lessons.json`, then how each scale's
    figures were made. A lesson not measured at a scale shows a dash."""
    recorded = {}
    for scale in SCALE_ORDER:
        path = pathlib.Path(results_root) / scale / LESSONS_FILE
        if path.is_file():
            recorded[scale] = json.loads(path.read_text(encoding="utf-8"))
    if not recorded:
        raise ValueError(
            f"No lesson has been measured: {results_root}/<scale>/{LESSONS_FILE} "
            "is missing. Run `python -m tools.run_course --record` first."
        )
    header = ["lesson"]
    for scale in recorded:
        header += [f"`{scale}` time", f"`{scale}` peak memory"]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for source in sources:
        cells = [title(source)]
        for figures in recorded.values():
            lesson = figures.get(pathlib.Path(source).stem)
            if lesson is None:
                cells += ["–", "–"]
                continue
            memory = lesson["peak_memory_mib"]
            cells.append(f"{lesson['seconds']:,.0f} s")
            cells.append("–" if memory is None else f"{memory:,.0f} MiB")
        lines.append("| " + " | ".join(cells) + " |")
    stems = [pathlib.Path(source).stem for source in sources]
    cells = [f"all {len(stems)} lessons"]
    for figures in recorded.values():
        measured = [figures[stem] for stem in stems if stem in figures]
        memories = [m["peak_memory_mib"] for m in measured if m["peak_memory_mib"]]
        seconds = sum(lesson["seconds"] for lesson in measured)
        cells.append(f"{seconds / 60:,.1f} min ({len(measured)} measured)")
        cells.append(f"{max(memories):,.0f} MiB at most" if memories else "–")
    lines += ["| " + " | ".join(cells) + " |", ""]
    for scale, figures in recorded.items():
        dates = sorted({lesson["date"][:10] for lesson in figures.values()})
        machine = next(iter(figures.values()))["machine"]
        when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
        lines.append(
            f"- `{scale}`: measured {when} on "
            f"{machine['processor']}, {machine['cores']} cores, "
            f"{machine['memory_gib']} GiB; "
            f"`COURSE_SCALE={scale} python -m tools.run_course --record`."
        )
    return "\n".join(lines)


def write_readme(readme, results_root, sources):
    """Rewrites the README's lesson table from the recorded figures."""
    readme_blocks.replace_block(readme, *MARKERS, table(results_root, sources))


def main():
    from tools.run_course import ROOT, lesson_sources  # run_course imports this

    readme = ROOT / "README.md"
    write_readme(readme, ROOT / "data" / "results", lesson_sources("lessons"))
    print(f"rewrote the lesson table of {readme}")


if __name__ == "__main__":
    main()
