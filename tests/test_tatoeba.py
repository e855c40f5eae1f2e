"""Tests of the Tatoeba loader: where it looks, what it reads, how it splits.

No test touches the network: the download is replaced by a function that writes
a zip made here. Sentences in the fixture files are written for these tests.
"""

import collections
import io
import os
import urllib.error
import zipfile

import pytest

from chapters.common import tatoeba
from chapters.common.tatoeba import (
    CORPUS_URL,
    CORPUS_VARIABLE,
    Corpus,
    CorpusNotFoundError,
    SentencePair,
    corpus_path,
    load_corpus,
    split_corpus,
    split_name,
    translation_pairs,
)

# A made-up third column: the loader reads it as the attribution and ignores it.
ATTRIBUTION = "CC-BY 2.0 (France) Attribution: invented for this test"
# A byte-order mark, Windows line ends, a blank line, malformed lines, a line
# without attribution, full-width letters and digits, ASCII punctuation in
# Chinese, and a blank line at the end as in real downloads.
FIXTURE_LINES = [
    f"\ufeffThe robot paints.\t机器人在画画。\t{ATTRIBUTION}",
    f"Is the robot tired?\t机器人累了吗?\t{ATTRIBUTION}",
    "",
    "a line without any tab",
    f"Only English\t\t{ATTRIBUTION}",
    "Robots need ２ ＡＰＰｓ.\t机器人需要２个ＡＰＰ！",
    f"the robot paints.\t机器人画画。\t{ATTRIBUTION}",
    "",
]


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No corpus variable and an empty cache: only what a test sets up is found."""
    monkeypatch.delenv(CORPUS_VARIABLE, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv(tatoeba.CACHE_VARIABLE, str(cache))
    return cache


def write_fixture(folder, name="cmn.txt"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes("".join(line + "\r\n" for line in FIXTURE_LINES).encode("utf-8"))
    return path


def test_reads_the_anki_format_despite_bom_crlf_and_bad_lines(isolated, tmp_path):
    path = write_fixture(tmp_path / "data")
    with pytest.warns(UserWarning, match="Skipped 2 malformed lines.*line 4"):
        corpus = load_corpus(path)
    assert isinstance(corpus, Corpus)
    assert corpus.path == path
    assert corpus.skipped_lines == 4  # Two blank lines, two malformed ones.
    assert list(corpus.pairs) == [
        SentencePair("The robot paints.", "机器人在画画。"),
        SentencePair("Is the robot tired?", "机器人累了吗？"),
        SentencePair("Robots need 2 APPs.", "机器人需要2个APP！"),
        SentencePair("the robot paints.", "机器人画画。"),
    ]


def test_a_file_without_pairs_is_refused(isolated, tmp_path):
    path = tmp_path / "cmn.txt"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="no sentence pairs"):
        load_corpus(path)


def test_finds_the_file_in_the_documented_order(isolated, tmp_path, monkeypatch):
    given = write_fixture(tmp_path / "given", "cmn-eng.txt")
    from_variable = write_fixture(tmp_path / "variable")
    cached = write_fixture(isolated)
    assert corpus_path() == cached
    monkeypatch.setenv(CORPUS_VARIABLE, str(from_variable.parent))
    assert corpus_path() == from_variable
    assert corpus_path(given.parent) == given
    assert corpus_path(str(given)) == given


def test_a_wrong_place_is_an_error_not_a_fallback(isolated, tmp_path, monkeypatch):
    write_fixture(isolated)
    with pytest.raises(CorpusNotFoundError, match="path="):
        corpus_path(tmp_path / "missing")
    monkeypatch.setenv(CORPUS_VARIABLE, str(tmp_path / "missing"))
    with pytest.raises(CorpusNotFoundError, match=CORPUS_VARIABLE):
        corpus_path()


def test_offline_without_a_file_says_how_to_get_it(isolated):
    with pytest.raises(CorpusNotFoundError) as raised:
        load_corpus(download=False)
    message = str(raised.value)
    assert isinstance(raised.value, FileNotFoundError)
    for hint in (CORPUS_URL, CORPUS_VARIABLE, str(isolated)):
        assert hint in message


def fake_download(tmp_path, calls):
    """A stand-in for `download_file` that writes a zip like manythings.org's."""
    archive = tmp_path / "made-here.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        opened.writestr("cmn.txt", "\r\n".join(FIXTURE_LINES[:2]) + "\r\n")
        opened.writestr("_about.txt", "about the file")

    def download(url, destination):
        calls.append(url)
        destination.write_bytes(archive.read_bytes())

    return download


def test_downloads_once_into_the_cache(isolated, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(tatoeba, "download_file", fake_download(tmp_path, calls))
    corpus = load_corpus()
    assert calls == [CORPUS_URL]
    assert corpus.path == isolated / "cmn.txt"
    assert len(corpus) == 2
    assert sorted(path.name for path in isolated.iterdir()) == ["cmn.txt"]
    load_corpus()
    assert calls == [CORPUS_URL]
    # An explicit cache folder wins over the variable.
    other = tmp_path / "other-cache"
    assert load_corpus(cache_dir=other).path == other / "cmn.txt"
    assert calls == [CORPUS_URL, CORPUS_URL]


def test_a_failed_download_says_how_to_get_the_file(isolated, monkeypatch):
    def refuse(url, destination):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(tatoeba, "download_file", refuse)
    with pytest.raises(CorpusNotFoundError, match="no network.*COURSE_CORPUS_DIR"):
        load_corpus()
    assert not any(isolated.iterdir())


def test_offline_lessons_get_toy_pairs_in_place_of_tatoeba(isolated, monkeypatch):
    def refuse(url, destination):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(tatoeba, "download_file", refuse)
    monkeypatch.setattr(tatoeba, "TOY_STAND_IN_PAIRS", 200)
    with pytest.warns(UserWarning, match="(?s)no network.*toy-grammar pairs"):
        corpus = tatoeba.load_corpus_or_toy()
    assert corpus.path == tatoeba.TOY_STAND_IN_PATH
    assert 0 < len(corpus.pairs) <= 200
    assert len(set(corpus.pairs)) == len(corpus.pairs)
    assert all(pair.chinese.endswith(("。", "？")) for pair in corpus.pairs)
    assert set(tatoeba.split_corpus(corpus.pairs)) == set(tatoeba.SPLITS)


def refuse_download(url, destination):
    raise OSError("no network")


@pytest.mark.parametrize(
    ("where", "received"),
    [
        ("path", "path="),  # A folder that does not exist.
        ("variable", f"{CORPUS_VARIABLE}="),  # A folder without the corpus.
        ("variable file", f"{CORPUS_VARIABLE}="),  # A file name mistyped.
    ],
)
def test_a_mistyped_place_is_never_replaced_by_the_stand_in(
    isolated, tmp_path, monkeypatch, where, received
):
    # Offline with an empty cache: the stand-in would be used if the place were
    # ignored, and the lesson would report toy-grammar numbers as Tatoeba's.
    monkeypatch.setattr(tatoeba, "download_file", refuse_download)
    (tmp_path / "empty").mkdir()
    path = None
    if where == "path":
        path = location = tmp_path / "missing"
    elif where == "variable":
        location = tmp_path / "empty"
    else:
        location = tmp_path / "empty" / "cmn-eng.text"
    if where != "path":
        monkeypatch.setenv(CORPUS_VARIABLE, str(location))
    with pytest.raises(CorpusNotFoundError) as raised:
        tatoeba.load_corpus_or_toy(path)
    message = str(raised.value)
    assert f"Received: {received}{str(location)!r}" in message
    assert "cmn.txt" in message and CORPUS_URL in message


def test_a_file_that_is_not_the_corpus_is_refused_not_replaced(isolated, tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("Some notes, not sentence pairs.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="notes.txt"):
        tatoeba.load_corpus_or_toy(other)


def test_a_cache_that_cannot_be_created_still_gives_the_stand_in(
    isolated, tmp_path, monkeypatch
):
    # As with HOME=/nonexistent or a read-only home: the cache folder cannot be
    # made (here it would sit below a regular file), and the download fails.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(tatoeba.CACHE_VARIABLE, str(blocker / "cache"))
    monkeypatch.setattr(tatoeba, "download_file", refuse_download)
    monkeypatch.setattr(tatoeba, "TOY_STAND_IN_PAIRS", 200)
    with pytest.raises(CorpusNotFoundError, match=tatoeba.CACHE_VARIABLE):
        load_corpus()
    with pytest.warns(UserWarning, match="toy-grammar pairs"):
        corpus = tatoeba.load_corpus_or_toy()
    assert corpus.is_stand_in


@pytest.mark.parametrize(
    ("interruption", "raised"),
    [
        (OSError(28, "No space left on device"), CorpusNotFoundError),
        (KeyboardInterrupt(), KeyboardInterrupt),
    ],
)
def test_an_interrupted_unzip_leaves_no_corpus_file(
    isolated, tmp_path, monkeypatch, interruption, raised
):
    monkeypatch.setattr(tatoeba, "download_file", fake_download(tmp_path, []))
    copy = tatoeba.shutil.copyfileobj

    def copy_some_then_fail(source, target, *args, **kwargs):
        target.write(source.read(10))
        target.flush()
        raise interruption

    monkeypatch.setattr(tatoeba.shutil, "copyfileobj", copy_some_then_fail)
    with pytest.raises(raised):
        load_corpus()
    # Neither a truncated cmn.txt that later runs would read, nor a leftover.
    assert list(isolated.iterdir()) == []
    monkeypatch.setattr(tatoeba.shutil, "copyfileobj", copy)
    assert len(load_corpus()) == 2


def test_a_corpus_too_small_to_split_says_so():
    pairs = [
        SentencePair(f"Robot number {i} paints.", f"{i}号机器人在画画。")
        for i in range(3)
    ]
    assert {split_name(pair.english) for pair in pairs} != set(tatoeba.SPLITS)
    with pytest.raises(ValueError, match=r"too small to split.*3 pairs") as raised:
        split_corpus(pairs)
    counts = collections.Counter(split_name(pair.english) for pair in pairs)
    for name in tatoeba.SPLITS:
        assert f"{name} {counts[name]}" in str(raised.value)


def test_the_stand_in_is_not_used_when_tatoeba_is_there(isolated, tmp_path):
    write_fixture(isolated)
    with pytest.warns(UserWarning, match="malformed"):  # the fixture has two
        corpus = tatoeba.load_corpus_or_toy()
    assert corpus.path == isolated / "cmn.txt"


def test_download_file_sends_a_browser_user_agent(tmp_path, monkeypatch):
    requests = []

    def urlopen(request, timeout):
        requests.append(request)
        return io.BytesIO(b"zip bytes")

    monkeypatch.setattr(tatoeba.urllib.request, "urlopen", urlopen)
    destination = tmp_path / "cmn-eng.zip"
    tatoeba.download_file(CORPUS_URL, destination)
    assert destination.read_bytes() == b"zip bytes"
    assert requests[0].full_url == CORPUS_URL
    assert requests[0].get_header("User-agent").startswith("Mozilla/5.0")
    assert os.listdir(tmp_path) == ["cmn-eng.zip"]


def test_split_is_stable_and_ignores_case():
    # Fixed for good: a change would move test sentences into training.
    expected = {
        "Robot number 0 paints.": "train",
        "Robot number 5 paints.": "test",
        "Robot number 10 paints.": "validation",
    }
    assert {sentence: split_name(sentence) for sentence in expected} == expected
    assert split_name("THE ROBOT PAINTS.") == split_name("the robot paints.")
    with pytest.raises(TypeError, match="english"):
        split_name(None)


def test_split_sizes_are_about_80_10_10():
    counts = collections.Counter(split_name(f"sentence {i}") for i in range(20_000))
    assert counts["train"] / 20_000 == pytest.approx(0.8, abs=0.01)
    assert counts["validation"] / 20_000 == pytest.approx(0.1, abs=0.01)
    assert counts["test"] / 20_000 == pytest.approx(0.1, abs=0.01)


def test_translations_of_one_sentence_share_a_split():
    pairs = [
        SentencePair(f"Sentence {i}.", chinese)
        for i in range(200)
        for chinese in (f"句子{i}。", f"第{i}句。")
    ]
    splits = split_corpus(pairs)
    assert sorted(splits) == ["test", "train", "validation"]
    assert sum(len(split) for split in splits.values()) == len(pairs)
    assert_no_straddling(splits)
    with pytest.raises(TypeError, match="SentencePair"):
        split_corpus([("Hello, robot.", "你好，机器人。")])


def assert_no_straddling(splits):
    seen = {}
    for name, pairs in splits.items():
        for pair in pairs:
            assert seen.setdefault(pair.english.lower(), name) == name


def test_translation_pairs_in_both_directions():
    pairs = [SentencePair("Hello, robot.", "你好，机器人。")]
    assert translation_pairs(pairs) == [("你好，机器人。", "Hello, robot.")]
    assert translation_pairs(pairs, "en-zh") == [("Hello, robot.", "你好，机器人。")]
    with pytest.raises(ValueError, match="'zh-fr'"):
        translation_pairs(pairs, "zh-fr")


def test_the_real_corpus():
    try:
        corpus = load_corpus(download=False)
    except FileNotFoundError:
        pytest.skip("The Tatoeba corpus is not available offline.")
    assert len(corpus) > 20_000
    assert corpus.skipped_lines < 10
    assert not corpus.pairs[0].english.startswith("\ufeff")
    # Chinese sentences end in full-width punctuation, never ASCII "?" or "!".
    assert not any(pair.chinese[-1] in "?!," for pair in corpus.pairs)
    splits = split_corpus(corpus)
    assert_no_straddling(splits)
    for name, share in (("train", 0.8), ("validation", 0.1), ("test", 0.1)):
        assert len(splits[name]) / len(corpus) == pytest.approx(share, abs=0.02)
