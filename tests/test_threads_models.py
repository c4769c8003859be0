"""Tenancy by default in the data layer: the managers, the context variable, and the indexes."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.identity import ClerkIdentity, use_identity
from threads.history import append_message
from threads.models import Message, MissingIdentity, Thread

pytestmark = pytest.mark.django_db

ALICE = ClerkIdentity(user_id="user_alice", session_id="sess_1")
ALICE_IN_ACME = ClerkIdentity(user_id="user_alice", session_id="sess_1", org_id="org_acme", org_role="org:admin")
BOB = ClerkIdentity(user_id="user_bob", session_id="sess_2")


def content(text: str, role: str = "user") -> dict:
    return {"role": role, "parts": [{"type": "text", "text": text}]}


def test_default_manager_without_identity_is_empty_never_everything():
    Thread.all_tenants.create(owner_id="user_alice")
    assert Thread.objects.count() == 0
    assert list(Thread.objects.all()) == []
    assert Message.objects.count() == 0


def test_default_manager_is_scoped_to_the_current_identity():
    mine = Thread.all_tenants.create(owner_id="user_alice")
    Thread.all_tenants.create(owner_id="user_alice", org_id="org_acme")
    Thread.all_tenants.create(owner_id="user_bob")
    with use_identity(ALICE):
        assert list(Thread.objects.all()) == [mine]
    with use_identity(ALICE_IN_ACME):
        assert Thread.objects.get().org_id == "org_acme"


def test_creating_through_the_default_manager_fills_owner_and_org():
    with use_identity(ALICE_IN_ACME):
        thread = Thread.objects.create(title="t", owner_id="user_bob", org_id="org_evil")
    assert (thread.owner_id, thread.org_id) == ("user_alice", "org_acme")


def test_creating_without_any_identity_is_refused():
    with pytest.raises(MissingIdentity):
        Thread.objects.create(title="orphan")


def test_for_identity_scopes_explicitly_whatever_is_current():
    bobs = Thread.all_tenants.create(owner_id="user_bob")
    with use_identity(ALICE):
        assert list(Thread.objects.for_identity(BOB)) == [bobs]
    assert list(Thread.objects.for_identity(BOB)) == [bobs]
    assert Thread.objects.for_identity(None).count() == 0


def test_for_identity_create_fills_owner_and_org():
    thread = Thread.objects.for_identity(ALICE_IN_ACME).create(title="explicit")
    assert (thread.owner_id, thread.org_id) == ("user_alice", "org_acme")


def test_messages_are_scoped_through_their_thread():
    alices = Thread.all_tenants.create(owner_id="user_alice")
    bobs = Thread.all_tenants.create(owner_id="user_bob")
    append_message(alices, message_id="a1", content=content("a"))
    append_message(bobs, message_id="b1", content=content("b"))
    with use_identity(ALICE):
        assert [m.message_id for m in Message.objects.all()] == ["a1"]
        assert [m.message_id for m in alices.messages.all()] == ["a1"]
        assert list(bobs.messages.all()) == []
    assert [m.message_id for m in Message.objects.for_identity(BOB)] == ["b1"]


def test_related_thread_is_reachable_from_a_message_outside_any_request():
    thread = Thread.all_tenants.create(owner_id="user_alice", title="reachable")
    append_message(thread, message_id="m1", content=content("x"))
    message = Message.all_tenants.get(message_id="m1")
    assert message.thread.title == "reachable"


def test_append_is_idempotent_and_moves_the_thread():
    thread = Thread.all_tenants.create(owner_id="user_alice")
    before = thread.updated_at
    _, created = append_message(thread, message_id="m1", content=content("x"))
    _, again = append_message(thread, message_id="m1", content=content("other"))
    thread.refresh_from_db()
    assert (created, again) == (True, False)
    assert thread.updated_at > before and thread.last_message_at == thread.updated_at
    assert Message.all_tenants.get().text == "x"


def test_message_text_joins_text_parts_only():
    message = Message(content={"role": "assistant", "parts": [
        {"type": "reasoning", "text": "hmm"}, {"type": "text", "text": "Hello"}, {"type": "text", "text": " you"}]})
    assert message.text == "Hello you"


def _plan(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def _fill(count: int) -> None:
    """Insert `count` threads over 1,000 users and 50 organizations straight in SQL (fast on both databases)."""
    table = Thread._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""INSERT INTO {table} (id, owner_id, org_id, title, status, custom, created_at, updated_at)
                SELECT 'thr_fill_' || i, 'user_' || (i %% 1000),
                       CASE WHEN i %% 3 = 0 THEN NULL ELSE 'org_' || (i %% 50) END,
                       '', CASE WHEN i %% 10 = 0 THEN 'archived' ELSE 'regular' END, '{{}}',
                       now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval
                FROM generate_series(1, %s) AS i""",
                [count],
            )
            cursor.execute(f"ANALYZE {table}")
        else:
            cursor.execute(
                f"""WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %s)
                INSERT INTO {table} (id, owner_id, org_id, title, status, custom, created_at, updated_at)
                SELECT 'thr_fill_' || i, 'user_' || (i %% 1000),
                       CASE WHEN i %% 3 = 0 THEN NULL ELSE 'org_' || (i %% 50) END, '',
                       CASE WHEN i %% 10 = 0 THEN 'archived' ELSE 'regular' END, '{{}}',
                       datetime('now', '-' || i || ' seconds'), datetime('now', '-' || i || ' seconds')
                FROM seq""",
                [count],
            )
            cursor.execute(f"ANALYZE {table}")


@pytest.mark.parametrize("status", [None, "regular", "archived"])
@pytest.mark.parametrize("org", [None, "org_7"])
def test_listing_a_workspace_is_index_backed(status, org):
    _fill(50_000)
    user_7 = ClerkIdentity("user_7", "s", org_id=org)
    big = ClerkIdentity("user_big", "s", org_id=org)
    Thread.all_tenants.bulk_create(
        [Thread(owner_id="user_big", org_id=org, status="regular" if i % 4 else "archived") for i in range(5000)]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Thread._meta.db_table}")
    index = f"thread_{'org' if org else 'personal'}_{'status' if status else 'recent'}"
    for identity in (user_7, big):
        queryset = Thread.objects.for_identity(identity).newest_first()
        if status:
            queryset = queryset.filter(status=status)
        sql, params = queryset[:51].query.sql_with_params()
        plan = _plan(sql, list(params))
        assert "thread_" in plan and "Seq Scan" not in plan and "SCAN threads_thread" not in plan, plan
        if identity is big:
            # A large workspace is read in index order: the first page costs the same whatever its size.
            assert index in plan, plan
            assert "Sort" not in plan.replace("Sort Key", "") and "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize("org", [None, "org_7"])
def test_a_deep_page_starts_at_its_cursor_in_the_index(org):
    from threads.pagination import KeysetPagination

    _fill(20_000)
    Thread.all_tenants.bulk_create([Thread(owner_id="user_big", org_id=org) for _ in range(5000)])
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Thread._meta.db_table}")
    workspace = Thread.objects.for_identity(ClerkIdentity("user_big", "s", org_id=org)).newest_first()
    middle = workspace[2500]
    page = KeysetPagination.after(workspace, middle.updated_at, middle.pk)
    sql, params = page[:51].query.sql_with_params()
    plan = _plan(sql, list(params))
    assert "Seq Scan" not in plan and "Sort" not in plan.replace("Sort Key", ""), plan
    # The scan starts at the cursor: updated_at is part of the index condition, not only a filter.
    if connection.vendor == "postgresql":
        index_condition = next(line for line in plan.splitlines() if "Index Cond" in line)
        assert "updated_at" in index_condition, plan
    else:
        assert "updated_at<" in plan.replace(" ", ""), plan
