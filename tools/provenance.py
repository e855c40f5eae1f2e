"""What a measurement was made on: the machine, the library versions, and the
process's peak memory. Shared by `tools.results` and `tools.run_course`."""

import os
import pathlib
import platform
import sys

from chapters.common import scales


def machine():
    """What the numbers were measured on: processor, cores, memory, system."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):  # not on every system
        memory = None
    processor = platform.processor()
    cpuinfo = pathlib.Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                processor = line.split(":", 1)[1].strip()
                break
    return {
        "system": platform.platform(),
        "processor": processor,
        "cores": os.cpu_count(),
        "memory_gib": None if memory is None else round(memory, 1),
        "gpu": scales.gpu_available(),
    }


def peak_memory_mib():
    """This process's peak resident memory so far, in MiB (`None` where the
    system does not say)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux counts kibibytes, macOS bytes.
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def versions():
    """The versions of Python and of the libraries the results depend on."""
    from importlib import metadata

    found = {"python": platform.python_version()}
    for package in ("tensorflow", "keras", "tensorflow-text", "numpy", "sacrebleu"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found
