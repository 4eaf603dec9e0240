"""`hubtable up` asks a Prefect server it has just started to run the dispatch listener: such a
server answers 503 (its SQLite database busy) or 404 (the deployment not registered yet) for a
moment. Those answers are asked again; a refusal that will not change is not."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.error
from collections.abc import Iterator

import pytest

from hubtable import prefect_children


@pytest.fixture
def server() -> Iterator[tuple[str, list[int]]]:
    """A server that answers each request with the next status of `answers` (then 200)."""
    answers: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            status = answers.pop(0) if answers else 200
            body = json.dumps({"id": "x"} if status == 200 else {"detail": "no"}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", answers
    httpd.shutdown()


def test_busy_and_not_yet_are_asked_again(server, monkeypatch):
    url, answers = server
    monkeypatch.setattr(prefect_children.time, "sleep", lambda _s: None)
    answers.extend([503, 404, 503])
    assert prefect_children._call_patiently("GET", url) == {"id": "x"}
    assert answers == []


def test_a_refusal_that_will_not_change_is_not_asked_again(server, monkeypatch):
    url, answers = server
    monkeypatch.setattr(prefect_children.time, "sleep", lambda _s: None)
    answers.extend([422, 503])
    with pytest.raises(urllib.error.HTTPError) as refused:
        prefect_children._call_patiently("GET", url)
    assert refused.value.code == 422 and answers == [503]
    assert prefect_children._reason(refused.value) == \
        "the Prefect server answered 422 Unprocessable Entity"


def test_patience_ends(server, monkeypatch):
    url, answers = server
    clock = iter(range(0, 1000, 10))  # every look at the clock, ten seconds later
    monkeypatch.setattr(prefect_children.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(prefect_children.time, "sleep", lambda _s: None)
    answers.extend([503] * 50)
    with pytest.raises(urllib.error.HTTPError):
        prefect_children._call_patiently("GET", url)
    assert len(answers) > 40  # gave up after a few, not after fifty
