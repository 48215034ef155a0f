"""out_request_no idempotency, concurrency, persistence across restarts, and the plan lifecycle."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path
from typing import Any

import httpx
from sandbox_helpers import (
    LIST,
    PLANS,
    FakeClock,
    SignedClient,
    make_client,
    plan_body,
    plan_ids_from_process,
)

from wxplan_cli.sandbox.app import Sandbox
from wxplan_cli.sandbox.identity import SandboxIdentity, override_identity
from wxplan_cli.sandbox.options import SandboxOptions
from wxplan_cli.sandbox.server import serve_in_thread
from wxplan_cli.sandbox.store import open_store
from wxplan_cli.sandbox.transport import SandboxTransport

pytest_plugins = ["sandbox_fixtures"]


def create(client: SignedClient, body: Any) -> httpx.Response:
    return client.send("POST", PLANS, body)


def listed(client: SignedClient, query: str = "page_size=50") -> Any:
    return client.verified(client.send("GET", f"{LIST}?{query}"))


def test_same_number_same_content_returns_the_same_plan(sb_local: SignedClient, sb_clock: FakeClock) -> None:
    first = sb_local.verified(create(sb_local, plan_body()))["plan"]
    sb_clock.advance(5)
    again = sb_local.verified(create(sb_local, plan_body()))["plan"]
    assert again["plan_id"] == first["plan_id"]
    assert again["plan_state"] == "PLAN_DELIVERING"  # the current state, not a copy of the first reply
    assert listed(sb_local)["total_count"] == 1


def test_same_content_serialised_differently_is_the_same_request(sb_local: SignedClient) -> None:
    body = plan_body()
    first = sb_local.verified(create(sb_local, json.dumps(body).encode()))["plan"]  # \uXXXX, ", " separators
    reordered = json.dumps(dict(sorted(body.items())), ensure_ascii=False, indent=2).encode()
    again = sb_local.verified(create(sb_local, reordered))["plan"]
    assert again["plan_id"] == first["plan_id"]


def test_same_number_different_content_is_refused(sb_local: SignedClient) -> None:
    plan_id = sb_local.verified(create(sb_local, plan_body()))["plan"]["plan_id"]
    response = create(sb_local, plan_body(total_count=20001))
    assert response.status_code == 400
    error = response.json()
    assert (error["code"], error["detail"]["field"]) == ("INVALID_REQUEST", "/out_request_no")
    assert plan_id in error["detail"]["issue"]
    assert listed(sb_local)["total_count"] == 1


def test_a_refused_request_does_not_use_up_its_number(sb_local: SignedClient) -> None:
    assert create(sb_local, plan_body(total_count=0)).status_code == 400
    assert create(sb_local, plan_body()).status_code == 200


def test_update_is_idempotent_on_its_number(sb_local: SignedClient) -> None:
    plan_id = sb_local.verified(create(sb_local, plan_body()))["plan"]["plan_id"]
    change = {"out_request_no": "upd-000001", "modify_content": {"total_count": 30000}}
    first = sb_local.verified(sb_local.send("PATCH", f"{PLANS}/{plan_id}", change))["plan"]
    again = sb_local.send("PATCH", f"{PLANS}/{plan_id}", change)  # would break "must increase" if re-applied
    assert again.status_code == 200 and again.json()["plan"]["total_count"] == first["total_count"] == 30000
    other = sb_local.send("PATCH", f"{PLANS}/{plan_id}", change | {"modify_content": {"total_count": 40000}})
    assert other.status_code == 400 and other.json()["detail"]["field"] == "/out_request_no"
    reused = sb_local.send("PATCH", f"{PLANS}/{plan_id}", change | {"out_request_no": "req-000001"})
    assert reused.status_code == 400 and "create" in reused.json()["detail"]["issue"]


def test_numbers_are_scoped_per_mchid(sb_identity: SandboxIdentity, sb_profile: dict[str, Any],
                                      sb_clock: FakeClock, sb_merchant_key: Any, tmp_path: Path) -> None:
    state = tmp_path / "plans.sqlite3"
    other = override_identity(sb_identity, mchid="1900000110")
    clients, boxes = [], []
    for identity in (sb_identity, other):
        boxes.append(Sandbox(identity, open_store(state), clock=sb_clock))
        http = httpx.Client(transport=SandboxTransport(boxes[-1]), base_url="http://sandbox.invalid")
        clients.append(make_client(sb_profile | {"mchid": identity.mchid}, http, sb_clock, sb_merchant_key))
    ours = clients[0].verified(create(clients[0], plan_body()))["plan"]["plan_id"]
    theirs = clients[1].verified(create(clients[1], plan_body()))["plan"]["plan_id"]
    assert ours != theirs
    assert listed(clients[1])["plan_list"][0]["plan_id"] == theirs
    assert clients[1].send("POST", f"{PLANS}/{ours}/terminate").status_code == 404
    for client, box in zip(clients, boxes, strict=True):
        client.http.close()
        box.close()


def test_concurrent_identical_creates_make_one_plan(sb: Sandbox, sb_remote: SignedClient) -> None:
    results: list[httpx.Response] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(create(sb_remote, plan_body()))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [200] * 8
    assert len({r.json()["plan"]["plan_id"] for r in results}) == 1
    assert listed(sb_remote)["total_count"] == 1


def test_processes_share_a_state_file(sb_home: Path, tmp_path: Path) -> None:
    state = tmp_path / "shared.sqlite3"
    same = [f"same-{n:04d}" for n in range(5)]
    jobs = [same + [f"own-{worker}-{n}" for n in range(5)] for worker in range(3)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        results = pool.starmap(plan_ids_from_process, [(str(sb_home), str(state), job) for job in jobs])
    assert results[0][:5] == results[1][:5] == results[2][:5]
    all_ids = {plan_id for result in results for plan_id in result}
    assert len(all_ids) == 5 + 15
    store = open_store(state)
    with store.transaction(write=False) as tx:
        assert len(tx.list_plans("1900000109", "40016")) == 20
    store.close()


def test_state_file_survives_a_restart(sb_identity: SandboxIdentity, sb_profile: dict[str, Any],
                                       sb_clock: FakeClock, sb_merchant_key: Any, tmp_path: Path) -> None:
    state = tmp_path / "plans.sqlite3"
    ids = []
    for round_ in range(2):
        box = Sandbox(sb_identity, open_store(state), clock=sb_clock)
        with serve_in_thread(box, log=lambda line: None) as running, \
                httpx.Client(base_url=running.url) as http:
            client = make_client(sb_profile, http, sb_clock, sb_merchant_key)
            body = plan_body(out_request_no=f"req-round-{round_}")
            ids.append(client.verified(create(client, body))["plan"])
            replay = client.verified(create(client, plan_body(out_request_no="req-round-0")))["plan"]
            assert replay["plan_id"] == ids[0]["plan_id"]
            assert listed(client)["total_count"] == round_ + 1
        box.close()
    assert ids[0]["plan_id"] != ids[1]["plan_id"]


def state_of(client: SignedClient, plan_id: str) -> tuple[str, str, dict[str, Any]]:
    plan = listed(client, f"plan_id={plan_id}")["plan_list"][0]
    return plan["plan_state"], plan["audit_state"], plan


def test_lifecycle_follows_the_clock(sb_local: SignedClient, sb_clock: FakeClock) -> None:
    plan_id = sb_local.verified(create(sb_local, plan_body()))["plan"]["plan_id"]
    assert state_of(sb_local, plan_id)[:2] == ("PLAN_CREATING", "AUDIT_INITIAL")
    sb_clock.advance(1.0)
    assert state_of(sb_local, plan_id)[:2] == ("PLAN_CREATED", "AUDIT_PROCESSING")
    sb_clock.advance(3.0)
    assert state_of(sb_local, plan_id)[:2] == ("PLAN_DELIVERING", "AUDIT_PASSED")
    change = {"out_request_no": "upd-000001", "modify_content": {"total_count": 30000}}
    sb_local.verified(sb_local.send("PATCH", f"{PLANS}/{plan_id}", change))
    assert state_of(sb_local, plan_id)[:2] == ("PLAN_DELIVERING", "AUDIT_PROCESSING")
    sb_clock.advance(3.0)
    assert state_of(sb_local, plan_id)[:2] == ("PLAN_DELIVERING", "AUDIT_PASSED")
    assert sb_local.send("POST", f"{PLANS}/{plan_id}/terminate").status_code == 204
    assert state_of(sb_local, plan_id)[0] == "PLAN_TERMINATING"
    sb_clock.advance(1.0)
    assert state_of(sb_local, plan_id)[0] == "PLAN_TERMINATED"


def test_reject_marker_fails_the_audit(sb_local: SignedClient, sb_clock: FakeClock) -> None:
    plan_id = sb_local.verified(create(sb_local, plan_body(plan_name="please reject")))["plan"]["plan_id"]
    sb_clock.advance(10)
    assert state_of(sb_local, plan_id)[:2] == ("PLAN_CREATED", "AUDIT_REJECTED")
    change = {"out_request_no": "upd-000001", "modify_content": {"plan_name": "fixed name"}}
    sb_local.verified(sb_local.send("PATCH", f"{PLANS}/{plan_id}", change))
    sb_clock.advance(10)
    assert state_of(sb_local, plan_id)[:2] == ("PLAN_DELIVERING", "AUDIT_PASSED")


def test_rejected_update_keeps_delivering_the_old_content(sb_local: SignedClient,
                                                          sb_clock: FakeClock) -> None:
    plan_id = sb_local.verified(create(sb_local, plan_body()))["plan"]["plan_id"]
    sb_clock.advance(10)
    change = {"out_request_no": "upd-000001", "modify_content": {"plan_name": "REJECT", "total_count": 30000}}
    shown = sb_local.verified(sb_local.send("PATCH", f"{PLANS}/{plan_id}", change))["plan"]
    assert (shown["plan_name"], shown["total_count"]) == ("REJECT", 30000)
    sb_clock.advance(10)
    state, audit, plan = state_of(sb_local, plan_id)
    assert (state, audit, plan["plan_name"], plan["total_count"]) == (
        "PLAN_DELIVERING", "AUDIT_REJECTED", "冬季饮料投放", 20000)


def test_a_newer_update_supersedes_one_under_audit(sb_local: SignedClient, sb_clock: FakeClock) -> None:
    plan_id = sb_local.verified(create(sb_local, plan_body()))["plan"]["plan_id"]
    sb_clock.advance(10)
    for number, count in (("upd-000001", 30000), ("upd-000002", 40000)):
        change = {"out_request_no": number, "modify_content": {"total_count": count}}
        sb_local.verified(sb_local.send("PATCH", f"{PLANS}/{plan_id}", change))
        sb_clock.advance(1)
    sb_clock.advance(10)
    assert state_of(sb_local, plan_id)[2]["total_count"] == 40000


def test_expired_plans(sb_local: SignedClient, sb_clock: FakeClock) -> None:
    plan_id = sb_local.verified(create(sb_local, plan_body()))["plan"]["plan_id"]
    sb_clock.advance(60 * 86400)  # past 2026-03-01
    assert state_of(sb_local, plan_id)[0] == "PLAN_EXPIRED"
    assert sb_local.send("POST", f"{PLANS}/{plan_id}/terminate").status_code == 400
    change = {"out_request_no": "upd-000001", "modify_content": {"total_count": 30000}}
    assert sb_local.send("PATCH", f"{PLANS}/{plan_id}", change).status_code == 400


def test_zero_delays_deliver_at_once() -> None:
    from wxplan_cli.sandbox.lifecycle import PlanRecord, Version, derive

    options = SandboxOptions(creating_delay=0, audit_delay=0, terminating_delay=0)
    record = PlanRecord("1", "m", "b", 100.0, [Version(plan_body(), 100.0)])
    assert derive(record, 100.0, options.delays).plan_state == "PLAN_DELIVERING"
