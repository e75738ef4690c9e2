#!/usr/bin/env python3
"""An instant OpenAI-compatible chat server for benchmarks: every completion answers the same
text at once, so `byzvote bench vote` against a cluster of these measures the protocol, not the
models (a `command` backend spawns a process per call, which dominated at high concurrency).

    python3 scripts/instant-model.py --port 0 [--answer 4]   # prints the bound port
    byzvote up --data /tmp/bench --backend '{ kind = "openai", base_url = "http://127.0.0.1:PORT/v1", model = "instant", vendor = "a" }' ...

Not a model and never a default: a load-generator fixture.
"""
import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--answer", default="4")
    args = ap.parse_args()
    body = json.dumps({
        "id": "instant", "object": "chat.completion", "created": 0, "model": "instant",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": args.answer}}],
        "usage": {"prompt_tokens": 8, "completion_tokens": 1, "total_tokens": 9},
    }).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle's algorithm and the client's
        # delayed ACK, every reply on a kept-alive connection waited 40 ms.
        disable_nagle_algorithm = True

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
