"""Round trip: whatever labels and spans are submitted through Label Studio, pull returns exactly them.

Property-based: hypothesis draws a sentence, a status, labels for every choice field and a set of
spans (offsets in code points, texts with an emoji and accented letters included), submits them
as the annotator through the real server's API, pulls the batch and compares. max_examples is
kept modest: every example is a real HTTP round trip."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warvoices.corpus.batch_manifests import load_manifest
from warvoices.annotation.ls_pull import annotation_id, pull_batch
from warvoices.annotation.ls_push import push_batch
from warvoices.annotation.ls_results import to_result
from warvoices.annotation.ls_users import add_annotator, annotator_by_user_id, annotator_client, load_users
from warvoices.corpus.schema import load_schema
from warvoices.corpus.texts import TextLoader

SCHEMA = load_schema()


@st.composite
def answers(draw, texts: dict[str, str]):
    sid = draw(st.sampled_from(sorted(texts)))
    text = texts[sid]
    status = draw(st.sampled_from(["submitted", "submitted", "skipped", "cancelled"]))
    labels = {}
    for f in SCHEMA.choice_fields:
        options = st.sampled_from(f.label_names)
        labels[f.name] = draw(options if f.required else st.one_of(st.none(), options))
    pairs = st.tuples(st.integers(0, len(text) - 1), st.integers(1, len(text))).filter(lambda p: p[0] < p[1])
    spans = sorted(draw(st.sets(pairs, max_size=3)))
    lead = draw(st.one_of(st.none(), st.integers(0, 36_000).map(lambda ms: ms / 10)))
    return sid, status, labels, [list(s) for s in spans], lead


def test_pull_returns_exactly_what_was_submitted(server, corpus):
    loader = TextLoader(corpus.archive)
    with server.admin() as client:
        add_annotator(client, server.paths, "ann-a")
        users = load_users(server.paths)
        push_batch(client, corpus.store, loader, "rt", corpus.articles, {"ann-a": users["ann-a"]}, progress=False)
        tasks = load_manifest(corpus.store, "rt")["projects"]["ann-a"]["tasks"]
        ann = annotator_client(server.paths, server.url, "ann-a")
        user_map = annotator_by_user_id(server.paths)
        seen = []

        @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(answers(corpus.texts))
        def round_trip(drawn):
            sid, status, labels, spans, lead = drawn
            result = to_result(labels, spans, corpus.texts[sid], SCHEMA)
            if status == "skipped":
                result = []
            created = ann.create_annotation(tasks[sid], result, lead_time=lead, was_cancelled=status != "submitted")
            try:
                pull_batch(client, corpus.store, loader, "rt", user_map, progress=False)
                rec = next(r for r in corpus.store.annotations()
                           if r["annotation_id"] == annotation_id(client.server_id, created["project"], created["id"], status))
                assert rec["sentence_id"] == sid and rec["annotator"] == "ann-a" and rec["status"] == status
                if status == "submitted":
                    assert rec["labels"] == labels
                    assert rec["source_spans"] == spans
                else:
                    assert rec["labels"] is None and rec["source_spans"] == []
                assert rec["origin"]["lead_time"] == lead
                assert rec["origin"]["task"] == tasks[sid]
                seen.append(status)
            finally:
                # one annotation per annotator and task: free the task for the next example
                client.request("DELETE", f"/api/annotations/{created['id']}/")

        round_trip()
        assert "submitted" in seen
