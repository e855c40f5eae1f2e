"""`make results` (`tools/results.py`) at the `ci` scale: it runs end to end,
writes its files in the expected schema and the README's block, and a second
run reads every model's results back instead of training again."""

import csv
import json
import pathlib

import pytest

from tools import results

README = """# Course

Text before.

<!-- results:ci:start -->
old numbers
<!-- results:ci:end -->

Text after.
"""


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """One run into fresh folders: trains the `ci` comparison."""
    folder = tmp_path_factory.mktemp("results-run")
    store = folder / "store"
    readme = folder / "README.md"
    readme.write_text(README, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_RESULTS_DIR", str(store))
        patch.setenv("COURSE_SCALE", "ci")
        record = results.main(["--out", str(folder / "out"), "--readme", str(readme)])
    return folder, record


def test_the_files_hold_the_expected_schema(first_run):
    folder, record = first_run
    out = folder / "out" / "ci"
    stored = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert stored["schema_version"] == results.SCHEMA_VERSION
    assert stored["scale"] == "ci"
    for key in ("date", "machine", "versions", "corpus", "tatoeba", "length_curve"):
        assert key in stored, key
    assert {"processor", "cores", "memory_gib"} <= set(stored["machine"])
    assert {"tensorflow", "keras", "sacrebleu"} <= set(stored["versions"])
    assert {"path", "sha256", "pairs", "credit"} <= set(stored["corpus"])
    assert "CC-BY 2.0" in stored["corpus"]["credit"]
    assert len(stored["trained"]) == len(results.comparison.MODELS) + 1
    for made in stored["trained"].values():
        assert made["date"] and made["versions"]["tensorflow"]
    test = stored["tatoeba"]["test"]
    assert test["sentences"] > 0 and test["source_characters_max"] > 0
    models = stored["tatoeba"]["models"]
    assert list(models) == list(results.comparison.MODELS)
    for values in models.values():
        assert 0 <= values["bleu_greedy"] <= 100 and values["parameters"] > 0
    with open(out / "tatoeba.csv", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["model", *results.TATOEBA_COLUMNS]
    assert [row[0] for row in rows[1:]] == list(models)
    with open(out / "length_curve.csv", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0][2:] == list(stored["length_curve"]["bleu"])
    assert len(rows) == 1 + len(stored["length_curve"]["labels"])
    with open(out / "alignment.csv", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["model", *results.ALIGNMENT_COLUMNS]
    assert rows[-1][0] == "diagonal baseline" and len(rows) == 5
    assert list(stored["translators"]) == list(models)
    for path in stored["translators"].values():
        assert pathlib.Path(path).is_file()
    for plot in ("final_comparison.png", "length_curve.png"):
        assert (out / plot).read_bytes()[:4] == b"\x89PNG"
    assert record["tatoeba"]["models"] == models


def test_the_readme_block_is_rewritten_and_the_rest_kept(first_run):
    folder, record = first_run
    text = (folder / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# Course\n\nText before.\n")
    assert text.endswith("<!-- results:ci:end -->\n\nText after.\n")
    assert "old numbers" not in text
    for name, values in record["tatoeba"]["models"].items():
        assert f"| {name} | {values['parameters']:,} |" in text
    assert "out/ci/final_comparison.png" in text
    alignment = record["length_curve"]["alignment"]
    for name in ("GRU + additive (ch. 3)", "diagonal baseline"):
        assert f"| {name} | {alignment[name]['agreement']:.1%} |" in text


def test_a_second_run_reads_every_result_back(first_run, capsys):
    folder, record = first_run
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_RESULTS_DIR", str(folder / "store"))
        patch.setenv("COURSE_SCALE", "ci")
        again = results.main(["--out", str(folder / "again"), "--readme", ""])
    printed = capsys.readouterr().out
    assert printed.count("reused: ") == len(results.comparison.MODELS) + 1
    assert "training again" not in printed and "wrote: " not in printed
    assert again["tatoeba"]["models"] == record["tatoeba"]["models"]
    assert again["length_curve"] == record["length_curve"]
    assert len(record["made_in_this_run"]) == len(record["trained"])
    assert again["made_in_this_run"] == []


def test_a_readme_without_the_markers_is_refused(first_run, tmp_path):
    _, record = first_run
    readme = tmp_path / "README.md"
    readme.write_text("# No block here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="results:ci:start"):
        results.write_readme(readme, record, "results/ci")


def test_a_toy_stand_in_is_never_called_tatoeba(first_run):
    _, record = first_run
    offline = {
        **record,
        "corpus": {**record["corpus"], "stand_in": True, "sha256": None},
    }
    block = results.readme_block(offline, "results/ci")
    first_line = block.splitlines()[0]
    assert "Toy-grammar stand-in for Tatoeba" in first_line
    assert "not Tatoeba's results" in first_line and "SHA-256" not in first_line
    assert "Tatoeba zh-en" not in block


def test_a_readme_without_the_markers_is_refused_before_any_training(
    tmp_path, monkeypatch, capsys
):
    def no_training(*args, **kwargs):
        raise AssertionError("trained before the README was checked")

    monkeypatch.setattr(results, "collect", no_training)
    monkeypatch.setenv("COURSE_SCALE", "ci")
    readme = tmp_path / "README.md"
    readme.write_text("# No block here\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        results.main(["--out", str(tmp_path / "out"), "--readme", str(readme)])
    assert exited.value.code == 2
    assert "results:ci:start" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_readme_block_can_be_rewritten_from_the_stored_files(first_run, tmp_path):
    folder, record = first_run
    readme = tmp_path / "README.md"
    readme.write_text(README, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_SCALE", "ci")
        patch.setattr(results, "collect", None)  # nothing may run
        stored = results.main(
            ["--out", str(folder / "out"), "--readme", str(readme), "--from-files"]
        )
    assert stored["tatoeba"] == json.loads(json.dumps(record["tatoeba"]))
    block = readme.read_text(encoding="utf-8")
    assert "made all 5 stored results (nothing was stored before)" in block
    parameters = record["tatoeba"]["models"]["GRU (ch. 2)"]["parameters"]
    assert block.count(f"| GRU (ch. 2) | {parameters:,} |") == 1
