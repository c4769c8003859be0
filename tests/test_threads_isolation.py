"""Tenancy: no identity ever reads, changes or even learns of another workspace's threads."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threads.models import Message, Thread

from .api import user_message

pytestmark = pytest.mark.django_db

ORG_ONE = ("org_one", "one", "admin")
ORG_TWO = ("org_two", "two", "member")


def snapshot() -> list[tuple]:
    threads = list(Thread.all_tenants.order_by("id").values_list("id", "title", "status", "custom", "updated_at"))
    messages = list(Message.all_tenants.order_by("id").values_list("thread_id", "message_id", "content"))
    return threads + messages


def attempts_by(intruder, tid: str) -> list:
    return [
        intruder.get(f"/api/threads/{tid}"),
        intruder.patch(f"/api/threads/{tid}", {"title": "pwned"}),
        intruder.patch(f"/api/threads/{tid}", {"status": "archived"}),
        intruder.patch(f"/api/threads/{tid}", {"custom": {"x": 1}}),
        intruder.get(f"/api/threads/{tid}/messages"),
        intruder.post(f"/api/threads/{tid}/messages", user_message("evil", "injected")),
        intruder.patch(f"/api/threads/{tid}/messages/m1", {"content": {"role": "user", "parts": []}}),
        intruder.delete(f"/api/threads/{tid}"),
    ]


@pytest.mark.parametrize(
    "owner_org, intruder_user, intruder_org",
    [
        (None, "user_bob", None),  # another user
        (ORG_ONE, "user_bob", ORG_ONE),  # another member of the same organization
        (ORG_ONE, "user_alice", None),  # the same user in their personal workspace
        (ORG_ONE, "user_alice", ORG_TWO),  # the same user in another organization
        (None, "user_alice", ORG_ONE),  # personal thread seen from an organization
    ],
)
def test_other_workspaces_get_404_on_every_route_and_change_nothing(api, owner_org, intruder_user, intruder_org):
    alice = api("user_alice", org=owner_org)
    tid = alice.new_thread(title="secret", external_id="local-1")["id"]
    alice.post(f"/api/threads/{tid}/messages", user_message("m1", "private words"))
    before = snapshot()
    intruder = api(intruder_user, org=intruder_org)
    for response in attempts_by(intruder, tid):
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
    assert intruder.get("/api/threads").json() == []
    assert snapshot() == before


def test_same_user_in_another_organization_sees_a_disjoint_list(api):
    in_one = api("user_alice", org=ORG_ONE)
    in_two = api("user_alice", org=ORG_TWO)
    personal = api("user_alice")
    one = in_one.new_thread()["id"]
    two = in_two.new_thread()["id"]
    mine = personal.new_thread()["id"]
    assert [t["id"] for t in in_one.get("/api/threads").json()] == [one]
    assert [t["id"] for t in in_two.get("/api/threads").json()] == [two]
    assert [t["id"] for t in personal.get("/api/threads").json()] == [mine]


def test_external_id_collision_gives_each_workspace_its_own_thread(api):
    alice, bob = api("user_alice"), api("user_bob")
    a = alice.post("/api/threads", {"external_id": "shared-local-id", "title": "alice's"})
    b = bob.post("/api/threads", {"external_id": "shared-local-id"})
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]
    assert b.json()["title"] == ""
    assert Thread.all_tenants.get(pk=a.json()["id"]).title == "alice's"


def test_external_id_collision_across_organizations_of_one_user(api):
    a = api("user_alice", org=ORG_ONE).post("/api/threads", {"external_id": "x"})
    b = api("user_alice", org=ORG_TWO).post("/api/threads", {"external_id": "x"})
    c = api("user_alice").post("/api/threads", {"external_id": "x"})
    assert len({a.json()["id"], b.json()["id"], c.json()["id"]}) == 3


def test_organization_role_does_not_widen_visibility(api):
    member = api("user_bob", org=("org_one", "one", "member"))
    member.new_thread()
    admin = api("user_alice", org=("org_one", "one", "admin"))
    assert admin.get("/api/threads").json() == []


# --- Property: random operations by several identities never leak a row across workspaces -------------------

IDENTITIES = [
    ("user_a", None),
    ("user_a", ("org_x", "x", "admin")),
    ("user_a", ("org_y", "y", "member")),
    ("user_b", None),
    ("user_b", ("org_x", "x", "member")),
]

operation = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 4), st.sampled_from(["e1", "e2", None])),
    st.tuples(st.just("rename"), st.integers(0, 4), st.integers(0, 30)),
    st.tuples(st.just("archive"), st.integers(0, 4), st.integers(0, 30)),
    st.tuples(st.just("delete"), st.integers(0, 4), st.integers(0, 30)),
    st.tuples(st.just("append"), st.integers(0, 4), st.integers(0, 30)),
    st.tuples(st.just("read"), st.integers(0, 4), st.integers(0, 30)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=25))
def test_random_operations_never_leak_across_workspaces(api, operations):
    clients = [api(user, org=org) for user, org in IDENTITIES]
    workspace_of = {i: (user, org[0] if org else None) for i, (user, org) in enumerate(IDENTITIES)}
    known: list[str] = list(Thread.all_tenants.values_list("id", flat=True))
    for op, who, arg in operations:
        client = clients[who]
        if op == "create":
            tid = client.new_thread(**({"external_id": arg} if arg else {}))["id"]
            thread = Thread.all_tenants.get(pk=tid)
            assert (thread.owner_id, thread.org_id) == workspace_of[who]
            known.append(tid)
            continue
        if not known:
            continue
        target = known[arg % len(known)]
        row = Thread.all_tenants.filter(pk=target).values_list("owner_id", "org_id").first()
        before = snapshot()
        if op == "rename":
            response = client.patch(f"/api/threads/{target}", {"title": f"by {who}"})
        elif op == "archive":
            response = client.patch(f"/api/threads/{target}", {"status": "archived"})
        elif op == "delete":
            response = client.delete(f"/api/threads/{target}")
        elif op == "append":
            response = client.post(f"/api/threads/{target}/messages", user_message(f"m{who}-{arg}", "x"))
        else:
            response = client.get(f"/api/threads/{target}/messages")
        if row is not None and row == workspace_of[who]:
            assert response.status_code in (200, 201, 204)
        else:
            assert response.status_code == 404
            assert snapshot() == before
        # Every listing holds only rows of the caller's workspace.
        for i, listing_client in enumerate(clients):
            for listed in listing_client.get("/api/threads?limit=200").json():
                thread = Thread.all_tenants.get(pk=listed["id"])
                assert (thread.owner_id, thread.org_id) == workspace_of[i]
    for message in Message.all_tenants.select_related("thread"):
        author = int(message.message_id.split("-")[0][1:])
        assert workspace_of[author] == (message.thread.owner_id, message.thread.org_id)
