"""The real corpus: Tatoeba Chinese-English sentence pairs, found, read and split.

manythings.org publishes Tatoeba's sentence pairs (CC-BY 2.0 France) in the Anki
format, one pair per line: `English<TAB>Chinese<TAB>attribution`. `load_corpus`
finds the file, in this order:

1. the path you pass (the file itself, or a folder holding it);
2. the folder or file named by the environment variable `COURSE_CORPUS_DIR`;
3. the download cache (`~/.cache/seq2seq-course`, or `COURSE_CACHE_DIR`);
4. a download of `cmn-eng.zip` from manythings.org into that cache.

It strips a byte-order mark, accepts Windows line ends, skips blank and
malformed lines (counting them and warning about the malformed ones), and
normalizes both sides with `tokenizers.normalize` (NFKC, and full-width Chinese
punctuation; see `chapters/common/tokenizers.py`).

Offline and without a copy, `load_corpus` raises `CorpusNotFoundError`, whose
message says where to put the file. The lessons call `load_corpus_or_toy`
instead, which then puts the course's own toy-grammar pairs in Tatoeba's place
(with a warning), so that every lesson still runs offline. A place you name (the
path, or `COURSE_CORPUS_DIR`) is never replaced so: a typo there raises, rather
than turning a lesson's results into toy-grammar numbers. A cache folder that
cannot be created (a read-only or missing home) counts as an empty cache.

Downloads and the unzipped file are written to a temporary file beside their
destination and renamed at the end, so an interruption never leaves a partial
file that a later run would take for the corpus.

The train/validation/test split (80/10/10) is fixed by a hash of the lowercased
English sentence: every translation of one English sentence falls in the same
split, so a test sentence is never seen in training under another translation.
"""

import dataclasses
import hashlib
import os
import pathlib
import shutil
import tempfile
import urllib.request
import warnings
import zipfile

from chapters.common import toy_grammar
from chapters.common.tokenizers import normalize

CORPUS_VARIABLE = "COURSE_CORPUS_DIR"
CACHE_VARIABLE = "COURSE_CACHE_DIR"
CORPUS_URL = "https://www.manythings.org/anki/cmn-eng.zip"
# The name of the file inside the zip first, then the name our shared copy has.
CORPUS_FILENAMES = ("cmn.txt", "cmn-eng.txt")
DEFAULT_CACHE_DIR = pathlib.Path("~/.cache/seq2seq-course")
SPLITS = ("train", "validation", "test")
# Percent of the hash range that goes to train, and to train plus validation.
TRAIN_PERCENT, TRAIN_AND_VALIDATION_PERCENT = 80, 90
DIRECTIONS = ("zh-en", "en-zh")

# What stands in for Tatoeba offline: short toy-grammar pairs, as many as the
# Tatoeba file has, so that lessons keep their sizes.
TOY_STAND_IN_PAIRS = 27_000
TOY_STAND_IN_PATH = pathlib.Path("<toy grammar stand-in>")

# manythings.org answers 403 to requests without a browser-like User-Agent.
_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) seq2seq-course corpus loader"


class CorpusNotFoundError(FileNotFoundError):
    """The corpus is neither at the given place nor in the cache, and no download."""


@dataclasses.dataclass(frozen=True)
class SentencePair:
    """One English sentence and one of its Chinese translations, normalized."""

    english: str
    chinese: str


@dataclasses.dataclass(frozen=True)
class Corpus:
    """The sentence pairs of one corpus file."""

    pairs: tuple[SentencePair, ...]
    # The file they were read from.
    path: pathlib.Path
    # Blank and malformed lines that were left out.
    skipped_lines: int

    def __len__(self) -> int:
        return len(self.pairs)

    @property
    def is_stand_in(self) -> bool:
        """Whether these are toy-grammar pairs standing in for a missing Tatoeba."""
        return self.path == TOY_STAND_IN_PATH

    @property
    def name(self) -> str:
        """What results measured on these pairs must say they were measured on."""
        if self.is_stand_in:
            return "toy-grammar stand-in (Tatoeba not found)"
        return "Tatoeba"


def _how_to_get_it() -> str:
    return (
        f"Download {CORPUS_URL}, unzip it, and either pass the path of "
        f"{CORPUS_FILENAMES[0]} (or of its folder) to load_corpus, or set the "
        f"environment variable {CORPUS_VARIABLE} to that folder."
    )


def _find_in(location: pathlib.Path) -> pathlib.Path | None:
    """The corpus file at `location`: the file itself, or one inside the folder."""
    if location.is_file():
        return location
    for name in CORPUS_FILENAMES:
        if (location / name).is_file():
            return location / name
    return None


def _find_or_raise(location, argument: str, remedy: str) -> pathlib.Path:
    """The corpus file at a place the user named; `remedy` says how to fix it."""
    place = pathlib.Path(location).expanduser()
    found = _find_in(place)
    if found is None:
        names = " nor ".join(CORPUS_FILENAMES)
        there = f"a folder holding neither {names}" if place.is_dir() else "nothing"
        raise CorpusNotFoundError(
            f"No corpus file at {argument}: there is {there} at {place}, where "
            "the corpus file itself, or a folder holding it, was expected. "
            f"{remedy} {_how_to_get_it()} Received: {argument}={str(location)!r}"
        )
    return found


def _corpus_variable() -> str:
    """`COURSE_CORPUS_DIR`, or "" when unset: an empty value is how shells unset."""
    return os.environ.get(CORPUS_VARIABLE, "")


def cache_directory(cache_dir=None) -> pathlib.Path:
    """Where downloads go: `cache_dir`, else `COURSE_CACHE_DIR`, else the default."""
    chosen = cache_dir or os.environ.get(CACHE_VARIABLE) or DEFAULT_CACHE_DIR
    return pathlib.Path(chosen).expanduser()


def _save_whole(source, destination: pathlib.Path) -> None:
    """Copies the open binary stream `source` to `destination`, whole or not at all."""
    # A partial file must never look like a finished one, so write a temporary
    # file beside the destination (the same file system, where a rename is
    # atomic) and rename it at the end.
    with tempfile.NamedTemporaryFile(
        dir=destination.parent, prefix=f".{destination.name}.", delete=False
    ) as part:
        try:
            shutil.copyfileobj(source, part)
        except BaseException:
            part.close()
            os.unlink(part.name)
            raise
    os.replace(part.name, destination)


def download_file(url: str, destination: pathlib.Path) -> None:
    """Saves `url` to `destination`, whole or not at all."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=60) as response:
        _save_whole(response, destination)


def _download_corpus(directory: pathlib.Path) -> pathlib.Path:
    archive = directory / "cmn-eng.zip"
    corpus_file = directory / CORPUS_FILENAMES[0]
    try:
        download_file(CORPUS_URL, archive)
    except OSError as error:  # urllib's URLError and HTTPError are OSErrors.
        raise CorpusNotFoundError(
            f"Could not download the corpus ({error}). {_how_to_get_it()}"
        ) from error
    try:
        with zipfile.ZipFile(archive) as opened:
            with opened.open(CORPUS_FILENAMES[0]) as member:
                _save_whole(member, corpus_file)
    except (zipfile.BadZipFile, KeyError) as error:
        raise CorpusNotFoundError(
            f"{CORPUS_URL} did not give a zip holding {CORPUS_FILENAMES[0]} "
            f"({error}). {_how_to_get_it()}"
        ) from error
    except OSError as error:  # A full disk, say: no corpus file was left behind.
        raise CorpusNotFoundError(
            f"Could not unzip {CORPUS_FILENAMES[0]} into {directory} ({error}). "
            f"Free some space there, or set {CACHE_VARIABLE} to another folder. "
            f"{_how_to_get_it()}"
        ) from error
    finally:
        archive.unlink(missing_ok=True)
    return corpus_file


def corpus_path(path=None, *, download=True, cache_dir=None) -> pathlib.Path:
    """Finds the corpus file (see the module docstring for the order).

    Args:
        path: the corpus file, or a folder holding `cmn.txt` or `cmn-eng.txt`.
        download: download into the cache when the file is nowhere else.
        cache_dir: the download cache, instead of `COURSE_CACHE_DIR` or
            `~/.cache/seq2seq-course`.

    Returns:
        The path of the corpus file.

    Raises:
        CorpusNotFoundError: the file is not where `path` or `COURSE_CORPUS_DIR`
            says (they are never silently ignored), or is nowhere and cannot
            be downloaded (the cache folder cannot be made, the download or
            the unzip failed). The message says how to get it.
    """
    if path is not None:
        return _find_or_raise(
            path, "path", "Correct the path, or leave it out to use the cache."
        )
    if _corpus_variable():
        return _find_or_raise(
            _corpus_variable(),
            CORPUS_VARIABLE,
            f"Correct {CORPUS_VARIABLE}, or unset it to use the cache.",
        )
    directory = cache_directory(cache_dir)
    try:
        found = _find_in(directory)
        if found is None and download:
            directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        # A read-only or missing home (HOME=/nonexistent) must not crash an
        # offline lesson: a cache that cannot be made holds no corpus.
        raise CorpusNotFoundError(
            f"The download cache {directory} cannot be used ({error}). Set "
            f"{CACHE_VARIABLE} to a folder you can write to. {_how_to_get_it()}"
        ) from error
    if found is not None:
        return found
    if not download:
        raise CorpusNotFoundError(
            f"The corpus is not in the cache {directory} and download=False. "
            f"{_how_to_get_it()}"
        )
    return _download_corpus(directory)


def load_corpus(path=None, *, download=True, cache_dir=None) -> Corpus:
    """Reads the Tatoeba sentence pairs; see `corpus_path` for where from.

    Blank lines and malformed lines (not two or three tab-separated fields, or
    an empty sentence) are skipped and counted in `Corpus.skipped_lines`; a
    warning names the first malformed line. A file without a single pair
    raises `ValueError`: it is not in the Anki format.
    """
    file = corpus_path(path, download=download, cache_dir=cache_dir)
    try:
        # utf-8-sig drops the byte-order mark that some downloads start with.
        content = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{file} is not UTF-8 text: {error}") from error
    # Split on "\n" only: str.splitlines would also break lines at Unicode
    # separators that may sit inside a sentence.
    lines = content.split("\n")
    if lines[-1] == "":
        lines.pop()  # The final newline ends the last line; it starts none.
    pairs, blank_lines, malformed_lines = [], 0, []
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if not line.strip():
            blank_lines += 1
            continue
        fields = line.split("\t")
        # Older exports have no attribution column; both forms are fine.
        if len(fields) not in (2, 3):
            malformed_lines.append(number)
            continue
        english, chinese = normalize(fields[0], "en"), normalize(fields[1], "zh")
        if not english or not chinese:
            malformed_lines.append(number)
            continue
        pairs.append(SentencePair(english=english, chinese=chinese))
    if not pairs:
        raise ValueError(
            f"{file} holds no sentence pairs in the format "
            f"'English<TAB>Chinese<TAB>attribution'. {_how_to_get_it()}"
        )
    if malformed_lines:
        warnings.warn(
            f"Skipped {len(malformed_lines)} malformed lines of {file} (the first "
            f"is line {malformed_lines[0]}): expected "
            "'English<TAB>Chinese<TAB>attribution'.",
            stacklevel=2,
        )
    return Corpus(
        pairs=tuple(pairs),
        path=file,
        skipped_lines=blank_lines + len(malformed_lines),
    )


def load_corpus_or_toy(path=None) -> Corpus:
    """Tatoeba if it can be had, else the toy grammar's pairs in its place.

    The toy pairs (3 to 12 English words, seed 0) keep an offline lesson
    running; its numbers are then the toy grammar's, which the warning says.
    `Corpus.path` is `TOY_STAND_IN_PATH` for the stand-in.

    The stand-in is used only when no place was named: with `path` or
    `COURSE_CORPUS_DIR` set, a corpus missing there raises `CorpusNotFoundError`
    as in `load_corpus`, since a warning inside an executed notebook is easily
    missed while its toy-grammar numbers are not told apart from Tatoeba's.
    """
    if path is not None or _corpus_variable():
        return load_corpus(path)
    try:
        return load_corpus(path)
    except CorpusNotFoundError as error:
        warnings.warn(
            f"{error}\nUsing toy-grammar pairs in place of Tatoeba so that this "
            "lesson runs offline; its results are not Tatoeba's.",
            stacklevel=2,
        )
    toy_pairs = toy_grammar.generate_pairs(
        TOY_STAND_IN_PAIRS, seed=0, min_words=3, max_words=12
    )
    pairs = dict.fromkeys(SentencePair(p.english, p.chinese) for p in toy_pairs)
    return Corpus(pairs=tuple(pairs), path=TOY_STAND_IN_PATH, skipped_lines=0)


def split_name(english: str) -> str:
    """The split of a pair: "train", "validation" or "test", from its English side.

    The hash is SHA-256, not Python's `hash`, which changes from run to run.
    """
    if not isinstance(english, str):
        raise TypeError(f"english must be a string. Received: {type(english).__name__}")
    digest = hashlib.sha256(english.lower().encode("utf-8")).digest()
    percentile = int.from_bytes(digest[:8], "big") % 100
    if percentile < TRAIN_PERCENT:
        return "train"
    if percentile < TRAIN_AND_VALIDATION_PERCENT:
        return "validation"
    return "test"


def split_corpus(pairs) -> dict[str, list[SentencePair]]:
    """Splits pairs (or a `Corpus`) into "train", "validation" and "test", in order.

    Raises `ValueError` when a split would be empty: a corpus of a few pairs.
    """
    if isinstance(pairs, Corpus):
        pairs = pairs.pairs
    splits = {name: [] for name in SPLITS}
    for pair in pairs:
        if not isinstance(pair, SentencePair):
            raise TypeError(
                f"split_corpus expects SentencePair items. Received: {pair!r:.80}"
            )
        splits[split_name(pair.english)].append(pair)
    if not all(splits.values()):
        # An empty split would only fail later, far from the cause (an empty
        # vocabulary, a dataset without batches, BLEU of no sentences).
        total = sum(len(split) for split in splits.values())
        sizes = ", ".join(f"{name} {len(split)}" for name, split in splits.items())
        raise ValueError(
            f"The corpus is too small to split: its {total} pairs gave {sizes}, "
            "and every split needs at least one pair. The split is about "
            "80/10/10 by a hash of the English sentence, so pass a few dozen "
            f"pairs or more (Tatoeba has over 20,000). Received: {total} pairs"
        )
    return splits


def translation_pairs(pairs, direction: str = "zh-en") -> list[tuple[str, str]]:
    """`(source, target)` texts for one direction: "zh-en" (the default) or "en-zh"."""
    if direction not in DIRECTIONS:
        raise ValueError(
            f"direction must be one of {DIRECTIONS}. Received: {direction!r}"
        )
    if isinstance(pairs, Corpus):
        pairs = pairs.pairs
    if direction == "zh-en":
        return [(pair.chinese, pair.english) for pair in pairs]
    return [(pair.english, pair.chinese) for pair in pairs]
