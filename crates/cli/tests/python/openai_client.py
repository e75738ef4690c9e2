"""The official `openai` Python client against a byzvote node, unchanged: a completion, a
stream, the model list and a typed error. Prints the non-streamed answer's `byzvote` field as
JSON on stdout so the caller can verify its certificate with `byzvote verify`.

Usage: openai_client.py ENDPOINT EXPECTED_ANSWER
"""

import json
import sys

import openai

endpoint, expected = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=endpoint + "/v1", api_key="not-needed-on-an-open-node", max_retries=0)

# Non-streaming: the agreed answer in the usual place, the vote in the extra field.
r = client.chat.completions.create(
    model="byzvote-tier3",
    messages=[{"role": "user", "content": "What is 2+2? Answer with the number only."}],
    max_tokens=16,
)
assert r.object == "chat.completion", r
assert r.choices[0].message.content == expected, r.choices[0].message
assert r.choices[0].finish_reason == "stop"
vote = r.model_extra["byzvote"]
assert vote["outcome"] == "agreed", vote
assert vote["certificate"]["group_public_key"], vote
assert r.usage is not None

# Streaming: the answer arrives once decided; the last chunk carries the certificate.
chunks = list(
    client.chat.completions.create(
        model="byzvote-tier3",
        messages=[{"role": "user", "content": "And 3+1? The number only."}],
        max_tokens=16,
        stream=True,
        stream_options={"include_usage": True},
    )
)
text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
assert text == expected, (text, chunks)
last = chunks[-1].model_extra.get("byzvote")
assert last and last["certificate"], chunks[-1]
assert chunks[-1].usage is not None

# byzvote options through extra_body.
r2 = client.chat.completions.create(
    model="byzvote-auto",
    messages=[{"role": "user", "content": "What is 1+3?"}],
    extra_body={"byzvote": {"mode": "number:0", "importance": "high"}},
)
assert r2.model_extra["byzvote"]["mode"] == "number:0", r2.model_extra
assert r2.model_extra["byzvote"]["route"]["tier"] == 3, r2.model_extra

models = [m.id for m in client.models.list()]
assert "byzvote-tier3" in models and "byzvote-auto" in models, models

try:
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    raise AssertionError("an unknown model was accepted")
except openai.NotFoundError as e:
    assert "byzvote-tier" in str(e), e

print(json.dumps(vote))
