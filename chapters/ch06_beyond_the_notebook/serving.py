"""Serving an exported translator: from Python, from the command line, over HTTP.

    python -m chapters.ch06_beyond_the_notebook.serving translate "我爱你。" --model DIR
    echo "欢迎来北京。" | python -m chapters.ch06_beyond_the_notebook.serving translate
    python -m chapters.ch06_beyond_the_notebook.serving serve --model DIR --port 8000

The model is a TensorFlow SavedModel folder written by `export.py` (`python -m
chapters.ch06_beyond_the_notebook.export`). `--model` may be left out when the
environment variable `COURSE_TRANSLATOR_DIR` names that folder.

What a signature is
-------------------
A SavedModel holds graphs, not Python. Each *signature* is one named entry point
into them: a function traced once for fixed input names, dtypes and shapes. The
translator has three (list them with `saved_model_cli show --dir DIR --all`):

    serving_default, greedy   sentences: tf.string (B,) -> {
    beam (width 4)                "translations": tf.string (B,),
                                  "scores": tf.float32 (B,)}

A caller passes a batch of raw Chinese sentences by keyword (`sentences=`) and gets
English back; a batch holding a blank sentence raises `InvalidArgumentError`, so
the code below checks its input first and answers with a clear message instead.

Why serving needs no course code
--------------------------------
Everything between the two strings is in the graph: tokenizing (TensorFlow Text's
ops), the Transformer's weights and layers, the search loop (`tf.while_loop`) and
turning ids back into words. Loading it takes `tf.saved_model.load(folder)` after
`import tensorflow_text` registers its ops; the classes of chapters 2 to 5 never
run. The same folder runs in TensorFlow Serving, from C++ or Java, or on a machine
that has never seen this repository. Of the course, this module imports only
the check of its input (`chapters.common.arguments.check_sentences`).

Calling the HTTP endpoint
-------------------------
`serve` answers `GET /health` with `{"status": "ok"}` and `POST /translate`:

    curl -s http://127.0.0.1:8000/translate -H 'Content-Type: application/json' \\
         -d '{"sentences": ["我爱你。", "欢迎来北京。"], "method": "beam"}'
    {"translations": ["i love you.", "welcome to tokyo."]}  # chapter 5's cpu model

`method` is `"greedy"` (the default) or `"beam"`. Bad requests get status 400 (413
for a body over `MAX_BODY_BYTES`) and `{"error": "..."}`; the server never sends a
stack trace. It listens on 127.0.0.1 unless `--host 0.0.0.0` opens it to the
network: it checks no identity, so put a proxy that does in front of it.

The command line
----------------
`translate` prints one translation per line. Without sentences as arguments it
reads standard input, one sentence per line; a blank line gives a blank line out,
so that output line N is always the translation of input line N (`paste` them).
Exit status: 0 done, 1 the server could not listen, 2 bad arguments, bad input or
a model folder that is missing or not a translator (with a one-line message).
"""

import argparse
import http.server
import json
import logging
import os
import pathlib
import signal
import sys
import urllib.error
import urllib.parse
import urllib.request

from chapters.common.arguments import check_sentences

METHODS = {"greedy": "serving_default", "beam": "beam"}  # method -> signature
MODEL_VARIABLE = "COURSE_TRANSLATOR_DIR"
EXPORT_COMMAND = "python -m chapters.ch06_beyond_the_notebook.export"
MAX_BODY_BYTES = 64 * 1024  # plenty for MAX_SENTENCES sentences
MAX_SENTENCES = 64  # per request: a longer batch would hold up other clients
BATCH_SIZE = 32  # sentences per call when the command reads a file

logger = logging.getLogger(__name__)


def check_method(method):
    """Returns `method` if it is `"greedy"` or `"beam"`, else raises `ValueError`."""
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}. Received: {method!r}")
    return method


class ExportedTranslator:
    """A loaded SavedModel translator: `translate(sentences, method) -> list[str]`.

    Made by `load_exported`, which checks the signatures first.
    """

    def __init__(self, saved_model, path):
        # The signatures read variables that `saved_model` owns: keep it alive.
        self.saved_model = saved_model
        self.path = pathlib.Path(path)

    def translate(self, sentences, method="greedy"):
        """Translates a list of sentences with greedy or beam search.

        Args:
            sentences: a list of non-blank strings (Chinese for the course's model).
            method: `"greedy"` (signature `serving_default`) or `"beam"`.

        Returns:
            One string per sentence, in order.
        """
        import tensorflow as tf  # already imported by `load_exported`

        sentences = check_sentences(sentences)
        signature = self.saved_model.signatures[METHODS[check_method(method)]]
        outputs = signature(sentences=tf.constant(sentences, dtype=tf.string))
        # "replace": a malformed byte from a model should cost one character, not
        # the whole answer.
        return [
            text.decode("utf-8", errors="replace")
            for text in outputs["translations"].numpy()
        ]


def _check_folder(path):
    """The checks that need no TensorFlow, so that a wrong path fails at once."""
    if path is None or not str(path).strip():
        raise ValueError(
            f"No model folder given: pass --model DIR or set {MODEL_VARIABLE}. "
            f"Export one with `{EXPORT_COMMAND}`."
        )
    path = pathlib.Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"No exported translator at {str(path)!r}: it does not exist. "
            f"Export one with `{EXPORT_COMMAND}`, then pass its folder."
        )
    if not path.is_dir() or not (path / "saved_model.pb").is_file():
        kind = "a folder without saved_model.pb" if path.is_dir() else "a file"
        raise ValueError(
            f"{str(path)!r} is not a SavedModel folder: it is {kind}. Pass the "
            f"folder that `{EXPORT_COMMAND}` wrote (it holds saved_model.pb)."
        )
    return path


def _check_signatures(saved_model, path):
    names = sorted(saved_model.signatures.keys())
    missing = [name for name in METHODS.values() if name not in names]
    if missing:
        raise ValueError(
            f"The SavedModel at {str(path)!r} is not an exported translator: it lacks "
            f"the signature(s) {missing}. Received signatures: {names}. Export one "
            f"with `{EXPORT_COMMAND}`."
        )
    for name in METHODS.values():
        signature = saved_model.signatures[name]
        _, inputs = signature.structured_input_signature
        outputs = signature.structured_outputs
        spec = inputs.get("sentences")
        takes_sentences = (
            set(inputs) == {"sentences"}
            and spec.dtype.name == "string"
            and spec.shape.rank in (None, 1)
        )
        if not takes_sentences or not {"translations", "scores"} <= set(outputs):
            raise ValueError(
                f"The SavedModel at {str(path)!r} is not an exported translator: its "
                f"signature {name!r} should take sentences=tf.string (B,) and return "
                "'translations' and 'scores'. Received: inputs "
                f"{sorted(inputs)}, outputs {sorted(outputs)}."
            )


def load_exported(path):
    """Loads the translator that `export.py` wrote, checking what it loads.

    Args:
        path: the SavedModel folder (the one holding `saved_model.pb`).

    Returns:
        An `ExportedTranslator`.

    Raises:
        FileNotFoundError: nothing is at `path`.
        ValueError: `path` is a file, a folder that is no SavedModel, a SavedModel
            that does not load, or one without the translator's signatures.
    """
    path = _check_folder(path)
    # Imported here, not at the top: TensorFlow takes seconds to import, which a
    # wrong path or a bad command line should not wait for.
    import tensorflow as tf

    try:
        import tensorflow_text  # noqa: F401  registers the tokenizers' ops
    except ImportError:
        pass  # a model without them still loads; one with them fails just below
    try:
        saved_model = tf.saved_model.load(str(path))
    except Exception as error:
        text = str(error).strip()
        reason = text.splitlines()[0].rstrip(".") if text else "no message"
        hint = ""
        if "Op type not registered" in text:
            hint = (
                " Install the tensorflow-text release that matches TensorFlow "
                f"{tf.__version__}."
            )
        raise ValueError(
            f"Could not load the SavedModel at {str(path)!r}: "
            f"{type(error).__name__}: {reason}.{hint}"
        ) from error
    _check_signatures(saved_model, path)
    return ExportedTranslator(saved_model, path)


class _RequestError(Exception):
    """A request the server refuses, with its HTTP status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class _TranslationHandler(http.server.BaseHTTPRequestHandler):
    """Answers one request; `self.server` is the `TranslationServer`."""

    ROUTES = {"/health": "GET", "/translate": "POST"}  # path -> its one method
    timeout = 30  # seconds a client may stall before its connection is dropped
    # The library's own errors (a malformed request line, an unknown verb) in JSON.
    error_content_type = "application/json"
    error_message_format = '{"error": "%(code)d %(message)s"}'

    def do_GET(self):
        if self._route("GET"):
            self._send_json(200, {"status": "ok"})

    def do_POST(self):
        if not self._route("POST"):
            return
        try:
            sentences, method = self._read_translation_request()
        except _RequestError as error:
            self._send_json(error.status, {"error": str(error)})
            return
        try:
            translations = self.server.translator.translate(sentences, method)
        except Exception:
            # The details go to the server's log, never to the client.
            logger.exception("Translating %d sentence(s) failed.", len(sentences))
            message = "The translator failed on this request; the server log says why."
            self._send_json(500, {"error": message})
            return
        self._send_json(200, {"translations": translations})

    def do_PUT(self):
        self._route("PUT")

    do_DELETE = do_PATCH = do_PUT

    def _route(self, method):
        """True if this path takes `method`; else answers 404 or 405."""
        path = urllib.parse.urlsplit(self.path).path
        if path in self.ROUTES and self.ROUTES[path] == method:
            return True
        if path not in self.ROUTES:
            self._send_json(
                404, {"error": f"No such path: {path}. Try POST /translate."}
            )
        else:
            allowed = self.ROUTES[path]
            message = f"{path} takes {allowed}, not {method}."
            self._send_json(405, {"error": message}, {"Allow": allowed})
        return False

    def _read_translation_request(self):
        """The checked `(sentences, method)` of a `POST /translate` body."""
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            raise _RequestError(411, "Send the JSON body with a Content-Length header.")
        if not length_text.isdigit():
            raise _RequestError(
                400, f"Content-Length must be a number. Received: {length_text!r}"
            )
        length = int(length_text)
        if length > self.server.max_body_bytes:
            # Left unread: the connection closes after the answer (HTTP/1.0).
            raise _RequestError(
                413,
                f"The body has {length} bytes; the limit is "
                f"{self.server.max_body_bytes}. Send fewer sentences per request.",
            )
        body = self.rfile.read(length)
        try:
            request = json.loads(body)
        except (ValueError, RecursionError) as error:
            # ValueError covers bad JSON and bytes that are not UTF-8; deep nesting
            # like [[[[...]]]] exhausts the parser's recursion instead.
            raise _RequestError(400, f"The body is not valid JSON: {error}") from None
        if not isinstance(request, dict):
            raise _RequestError(
                400,
                'The body must be a JSON object like {"sentences": ["我爱你。"]}. '
                f"Received: a JSON {type(request).__name__}",
            )
        unknown = sorted(set(request) - {"sentences", "method"})
        if unknown:
            raise _RequestError(
                400, f"Unknown field(s) {unknown}; expected 'sentences', 'method'."
            )
        if "sentences" not in request:
            raise _RequestError(400, "The field 'sentences' is missing.")
        try:
            sentences = check_sentences(request["sentences"])
            method = check_method(request.get("method", "greedy"))
        except (TypeError, ValueError) as error:
            raise _RequestError(400, str(error)) from None
        if len(sentences) > MAX_SENTENCES:
            raise _RequestError(
                400,
                f"At most {MAX_SENTENCES} sentences per request. "
                f"Received: {len(sentences)}",
            )
        return sentences, method

    def _send_json(self, status, payload, headers=None):
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002  the base class's name
        if self.server.log_requests:
            super().log_message(format, *args)


class TranslationServer(http.server.ThreadingHTTPServer):
    """An HTTP server (one thread per request) around a translator."""

    def __init__(self, address, translator, max_body_bytes, log_requests):
        self.translator = translator
        self.max_body_bytes = max_body_bytes
        self.log_requests = log_requests
        super().__init__(address, _TranslationHandler)


def make_server(
    translator,
    host="127.0.0.1",
    port=0,
    *,
    max_body_bytes=MAX_BODY_BYTES,
    log_requests=False,
):
    """An HTTP server for `translator`, bound but not yet serving.

    Call `serve_forever()` on it (in a thread, or until Ctrl-C), then `shutdown()`
    from another thread and `server_close()`.

    Args:
        translator: anything with `translate(sentences, method) -> list[str]`,
            usually `load_exported(folder)`.
        host: the address to listen on; `"0.0.0.0"` opens it to the network.
        port: the port; 0 picks a free one (`server_url(server)` tells which).
        max_body_bytes: the largest request body accepted (413 above it).
        log_requests: print one line per request on stderr.
    """
    return TranslationServer((host, port), translator, max_body_bytes, log_requests)


def server_url(server):
    """`http://host:port` of a server from `make_server`."""
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


def request_translations(url, sentences, method="greedy", timeout=120):
    """The client side: POSTs `sentences` to a running endpoint's `/translate`.

    Args:
        url: the server's address, e.g. `"http://127.0.0.1:8000"`.
        sentences: a list of sentences.
        method: `"greedy"` or `"beam"`.
        timeout: seconds to wait for the answer.

    Returns:
        The translations, one string per sentence.

    Raises:
        RuntimeError: the server answered with an error; its message is quoted.
    """
    body = json.dumps({"sentences": sentences, "method": method}).encode("utf-8")
    request = urllib.request.Request(
        f"{url}/translate", body, {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())["translations"]
    except urllib.error.HTTPError as error:
        answer = json.loads(error.read() or b"{}")
        raise RuntimeError(
            f"The server answered {error.code}: {answer.get('error', error.reason)}"
        ) from None


def _port(text):
    """An `argparse` type: a TCP port, 0 (any free port) to 65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(
            f"must be a port from 0 to 65535. Received: {text!r}"
        )
    return int(text)


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m chapters.ch06_beyond_the_notebook.serving",
        description="Translate with, or serve over HTTP, an exported translator.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    translate = commands.add_parser(
        "translate", help="print the translation of each sentence, one per line"
    )
    translate.add_argument(
        "sentences",
        nargs="*",
        help="sentences to translate; none: read standard input, one per line",
    )
    translate.add_argument(
        "--method",
        choices=tuple(METHODS),
        default="greedy",
        help="greedy search (default) or beam search of width 4",
    )
    serve = commands.add_parser("serve", help="answer POST /translate until Ctrl-C")
    serve.add_argument("--host", default="127.0.0.1", help="0.0.0.0: the network")
    serve.add_argument("--port", type=_port, default=8000, help="0: any free port")
    serve.add_argument("--log-requests", action="store_true")
    for command in (translate, serve):
        command.add_argument(
            "--model",
            metavar="DIR",
            default=os.environ.get(MODEL_VARIABLE),
            help=f"the SavedModel folder (default: ${MODEL_VARIABLE})",
        )
        command.set_defaults(command_parser=command)
    return parser


def _fail(parser, message, status=2):
    """Exits with one line on stderr, the way argparse reports a bad argument."""
    parser.exit(status, f"{parser.prog}: error: {message}\n")


def _translate_command(arguments, parser):
    if arguments.sentences:
        lines = arguments.sentences
        try:
            check_sentences(lines)
        except ValueError as error:
            _fail(parser, str(error))
    else:
        if sys.stdin.isatty():
            print("Type sentences, one per line; end with Ctrl-D.", file=sys.stderr)
        lines = sys.stdin.read().splitlines()
        if not any(line.strip() for line in lines):
            _fail(parser, "no sentence to translate: standard input has none.")
    try:
        translator = load_exported(arguments.model)
    except (FileNotFoundError, ValueError) as error:
        _fail(parser, str(error))
    for start in range(0, len(lines), BATCH_SIZE):
        batch = lines[start : start + BATCH_SIZE]
        sentences = [line for line in batch if line.strip()]
        translations = iter(translator.translate(sentences, arguments.method))
        for line in batch:
            print(next(translations) if line.strip() else "", flush=True)


def _serve_command(arguments, parser):
    try:
        translator = load_exported(arguments.model)
    except (FileNotFoundError, ValueError) as error:
        _fail(parser, str(error))
    try:
        server = make_server(
            translator,
            arguments.host,
            arguments.port,
            log_requests=arguments.log_requests,
        )
    except OSError as error:
        where = f"{arguments.host}:{arguments.port}"
        _fail(parser, f"cannot listen on {where}: {error.strerror or error}", 1)
    url = server_url(server)
    request = {"sentences": ["我爱你。"], "method": "beam"}
    example = json.dumps(request, ensure_ascii=False)
    print(f"Serving {translator.path} at {url} (Ctrl-C to stop). Try:", flush=True)
    print(
        f"curl -s {url}/translate -H 'Content-Type: application/json' -d '{example}'",
        flush=True,
    )
    # Ctrl-C stops it even when a shell started it in the background (where SIGINT
    # is ignored), and so does `kill` (SIGTERM), which a container's stop sends.
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, signal.default_int_handler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("Stopped.", flush=True)
    finally:
        server.server_close()


def main(argv=None):
    """The command line; returns 0, or exits with 1 or 2 (see the module's text)."""
    arguments = _build_parser().parse_args(argv)
    if arguments.command == "translate":
        _translate_command(arguments, arguments.command_parser)
    else:
        _serve_command(arguments, arguments.command_parser)
    return 0


if __name__ == "__main__":
    sys.exit(main())
