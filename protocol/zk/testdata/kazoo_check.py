"""Drives a Warren cluster with kazoo, the Python ZooKeeper client, as an
application would: CRUD and its errors, sequential and ephemeral znodes, a
transaction that commits and one that fails, watches set through one node
and fired by changes through another, digest ACLs, and kazoo's Lock,
Counter, Election, LockingQueue and Party recipes. Prints one line per
check and exits non-zero at the first that fails.

Usage: /usr/bin/python3 kazoo_check.py host:port,host:port[,...]
(run by TestKazooClient in protocol/zk; needs Debian's python3-kazoo).
"""
import sys, time, threading
from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError, NodeExistsError, NotEmptyError, BadVersionError, NoAuthError
from kazoo.security import make_digest_acl
hosts = sys.argv[1]
a = KazooClient(hosts=hosts.split(",")[0]); a.start(timeout=15)
b = KazooClient(hosts=hosts.split(",")[1]); b.start(timeout=15)
def check(name, cond):
    print(("ok   " if cond else "FAIL ") + name, flush=True)
    if not cond:
        sys.exit(1)
def wait(cond, t=10):
    d = time.time()+t
    while time.time() < d:
        if cond(): return True
        time.sleep(0.05)
    return False
v = a.server_version()
check("server_version %r" % (v,), v[:2] == (3, 8))
check("ruok", a.command(b"ruok") == "imok")
a.ensure_path("/kz/app")
a.create("/kz/app/cfg", b"v1")
data, st = a.get("/kz/app/cfg"); check("get", data == b"v1" and st.version == 0)
a.set("/kz/app/cfg", b"v2", version=0)
try: a.set("/kz/app/cfg", b"v3", version=0); check("bad version", False)
except BadVersionError: check("bad version raises BadVersionError", True)
try: a.create("/kz/app/cfg"); check("exists", False)
except NodeExistsError: check("NodeExistsError", True)
try: a.get("/kz/nope"); check("nonode", False)
except NoNodeError: check("NoNodeError", True)
try: a.delete("/kz/app"); check("notempty", False)
except NotEmptyError: check("NotEmptyError", True)
p = a.create("/kz/app/seq-", b"", sequence=True); check("sequence " + p, p.startswith("/kz/app/seq-00"))
e = a.create("/kz/app/eph", b"", ephemeral=True)
check("children with data", set(c for c in a.get_children("/kz/app")) >= {"cfg", "eph"})
t = a.transaction(); t.check("/kz/app/cfg", 1); t.create("/kz/app/tx", b"x"); t.set_data("/kz/app/cfg", b"v3")
res = t.commit(); check("transaction commits: %r" % (res,), res[0] is True and res[1] == "/kz/app/tx" and a.get("/kz/app/cfg")[0] == b"v3")
t = b.transaction(); t.create("/kz/app/tx2", b"x"); t.check("/kz/app/cfg", 99)
res = t.commit(); check("failed transaction: %r" % (res,), b.exists("/kz/app/tx2") is None and any(isinstance(r, BadVersionError) for r in res))
seen = []
b.DataWatch("/kz/app/cfg", lambda d, s: seen.append(d))
kids = []
b.ChildrenWatch("/kz/app", lambda c: kids.append(sorted(c)))
a.set("/kz/app/cfg", b"watched")
check("DataWatch via other node", wait(lambda: b"watched" in seen))
a.create("/kz/app/new")
check("ChildrenWatch via other node", wait(lambda: any("new" in k for k in kids)))
acl = make_digest_acl("alice", "pw", all=True)
a.add_auth("digest", "alice:pw")
a.create("/kz/secret", b"s", acl=[acl])
b.sync("/kz/secret")  # b reads through another node: see a's create first
try: b.get("/kz/secret"); check("noauth", False)
except NoAuthError: check("NoAuthError without auth", True)
check("with auth", a.get("/kz/secret")[0] == b"s")
lock_a = a.Lock("/kz/lock", "a"); lock_b = b.Lock("/kz/lock", "b")
check("lock a", lock_a.acquire(timeout=10))
got = []
th = threading.Thread(target=lambda: got.append(lock_b.acquire(timeout=20))); th.start()
check("contenders", wait(lambda: len(lock_a.contenders()) == 2))
check("b waits", not got)
lock_a.release(); th.join(25)
check("b gets lock after release", got == [True]); lock_b.release()
ca = a.Counter("/kz/counter"); cb = b.Counter("/kz/counter")
for _ in range(10): ca += 1; cb += 1
a.sync("/kz/counter")
n = ca.value
check("counter from two clients: %d" % n, n == 20)
leader = []
el = b.Election("/kz/election", "b")
th2 = threading.Thread(target=lambda: el.run(lambda: leader.append("b"))); th2.start()
check("election", wait(lambda: leader == ["b"]))
q = a.LockingQueue("/kz/q"); q.put(b"job1"); qb = b.LockingQueue("/kz/q")
check("locking queue", qb.get(timeout=10) == b"job1" and qb.consume())
party = a.Party("/kz/party", "a"); party.join(); pb = b.Party("/kz/party", "b"); pb.join()
check("party of two", wait(lambda: len(party) == 2))
b.sync("/kz/app/eph")
check("ephemeral seen by b", b.exists("/kz/app/eph") is not None)
a.stop(); a.close()
check("ephemeral gone after close", wait(lambda: b.exists("/kz/app/eph") is None))
b.stop(); b.close()
print("ALL OK")
