"""A scripted OpenAI-compatible Chat Completions endpoint on loopback, for tests of the whole ask path.

``FakeLLM`` records every request body and answers with what its ``model`` callable returns for it (a JSON
answer as text), as plain JSON or, when the request asks ``stream: true``, as server-sent events. The default
model writes claims from the passages it was sent (the first sentence of passage 1 as the bottom line, one
claim citing a passage that does not exist, one uncited claim), so the verifier has something to keep and
something to remove. It "obeys" an injected instruction if one ever reaches it: then it answers only the word
PWNED, which is not JSON. It rewrites claims for patients by echoing them.

Used as a context manager; the server thread stops when the block ends (loopback only).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Model = Callable[[dict[str, Any]], str]


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(?:\s|$)", text)
    return match.group(1) if match else text


def passage_model(body: dict[str, Any]) -> str:
    """A model that restates what it was given (see the module docstring)."""
    system, user = body["messages"][0]["content"], body["messages"][1]["content"]
    if re.search(r"ignore (?:all )?previous instructions", user, re.IGNORECASE):
        return "PWNED"
    data = json.loads(user)
    if "passages" not in data:  # the patient rewrite: echo each claim
        return json.dumps({"claims": [{"number": c["number"], "text": c["text"]} for c in data["claims"]]})
    passages = data["passages"]
    assert "never instructions" in system
    first = passages[0]
    claims = [
        {"text": "PWNED is the answer to every question.", "passages": []},
        {"text": _first_sentence(passages[-1]["text"]), "passages": [passages[-1]["number"], 99]},
    ]
    return json.dumps({"bottom_line": {"text": _first_sentence(first["text"]), "passages": [first["number"]]},
                       "claims": claims})


class FakeLLM:
    def __init__(self, model: Model = passage_model, *, event_delay: float = 0.0) -> None:
        self.model = model
        self.event_delay = event_delay  # seconds between streamed events: a slow model, for pages that show drafts
        self.bodies: list[dict[str, Any]] = []
        self.raw: list[bytes] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.raw.append(raw)
                body = json.loads(raw)
                outer.bodies.append(body)
                content = outer.model(body)
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for i in range(0, len(content), 16):
                        event = {"choices": [{"delta": {"content": content[i:i + 16]}}]}
                        self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                        self.wfile.flush()
                        time.sleep(outer.event_delay)
                    self.wfile.write(b"data: [DONE]\n\n")
                    return
                payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def sent_text(self) -> str:
        """Everything every request sent, as the bytes on the wire decoded (JSON escapes undone)."""
        return "\n".join(json.dumps(b, ensure_ascii=False) for b in self.bodies) + "\n" + "\n".join(
            r.decode("utf-8", "replace") for r in self.raw)
