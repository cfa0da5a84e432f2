"""The OpenAI-compatible endpoints (vLLM, Ollama, OpenAI) by their wire
format, against a small HTTP server on loopback that speaks it: chat
completions streamed as server-sent events, embeddings in input order,
the bearer key sent, and an endpoint that fails is UNAVAILABLE."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from optivus_common import errors
from optivus_testing.http_server import serving
from optivus_videorag.embedding import EndpointEmbedder
from optivus_videorag.llm import EndpointLlm, complete


class Endpoint(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        Endpoint.seen.append({"path": self.path, "auth": self.headers.get("authorization"), "body": body})
        if self.path.endswith("/embeddings"):
            data = [{"index": i, "embedding": [float(len(text)), 1.0, 0.0]} for i, text in enumerate(body["input"])]
            payload = json.dumps({"data": list(reversed(data))}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        elif self.path.endswith("/chat/completions"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            for piece in ("Ribosomes", " build proteins", " [1]."):
                chunk = {"choices": [{"delta": {"content": piece}}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
        else:
            self.send_response(404)
            self.end_headers()


@pytest.fixture(scope="module")
def endpoint():
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"


def test_chat_answers_stream_in_pieces(endpoint):
    llm = EndpointLlm(endpoint, "qwen2.5", "secret-key", 64, 10)
    pieces = list(llm.stream("system text", "the question"))
    assert pieces == ["Ribosomes", " build proteins", " [1]."]
    request = Endpoint.seen[-1]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer secret-key"
    body = request["body"]
    assert body["stream"] is True and body["model"] == "qwen2.5" and body["max_tokens"] == 64
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert complete(llm, "s", "u") == "Ribosomes build proteins [1]."


def test_embeddings_come_back_in_input_order_and_normalised(endpoint):
    embedder = EndpointEmbedder(endpoint, "nomic-embed", "")
    assert embedder.dim == 3 and embedder.name == "nomic-embed"
    vectors = embedder.embed(["a", "abcd"])
    assert vectors.shape == (2, 3)
    assert vectors[1][0] > vectors[0][0] and abs(float((vectors[1] ** 2).sum()) - 1.0) < 1e-6
    assert Endpoint.seen[-1]["auth"] is None and Endpoint.seen[-1]["body"]["input"] == ["a", "abcd"]


def test_an_endpoint_that_does_not_answer_is_unavailable(endpoint):
    with pytest.raises(errors.Unavailable) as err:
        list(EndpointLlm("http://127.0.0.1:9/v1", "m", "", 8, 5).stream("s", "u"))
    assert err.value.reason == "LLM_ENDPOINT_UNAVAILABLE"
    with pytest.raises(errors.Unavailable) as err:
        EndpointEmbedder("http://127.0.0.1:9/v1", "m", "", timeout_s=2)
    assert err.value.reason == "EMBEDDING_ENDPOINT_UNAVAILABLE"
    with pytest.raises(errors.FailedPrecondition):
        EndpointLlm(endpoint, "", "", 8, 5)
