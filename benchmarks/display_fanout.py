"""Live-floor fan-out: call-to-display latency, ticket followers, memory per socket.

    .venv/bin/python benchmarks/display_fanout.py [--halls 200] [--displays-per-hall 10]
        [--calls-per-hall 3] [--followers 1000] [--servers 2]

Builds a fresh PostgreSQL database (qms_bench_ws), starts Daphne processes on
it sharing the local Redis, and measures from one client process:

1. 2,000 display sockets across 200 halls (10 per hall, spread over the
   servers). Agents call numbers over HTTP; each display records when
   `ticket.called` arrives. Latency = arrival - the moment the call-next
   request was sent. Every display must see every call of its hall, in
   order, once.
2. 1,000 customers following tickets of one busy hall over /ws/tickets/.
   Each call moves everyone's place in line; latency = arrival of the
   follower's updated position - the moment the call-next request was sent.
3. Memory per idle display socket: the servers' RSS before and after
   opening the display sockets, divided by their number.

Prints a Markdown report; --write puts it in docs/benchmarks.md (replacing
the previous one).
"""

import argparse
import asyncio
import gc
import sys
import time
import uuid

import aiohttp
from harness import (
    machine,
    machine_line,
    now_stamp,
    percentile_rounded,
    prepare_database,
    rss_mb,
    section_markers,
    server_env,
    start_servers,
    stop_servers,
    wait_up,
    write_section,
)

DB_NAME = "qms_bench_ws"
SECTION_START, SECTION_END = section_markers("display_fanout")


# Run in a child process with the servers' environment; filled in with str.format.
FLOOR = """
import django; django.setup()
from datetime import time
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from halls.models import *
from queueing import services
User = get_user_model()
svc, _ = Service.objects.get_or_create(code="payment", defaults=dict(name_zh="缴费充值", name_en="Payment", prefix="A"))
outlets = Outlet.objects.bulk_create([Outlet(code=f"B-{{i:04d}}", name=f"基准营业厅{{i}}", kind="owned_hall",
    district="金水区", has_queue=True) for i in range({halls})])
OpeningHours.objects.bulk_create([OpeningHours(outlet=o, weekday=d, opens=time(0), closes=time(0))
    for o in outlets for d in range(7)])
HallService.objects.bulk_create([HallService(outlet=o, service=svc, prefix="A") for o in outlets])
for o in outlets:
    user = User.objects.create_user(username=f"agent-{{o.code}}", password="x")
    StaffMembership.objects.create(user=user, outlet=o)
    counter = Counter.objects.create(outlet=o, number=1)
    CounterService.objects.create(counter=counter, service=svc)
    services.counter_open(counter_id=counter.pk, user=user)
    print(o.code, counter.pk, Token.objects.create(user=user).key)
busy = outlets[0]
tokens = [services.ticket_issue(outlet=busy, service_code="payment", channel="staff")[0].token
          for _ in range({followers})]
print("FOLLOW", " ".join(tokens))
"""


def prepare_floor(env, halls, followers):
    """`halls` halls, each with an agent signed in to its one open counter
    (code, counter id, token), and `followers` waiting tickets of the first."""
    out = prepare_database(DB_NAME, env, [sys.executable, "-c", FLOOR.format(halls=halls, followers=followers)])
    halls_info, follow = [], []
    for line in out.splitlines():
        if line.startswith("FOLLOW"):
            follow = line.split()[1:]
        elif line.strip():
            code, counter_id, token = line.split()
            halls_info.append((code, int(counter_id), token))
    return halls_info, follow


class Display:
    def __init__(self, code):
        self.code = code
        self.calls = []  # (number, arrival)
        self.seqs = []

    async def run(self, session, host, ready):
        async with session.ws_connect(f"ws://{host}/ws/halls/{self.code}/display/",
                                      headers={"Origin": f"http://{host}"}, heartbeat=None) as ws:
            snapshot = await ws.receive_json()
            assert snapshot["type"] == "snapshot"
            ready.set_result(True) if not ready.done() else None
            async for msg in ws:
                data = msg.json()
                arrival = time.perf_counter()
                self.seqs.append(data.get("seq"))
                if data["type"] == "ticket.called":
                    self.calls.append((data["number"], arrival))


class Follower:
    def __init__(self, token):
        self.token = token
        self.updates = []  # (position, status, arrival)

    async def run(self, session, host, ready):
        async with session.ws_connect(f"ws://{host}/ws/tickets/{self.token}/",
                                      headers={"Origin": f"http://{host}"}, heartbeat=None) as ws:
            first = await ws.receive_json()
            self.updates.append((first["position"], first["status"], time.perf_counter()))
            ready.set_result(True) if not ready.done() else None
            async for msg in ws:
                data = msg.json()
                self.updates.append((data["position"], data["status"], time.perf_counter()))


async def call_once(session, host, counter_id, token, answers=None):
    """Call next, then start and finish so the counter is free again. Returns (number, sent_at);
    appends the call-next request's own latency (ms) to `answers`."""
    headers = {"Authorization": f"Token {token}"}
    sent = time.perf_counter()
    async with session.post(f"http://{host}/api/v1/counters/{counter_id}/call-next/", headers=headers) as r:
        body = await r.json() if r.status == 200 else None
    if answers is not None:
        answers.append((time.perf_counter() - sent) * 1000)
    for action in ("start", "finish"):
        async with session.post(f"http://{host}/api/v1/counters/{counter_id}/{action}/", headers=headers) as r:
            await r.read()
    return (body["number"] if body else None), sent


async def open_sockets(session, items, hosts, per_batch=200):
    tasks = []
    for start in range(0, len(items), per_batch):
        readies = []
        for i, (obj, _) in enumerate(items[start:start + per_batch]):
            ready = asyncio.get_running_loop().create_future()
            host = hosts[(start + i) % len(hosts)]
            tasks.append(asyncio.create_task(obj.run(session, host, ready)))
            readies.append(ready)
        await asyncio.wait_for(asyncio.gather(*readies), timeout=120)
    return tasks


async def fanout(args, halls, servers):
    hosts = [s.host for s in servers]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        await wait_up(session, servers, "/api/v1/halls/?page_size=1", deadline_seconds=60)
        # Issue the tickets to be called: calls_per_hall per hall (skip the busy hall's queue).
        for code, _, token in halls[1:]:
            for _ in range(args.calls_per_hall):
                async with session.post(f"http://{hosts[0]}/api/v1/halls/{code}/tickets/",
                                        json={"service": "payment", "channel": "staff"},
                                        headers={"Authorization": f"Token {token}"}) as r:
                    assert r.status == 201, await r.text()
        rss_before = rss_mb([s.proc.pid for s in servers])
        displays = [Display(code) for code, _, _ in halls[1:] for _ in range(args.displays_per_hall)]
        t0 = time.perf_counter()
        tasks = await open_sockets(session, [(d, None) for d in displays], hosts)
        connect_seconds = time.perf_counter() - t0
        await asyncio.sleep(2)
        rss_after = rss_mb([s.proc.pid for s in servers])

        sent_at = {}  # (hall, number) -> sent
        answers = []
        for round_no in range(args.calls_per_hall):
            for i, (code, counter_id, token) in enumerate(halls[1:]):
                number, sent = await call_once(session, hosts[i % len(hosts)], counter_id, token, answers)
                sent_at[(code, number)] = sent
                await asyncio.sleep(1 / args.call_rate)
        await asyncio.sleep(3)
        for t in tasks:
            t.cancel()

        latencies, missing, disorder, duplicates = [], 0, 0, 0
        expected = {}
        for (code, number), _ in sorted(sent_at.items(), key=lambda kv: kv[1]):
            expected.setdefault(code, []).append(number)
        for d in displays:
            numbers = [n for n, _ in d.calls]
            want = expected.get(d.code, [])
            missing += len(set(want) - set(numbers))
            duplicates += len(numbers) - len(set(numbers))
            disorder += numbers != want and set(numbers) == set(want)
            for number, arrival in d.calls:
                latencies.append((arrival - sent_at[(d.code, number)]) * 1000)
        return {
            "displays": len(displays),
            "halls": len(halls) - 1,
            "calls": len(sent_at),
            "deliveries": len(latencies),
            "expected_deliveries": len(sent_at) * args.displays_per_hall,
            "missing": missing,
            "out_of_order": disorder,
            "duplicates": duplicates,
            "p50": percentile_rounded(latencies, 50),
            "p90": percentile_rounded(latencies, 90),
            "p95": percentile_rounded(latencies, 95),
            "p99": percentile_rounded(latencies, 99),
            "max": max(latencies) if latencies else float("nan"),
            "over_50": sum(1 for x in latencies if x >= 50),
            "answer_p50": percentile_rounded(answers, 50),
            "answer_p99": percentile_rounded(answers, 99),
            "connect_seconds": connect_seconds,
            "rss_before": rss_before,
            "rss_after": rss_after,
            "kb_per_socket": (rss_after - rss_before) * 1024 / max(1, len(displays)),
        }


async def followers_run(args, busy, tokens, servers):
    hosts = [s.host for s in servers]
    code, counter_id, token = busy
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        followers = [Follower(t) for t in tokens]
        tasks = await open_sockets(session, [(f, None) for f in followers], hosts)
        await asyncio.sleep(1)
        sends = []
        for _ in range(args.follower_calls):
            _, sent = await call_once(session, hosts[0], counter_id, token)
            sends.append(sent)
            await asyncio.sleep(args.follower_call_gap)
        await asyncio.sleep(3)
        for t in tasks:
            t.cancel()
        latencies, missed = [], 0
        for f in followers:
            start_position = f.updates[0][0]
            for k, sent in enumerate(sends, start=1):
                # After the k-th call a still-waiting ticket stands k places further up.
                want = start_position - k
                if want < 1:
                    break
                arrivals = [t for pos, status, t in f.updates[1:] if pos == want and status == "waiting"]
                if arrivals:
                    latencies.append((arrivals[0] - sent) * 1000)
                else:
                    missed += 1
        return {"followers": len(followers), "calls": len(sends), "updates": len(latencies), "missed": missed,
                "p50": percentile_rounded(latencies, 50), "p99": percentile_rounded(latencies, 99),
                "max": max(latencies) if latencies else float("nan")}


def report(args, fan, fol, command):
    now = now_stamp()
    return f"""{SECTION_START}
## Live floor: call-to-display latency, ticket followers, memory per socket

Command: `{command}`
Machine: {machine_line(machine())}; {args.servers} Daphne processes, the load client on the same machine. Run {now}.
Servers: DEBUG off, Redis channel layer and cache{"".join(f", `{item}`" for item in args.server_env)}.

| figure | result | target |
| --- | --- | --- |
| display sockets / halls | {fan['displays']} / {fan['halls']} | 2,000 / 200 |
| calls made | {fan['calls']} | |
| call-to-display latency p50 / p90 / p95 / p99 / max | {fan['p50']:.1f} / {fan['p90']:.1f} / {fan['p95']:.1f} / **{fan['p99']:.1f}** / {fan['max']:.1f} ms | p99 < 50 ms |
| deliveries at 50 ms or later | {fan['over_50']} of {fan['deliveries']} | under 1 % |
| the call-next request's own answer p50 / p99 | {fan['answer_p50']:.1f} / {fan['answer_p99']:.1f} ms | |
| deliveries received / expected | {fan['deliveries']} / {fan['expected_deliveries']} | all |
| missing / out of order / duplicated | {fan['missing']} / {fan['out_of_order']} / {fan['duplicates']} | 0 / 0 / 0 |
| ticket followers in one hall | {fol['followers']} | 1,000 |
| follower update latency p50 / p99 / max | {fol['p50']:.1f} / {fol['p99']:.1f} / {fol['max']:.1f} ms | p99 < 500 ms |
| follower updates received / missed | {fol['updates']} / {fol['missed']} | missed 0 |
| memory per idle display socket | {fan['kb_per_socket']:.1f} KiB | |
| servers' RSS before / after the sockets | {fan['rss_before']:.0f} / {fan['rss_after']:.0f} MiB | |

Latency is measured from the moment the agent's call-next request is sent
(so it includes the request itself, its transaction and commit) to the frame
arriving at the socket. Calls are paced at {args.call_rate}/s across halls.
The load client pauses its own garbage collector while it measures, so that
its pauses are not counted as the servers' latency.
{SECTION_END}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--halls", type=int, default=200)
    parser.add_argument("--displays-per-hall", type=int, default=10)
    parser.add_argument("--calls-per-hall", type=int, default=3)
    parser.add_argument("--call-rate", type=float, default=20.0, help="calls per second across halls")
    parser.add_argument("--followers", type=int, default=1000)
    parser.add_argument("--follower-calls", type=int, default=20)
    parser.add_argument("--follower-call-gap", type=float, default=0.5)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18600)
    parser.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the servers, e.g. DB_POOL_MAX_SIZE=16 (repeatable)")
    parser.add_argument("--write", action="store_true", help="put the report in docs/benchmarks.md")
    args = parser.parse_args()
    command = "python benchmarks/display_fanout.py " + " ".join(sys.argv[1:])

    env = server_env(DB_NAME, f"bench-{uuid.uuid4().hex[:8]}", args.server_env, redis_db=6)
    print("preparing database ...", flush=True)
    halls, follow_tokens = prepare_floor(env, args.halls + 1, args.followers)
    servers = start_servers(env, args.servers, args.port)
    try:
        print("display fan-out ...", flush=True)
        # The client's own collector pauses would be counted as latency.
        gc.disable()
        fan = asyncio.run(fanout(args, halls, servers))
        gc.collect()
        print("ticket followers ...", flush=True)
        fol = asyncio.run(followers_run(args, halls[0], follow_tokens, servers))
        gc.enable()
    except Exception:
        print("servers' logs: " + ", ".join(str(s.log_path) for s in servers), file=sys.stderr)
        raise
    finally:
        stop_servers(servers)
    text = report(args, fan, fol, command)
    print(text)
    if args.write:
        write_section(text, SECTION_START, SECTION_END)


if __name__ == "__main__":
    main()
