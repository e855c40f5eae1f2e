"""One Colab cell, rendered from the one repository URL, opens every notebook.

Also: README's Colab links come from that URL, and the package's declared
dependencies are only what the lessons need at run time.
"""

import re
import subprocess
import sys
import tomllib
import types

import jupytext
import nbformat
import pytest
from packaging.requirements import Requirement

from chapters.common import colab
from tools import colab_cell

ROOT = colab_cell.ROOT
URL = colab_cell.repository_url()
CELL = colab_cell.colab_cell(URL)
TWINS = colab_cell.notebook_twins()
NOTEBOOKS = [path.with_suffix(".ipynb") for path in TWINS]
# What tests, notebooks and linting need, never the lessons themselves.
DEVELOPMENT_TOOLS = {
    "pytest",
    "ruff",
    "jupytext",
    "nbval",
    "jupyterlab",
    "ipykernel",
    "nbconvert",
    "nbformat",
    "nbclient",
}
# Versions preinstalled on Colab runtimes (2025): the bounds must keep them.
COLAB_VERSIONS = {
    "tensorflow": ["2.18.0", "2.19.0"],
    "keras": ["3.8.0", "3.10.0"],
    "numpy": ["1.26.4", "2.0.2"],
    "matplotlib": ["3.10.0", "3.10.7"],
}


def project():
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]


def first_code_cell(notebook):
    return next(cell for cell in notebook.cells if cell.cell_type == "code").source


@pytest.mark.parametrize("twin", TWINS, ids=lambda p: p.name)
def test_twin_opens_with_the_canonical_colab_cell(twin):
    assert first_code_cell(jupytext.read(twin)) == CELL.rstrip("\n"), (
        f"{twin.name}: run `python -m tools.colab_cell --write`"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_with_the_canonical_colab_cell(notebook):
    source = first_code_cell(nbformat.read(notebook, as_version=4))
    assert source == CELL.rstrip("\n"), (
        f"{notebook.name}: regenerate it from its .py twin"
    )


def test_the_url_is_written_only_in_pyproject():
    owner_and_name = URL.removeprefix(colab_cell.GITHUB)
    sources = [
        *ROOT.glob("chapters/**/*.py"),
        *ROOT.glob("tools/*.py"),
        *ROOT.glob("tests/*.py"),
        ROOT / "Makefile",
        ROOT / "requirements.txt",
        ROOT / ".ci" / "run",
    ]
    written = [p.name for p in sources if owner_and_name in p.read_text("utf-8")]
    assert not written, f"{written} hard-code the URL; read it from pyproject.toml"


def test_cell_is_python_that_names_the_url():
    compile(CELL, "colab_cell", "exec")
    assert f'COURSE_URL = "{URL}"' in CELL
    assert "setup_colab()" in CELL


@pytest.mark.parametrize("url", ["", "github.com/a/b", 'https://github.com/a/b"'])
def test_cell_refuses_a_url_that_is_not_github(url):
    with pytest.raises(ValueError, match="url"):
        colab_cell.colab_cell(url)


class Recorder:
    def __init__(self, returncode, stderr=""):
        self.returncode = returncode
        self.stderr = stderr
        self.commands = []

    def __call__(self, command, **kwargs):
        self.commands.append(command)
        return subprocess.CompletedProcess(command, self.returncode, "", self.stderr)


@pytest.fixture
def in_colab(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))


def test_cell_does_nothing_outside_colab(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    run = Recorder(0)
    monkeypatch.setattr(subprocess, "run", run)
    exec(CELL, {})
    assert run.commands == []


def test_cell_installs_the_course_then_sets_up_colab(in_colab, monkeypatch):
    run = Recorder(0)
    monkeypatch.setattr(subprocess, "run", run)
    setups = []
    monkeypatch.setattr(colab, "setup_colab", lambda: setups.append(True))
    exec(CELL, {})
    assert run.commands == [
        [sys.executable, "-m", "pip", "install", "-q", f"git+{URL}"]
    ]
    assert setups == [True]


def test_cell_stops_at_once_when_the_install_fails(in_colab, monkeypatch):
    run = Recorder(1, stderr="fatal: unable to access: Could not resolve host")
    monkeypatch.setattr(subprocess, "run", run)
    setups = []
    monkeypatch.setattr(colab, "setup_colab", lambda: setups.append(True))
    with pytest.raises(RuntimeError) as raised:
        exec(CELL, {})
    message = str(raised.value)
    assert URL in message and "Could not resolve host" in message
    assert "run this cell again" in message
    assert setups == []


def test_replacing_the_first_code_cell_leaves_the_rest():
    twin = (
        "# %% [markdown]\n# # Title\n\n"
        "# %%\nold = 1\nold = 2\n\n"
        "# %% [markdown]\n# Text\n\n"
        "# %%\nkept = 3\n"
    )
    new = colab_cell.replace_first_code_cell(twin, "new = 1\n")
    assert new == twin.replace("old = 1\nold = 2\n", "new = 1\n")
    assert colab_cell.replace_first_code_cell(new, "new = 1\n") == new
    with pytest.raises(ValueError, match="no code cell"):
        colab_cell.replace_first_code_cell("# %% [markdown]\n# Text\n", "x = 1")


def test_readme_colab_links_come_from_the_url():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert colab_cell.readme_links(URL) in readme, (
        "README's Colab links are stale: run `python -m tools.colab_cell --write`"
    )
    links = re.findall(r"https://colab\.research\.google\.com/github/[^)\s]+", readme)
    linked = {link.split(f"/blob/{colab_cell.BRANCH}/", 1)[1] for link in links}
    expected = {path.relative_to(ROOT).as_posix() for path in NOTEBOOKS}
    assert linked == expected
    prefix = "https://colab.research.google.com/github/" + URL.removeprefix(
        colab_cell.GITHUB
    )
    assert all(link.startswith(prefix + "/blob/") for link in links)


def test_dependencies_are_what_the_lessons_need_at_run_time():
    requirements = [Requirement(line) for line in project()["dependencies"]]
    names = {requirement.name for requirement in requirements}
    assert names == {"tensorflow", "keras", "numpy", "matplotlib", "sacrebleu"}
    assert not names & DEVELOPMENT_TOOLS
    # Colab installs the tensorflow-text matching its TensorFlow (setup_colab).
    assert "tensorflow-text" not in names


def test_dependency_bounds_keep_colab_and_the_local_pins():
    requirements = {
        requirement.name: requirement
        for requirement in map(Requirement, project()["dependencies"])
    }
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    for name, requirement in requirements.items():
        assert requirement.specifier.contains(pins[name]), (name, pins[name])
        for version in COLAB_VERSIONS.get(name, []):
            assert requirement.specifier.contains(version), (name, version)


def test_only_the_chapters_packages_are_installed():
    with open(ROOT / "pyproject.toml", "rb") as file:
        find = tomllib.load(file)["tool"]["setuptools"]["packages"]["find"]
    assert find == {"include": ["chapters*"]}
