"""Checks the kazoo ZooKeeper client against a Warren cluster.

Usage: /usr/bin/python3 kazoo_check.py HOST:PORT,HOST:PORT,HOST:PORT

TestKazooClient (protocol/zk/kazoo_test.go) runs it against a three-node
cluster it starts. Each check prints one line; any mismatch raises, and the
script exits 1 after printing which checks failed.
"""

import logging
import re
import socket
import sys
import threading
import time
import traceback

from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadVersionError,
    LockTimeout,
    NoAuthError,
    NoChildrenForEphemeralsError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
    RuntimeInconsistency,
)
from kazoo.protocol.states import EventType, KazooState
from kazoo.recipe.cache import TreeCache, TreeEvent
from kazoo.security import READ_ACL_UNSAFE, make_digest_acl

# How long any one wait for the cluster may take.
WAIT = 30.0


class CheckFailed(Exception):
    pass


def want(cond, what):
    if not cond:
        raise CheckFailed(what)


def want_eq(got, expected, what):
    if got != expected:
        raise CheckFailed("%s: got %r, want %r" % (what, got, expected))


def want_raises(exc, what, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc:
        return
    except Exception as e:  # noqa: BLE001 - reported as a mismatch
        raise CheckFailed("%s: raised %s(%s), want %s"
                          % (what, type(e).__name__, e, exc.__name__))
    raise CheckFailed("%s: did not raise, want %s" % (what, exc.__name__))


def poll(cond, what, timeout=WAIT):
    """Polls cond until it is true; fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise CheckFailed("timed out after %.0fs waiting for %s"
                              % (timeout, what))
        time.sleep(0.02)


def poll_eq(fn, expected, what, timeout=WAIT):
    """Polls fn until it returns expected (a read through a node that may
    not have applied another client's write yet)."""
    last = []

    def cond():
        last[:] = [fn()]
        return last[0] == expected

    try:
        poll(cond, what, timeout)
    except CheckFailed:
        raise CheckFailed("%s: got %r, want %r" % (what, last[0], expected))


class Recorder:
    """Collects the values a watch callback sees, for waiting on them."""

    def __init__(self):
        self.values = []
        self.cond = threading.Condition()

    def add(self, value):
        with self.cond:
            self.values.append(value)
            self.cond.notify_all()

    def wait_for(self, value, what, timeout=WAIT):
        with self.cond:
            if not self.cond.wait_for(lambda: value in self.values, timeout):
                raise CheckFailed("%s: never saw %r within %.0fs; saw %r"
                                  % (what, value, timeout, self.values))

    def snapshot(self):
        with self.cond:
            return list(self.values)


class Background:
    """Runs fn in a thread and keeps its result or exception."""

    def __init__(self, fn, *args, **kwargs):
        self.result = None
        self.error = None
        self.done = threading.Event()

        def run():
            try:
                self.result = fn(*args, **kwargs)
            except BaseException as e:  # noqa: BLE001 - handed to join
                self.error = e
            finally:
                self.done.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self, what, timeout=WAIT):
        if not self.done.wait(timeout):
            raise CheckFailed("%s: not finished within %.0fs" % (what, timeout))
        if self.error is not None:
            raise CheckFailed("%s: raised %s(%s)"
                              % (what, type(self.error).__name__, self.error))
        return self.result


def peer(client):
    # kazoo has no public accessor; command() uses the same attribute.
    return client._connection._socket.getpeername()[:2]


class Checks:
    def __init__(self, hosts):
        self.hosts = hosts
        self.clients = []

    def client(self, hosts, **kwargs):
        c = KazooClient(hosts=",".join(hosts), timeout=10,
                        randomize_hosts=False, **kwargs)
        c.start(timeout=WAIT)
        self.clients.append(c)
        want(c.state == KazooState.CONNECTED, "client connected")
        return c

    def close_all(self):
        for c in self.clients:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa: BLE001 - best effort at exit
                pass

    # -- the checks, in the order they run ---------------------------------

    def connect(self):
        """A connects through all three addresses, B through the others."""
        want_eq(len(self.hosts), 3, "number of addresses")
        self.a = self.client(self.hosts)
        # B is given the addresses other than A's node, so that every
        # cross-client check crosses nodes.
        pa = "%s:%d" % peer(self.a)
        others = [h for h in self.hosts if h != pa]
        want_eq(len(others), 2, "A connected to one of %r (at %s)"
                % (self.hosts, pa))
        self.b = self.client(others)
        want(peer(self.a) != peer(self.b), "A and B on different nodes")
        want(self.a.client_id[0] != self.b.client_id[0], "distinct sessions")

    def crud(self):
        a, b = self.a, self.b
        a.ensure_path("/kz-basic/x/y/z")
        for p in ("/kz-basic", "/kz-basic/x", "/kz-basic/x/y", "/kz-basic/x/y/z"):
            want(a.exists(p) is not None, "ensure_path created " + p)
        a.ensure_path("/kz-basic/x/y/z")  # again: no error

        want_eq(a.create("/kz-basic/p", b"v0"), "/kz-basic/p", "create path")
        data, st = a.get("/kz-basic/p")
        want_eq((data, st.version, st.ephemeralOwner, st.dataLength),
                (b"v0", 0, 0, 2), "get after create")
        want_raises(NodeExistsError, "create existing", a.create, "/kz-basic/p")
        want_raises(NoNodeError, "create without parent",
                    a.create, "/kz-basic/none/child")
        want_eq(a.create("/kz-basic/m/n/o", b"deep", makepath=True),
                "/kz-basic/m/n/o", "create makepath")
        want_eq(a.get("/kz-basic/m/n/o")[0], b"deep", "makepath data")
        path, st = a.create("/kz-basic/with-stat", b"s", include_data=True)
        want_eq((path, st.version, st.dataLength), ("/kz-basic/with-stat", 0, 1),
                "create include_data")

        eph = a.create("/kz-basic/eph", b"e", ephemeral=True)
        want_eq(a.exists(eph).ephemeralOwner, a.client_id[0], "ephemeral owner")
        want_raises(NoChildrenForEphemeralsError, "child of an ephemeral",
                    a.create, eph + "/child")

        seq = re.compile(r"^/kz-basic/seq/s-\d{10}$")
        s1 = a.create("/kz-basic/seq/s-", b"1", sequence=True, makepath=True)
        s2 = a.create("/kz-basic/seq/s-", b"2", sequence=True)
        es = a.create("/kz-basic/seq/s-", b"3", ephemeral=True, sequence=True)
        for name in (s1, s2, es):
            want(seq.match(name), "sequential name %r" % name)
        want(s1 < s2 < es, "sequence numbers increase: %r %r %r" % (s1, s2, es))
        want_eq(a.exists(s2).ephemeralOwner, 0, "sequential is persistent")
        want_eq(a.exists(es).ephemeralOwner, a.client_id[0],
                "ephemeral sequential owner")
        es2 = a.create("/kz-basic/eseq/e-", ephemeral=True, sequence=True,
                       makepath=True)
        want(re.match(r"^/kz-basic/eseq/e-\d{10}$", es2),
             "ephemeral sequential with makepath: %r" % es2)

        st = a.set("/kz-basic/p", b"v1")
        want_eq(st.version, 1, "set without version")
        st = a.set("/kz-basic/p", b"v2", version=1)
        want_eq(st.version, 2, "set with the right version")
        want_raises(BadVersionError, "set with a wrong version",
                    a.set, "/kz-basic/p", b"bad", version=1)
        want_eq(a.get("/kz-basic/p")[0], b"v2", "data after a refused set")
        want_raises(NoNodeError, "set missing", a.set, "/kz-basic/none", b"")
        want_raises(NoNodeError, "get missing", a.get, "/kz-basic/none")
        want(a.exists("/kz-basic/none") is None, "exists on a missing znode")
        st = a.exists("/kz-basic/p")
        want_eq((st.version, st.dataLength), (2, 2), "exists stat")

        # Read A's writes through B's node.
        b.sync("/kz-basic/p")
        data, st = b.get("/kz-basic/p")
        want_eq((data, st.version), (b"v2", 2), "B reads A's write")

        kids = a.get_children("/kz-basic/seq")
        want_eq(sorted(kids), sorted(n.rsplit("/", 1)[1] for n in (s1, s2, es)),
                "get_children")
        kids, st = a.get_children("/kz-basic/seq", include_data=True)
        want_eq((len(kids), st.numChildren), (3, 3),
                "get_children include_data")
        want_eq(a.get_children("/kz-basic/x"), ["y"], "get_children one level")
        want_raises(NoNodeError, "get_children missing",
                    a.get_children, "/kz-basic/none")

        want_raises(NotEmptyError, "delete a parent", a.delete, "/kz-basic/x")
        want_raises(BadVersionError, "delete with a wrong version",
                    a.delete, "/kz-basic/p", version=1)
        a.delete("/kz-basic/p", version=2)
        want(a.exists("/kz-basic/p") is None, "deleted with version")
        want_raises(NoNodeError, "delete missing", a.delete, "/kz-basic/p")
        a.delete("/kz-basic", recursive=True)
        want(a.exists("/kz-basic") is None, "recursive delete")
        b.sync("/kz-basic")
        want(b.exists("/kz-basic") is None, "recursive delete seen by B")

    def transactions(self):
        a = self.a
        a.create("/kz-txn/base", b"0", makepath=True)
        a.create("/kz-txn/old", b"")
        t = a.transaction()
        t.create("/kz-txn/new", b"n")
        t.set_data("/kz-txn/base", b"1", version=0)
        t.check("/kz-txn/base", 1)
        t.delete("/kz-txn/old")
        res = t.commit()
        want_eq(len(res), 4, "committed results %r" % (res,))
        want_eq(res[0], "/kz-txn/new", "create result")
        want_eq(res[1].version, 1, "set_data result version")
        want_eq(res[2:], [True, True], "check and delete results")
        want_eq(a.get("/kz-txn/new")[0], b"n", "created in transaction")
        data, st = a.get("/kz-txn/base")
        want_eq((data, st.version), (b"1", 1), "set in transaction")
        want(a.exists("/kz-txn/old") is None, "deleted in transaction")

        t = a.transaction()
        t.create("/kz-txn/never", b"x")
        t.set_data("/kz-txn/base", b"2")
        t.check("/kz-txn/base", 99)
        t.delete("/kz-txn/new")
        res = t.commit()
        kinds = [type(r) for r in res]
        want_eq(kinds, [RolledBackError, RolledBackError, BadVersionError,
                        RuntimeInconsistency], "failed transaction results")
        want(a.exists("/kz-txn/never") is None, "failed create not applied")
        data, st = a.get("/kz-txn/base")
        want_eq((data, st.version), (b"1", 1), "failed set not applied")
        want(a.exists("/kz-txn/new") is not None, "failed delete not applied")

        with a.transaction() as t:
            t.create("/kz-txn/seq-", b"", sequence=True)
            t.create("/kz-txn/seq-", b"", sequence=True)
        want_eq(len(a.get_children("/kz-txn")), 4,
                "sequential creates in a transaction")

    def watches(self):
        a, b = self.a, self.b
        a.create("/kz-watch/data", b"start", makepath=True)
        a.create("/kz-watch/kids")

        seen = Recorder()

        @a.DataWatch("/kz-watch/data")
        def on_data(data, stat):
            seen.add((data, stat.version if stat else None))

        seen.wait_for((b"start", 0), "DataWatch initial value")
        b.set("/kz-watch/data", b"one")
        seen.wait_for((b"one", 1), "DataWatch after B's first set")
        b.set("/kz-watch/data", b"two")
        seen.wait_for((b"two", 2), "DataWatch after B's second set")
        b.delete("/kz-watch/data")
        seen.wait_for((None, None), "DataWatch after B's delete")

        kids = Recorder()

        @a.ChildrenWatch("/kz-watch/kids")
        def on_children(children):
            kids.add(tuple(sorted(children)))

        kids.wait_for((), "ChildrenWatch initial value")
        b.create("/kz-watch/kids/c1")
        kids.wait_for(("c1",), "ChildrenWatch after B creates c1")
        b.create("/kz-watch/kids/c2", ephemeral=True)
        kids.wait_for(("c1", "c2"), "ChildrenWatch after B creates c2")
        b.delete("/kz-watch/kids/c1")
        kids.wait_for(("c2",), "ChildrenWatch after B deletes c1")

        # A one-shot watch set with get, fired by B.
        events = Recorder()
        a.create("/kz-watch/once", b"")
        a.get("/kz-watch/once", watch=lambda ev: events.add((ev.type, ev.path)))
        b.set("/kz-watch/once", b"changed")
        events.wait_for((EventType.CHANGED, "/kz-watch/once"),
                        "get watch fired by B's set")
        a.exists("/kz-watch/gone", watch=lambda ev: events.add((ev.type, ev.path)))
        b.create("/kz-watch/gone")
        events.wait_for((EventType.CREATED, "/kz-watch/gone"),
                        "exists watch fired by B's create")
        # A second change must not fire the spent watch. Callbacks run in
        # order, so once the marker's watch has fired, so would have that.
        b.set("/kz-watch/once", b"again")
        a.get("/kz-watch/gone", watch=lambda ev: events.add((ev.type, ev.path)))
        b.set("/kz-watch/gone", b"marker")
        events.wait_for((EventType.CHANGED, "/kz-watch/gone"),
                        "get watch fired after the second set")
        want_eq(len([e for e in events.snapshot() if e[1] == "/kz-watch/once"]),
                1, "a one-shot watch fires once")

    def tree_cache(self):
        a, b = self.a, self.b
        a.create("/kz-tree/a", b"1", makepath=True)
        a.create("/kz-tree/a/b", b"2")
        events = Recorder()
        cache = TreeCache(a, "/kz-tree")
        cache.listen(lambda ev: events.add(
            (ev.event_type, ev.event_data.path if ev.event_data else None)))
        cache.start()
        try:
            events.wait_for((TreeEvent.INITIALIZED, None), "TreeCache initialized")
            want_eq(cache.get_data("/kz-tree/a/b").data, b"2", "cached data")
            b.set("/kz-tree/a", b"x")
            events.wait_for((TreeEvent.NODE_UPDATED, "/kz-tree/a"),
                            "TreeCache sees B's set")
            want_eq(cache.get_data("/kz-tree/a").data, b"x", "cached new data")
            b.create("/kz-tree/a/c", b"3")
            events.wait_for((TreeEvent.NODE_ADDED, "/kz-tree/a/c"),
                            "TreeCache sees B's create")
            b.delete("/kz-tree/a/b")
            events.wait_for((TreeEvent.NODE_REMOVED, "/kz-tree/a/b"),
                            "TreeCache sees B's delete")
            want_eq(cache.get_children("/kz-tree/a"), frozenset(["c"]),
                    "cached children")
        finally:
            cache.close()

    def acls(self):
        a = self.a
        owner = self.client(self.hosts[:1])
        owner.add_auth("digest", "alice:secret")
        secret = make_digest_acl("alice", "secret", all=True)
        owner.create("/kz-acl/secret", b"hidden", acl=[secret], makepath=True)
        shared = [make_digest_acl("alice", "secret", all=True)] + list(READ_ACL_UNSAFE)
        owner.create("/kz-acl/shared", b"readable", acl=shared)

        want_eq(owner.get("/kz-acl/secret")[0], b"hidden", "owner reads")
        owner.set("/kz-acl/secret", b"hidden2")
        acls, _ = owner.get_acls("/kz-acl/secret")
        want_eq([(x.perms, x.id.scheme, x.id.id) for x in acls],
                [(secret.perms, "digest", secret.id.id)], "get_acls")
        owner.create("/kz-acl/later", b"")
        a.sync("/kz-acl/later")
        want(a.get("/kz-acl/later") is not None, "open ACL by default")
        _, st = owner.get_acls("/kz-acl/later")
        owner.set_acls("/kz-acl/later", [secret], version=st.aversion)
        want_raises(BadVersionError, "set_acls with a stale aversion",
                    owner.set_acls, "/kz-acl/later", [secret],
                    version=st.aversion)
        acls, st = owner.get_acls("/kz-acl/later")
        want_eq((acls, st.aversion), ([secret], 1), "ACL after set_acls")
        a.sync("/kz-acl/later")
        want_raises(NoAuthError, "get after set_acls", a.get, "/kz-acl/later")

        # A never authenticated: it may not read or write.
        a.sync("/kz-acl/secret")
        want_raises(NoAuthError, "get without auth", a.get, "/kz-acl/secret")
        want_raises(NoAuthError, "set without auth",
                    a.set, "/kz-acl/secret", b"x")
        want_raises(NoAuthError, "create child without auth",
                    a.create, "/kz-acl/secret/child")
        want_eq(a.get("/kz-acl/shared")[0], b"readable", "world-readable get")
        want_raises(NoAuthError, "set on read-only ACL",
                    a.set, "/kz-acl/shared", b"x")

        # The wrong password is accepted as an identity but matches nothing.
        wrong = self.client(self.hosts[1:2])
        wrong.add_auth("digest", "alice:wrong")
        wrong.sync("/kz-acl/secret")
        want_raises(NoAuthError, "get with a wrong password",
                    wrong.get, "/kz-acl/secret")
        # The right one, added through another node, works.
        right = self.client(self.hosts[2:3])
        right.add_auth("digest", "alice:secret")
        right.sync("/kz-acl/secret")
        want_eq(right.get("/kz-acl/secret")[0], b"hidden2",
                "get with the password on another node")
        for c in (owner, wrong, right):
            c.stop()
            c.close()

    def lock(self):
        la = self.a.Lock("/kz-lock/l", "client-a")
        lb = self.b.Lock("/kz-lock/l", "client-b")
        want(la.acquire(timeout=WAIT), "A acquires")
        want(not lb.acquire(blocking=False), "B cannot acquire without blocking")
        want_raises(LockTimeout, "B times out while A holds the lock",
                    self.b.Lock("/kz-lock/l", "client-b2").acquire, timeout=1)
        waiter = Background(lb.acquire, timeout=WAIT)
        poll(lambda: la.contenders() == ["client-a", "client-b"],
             "B queued behind A")
        want(not waiter.done.is_set(), "B still waiting while A holds")
        want(la.release(), "A releases")
        want(waiter.join("B acquires after A releases"), "B acquired")
        want_eq(lb.contenders(), ["client-b"], "contenders with B holding")
        want(lb.release(), "B releases")
        poll_eq(la.contenders, [], "contenders after release, read by A")

    def election(self):
        ea = self.a.Election("/kz-election", "a")
        eb = self.b.Election("/kz-election", "b")
        led = Recorder()
        stop = {"a": threading.Event(), "b": threading.Event()}

        def lead(name):
            led.add(name)
            if not stop[name].wait(WAIT):
                raise CheckFailed("%s: leadership never ended" % name)

        ra = Background(ea.run, lead, "a")
        led.wait_for("a", "A elected")
        rb = Background(eb.run, lead, "b")
        poll(lambda: eb.contenders() == ["a", "b"], "B contending")
        want_eq(led.snapshot(), ["a"], "only A leads")
        stop["a"].set()
        ra.join("A's run returns")
        led.wait_for("b", "B elected after A")
        poll_eq(ea.contenders, ["b"], "contenders with B leading, read by A")
        stop["b"].set()
        rb.join("B's run returns")

    def counter(self):
        ca = self.a.Counter("/kz-counter/c")
        cb = self.b.Counter("/kz-counter/c")
        n = 20

        def bump(c):
            for _ in range(n):
                c += 1

        ta, tb = Background(bump, ca), Background(bump, cb)
        ta.join("A's increments")
        tb.join("B's increments")
        self.a.sync("/kz-counter/c")
        self.b.sync("/kz-counter/c")
        want_eq((ca.value, cb.value), (2 * n, 2 * n), "counter value")
        ca -= 5
        want_eq((ca.pre_value, ca.post_value), (2 * n, 2 * n - 5),
                "counter pre and post values")

    def barriers(self):
        ba = self.a.Barrier("/kz-barrier/b")
        ba.create()
        bb = self.b.Barrier("/kz-barrier/b")
        self.b.sync("/kz-barrier/b")
        want(not bb.wait(timeout=0.5), "wait times out while the barrier is up")
        waiter = Background(bb.wait, timeout=WAIT)
        want(ba.remove(), "barrier removed")
        want(waiter.join("B's wait"), "B passes once the barrier is removed")
        want(not ba.remove(), "removing it again")

        da = self.a.DoubleBarrier("/kz-barrier/d", 2, "a")
        db = self.b.DoubleBarrier("/kz-barrier/d", 2, "b")
        entering = Background(da.enter)
        poll(lambda: self.b.exists("/kz-barrier/d")
             and len(self.b.get_children("/kz-barrier/d")) == 1,
             "A entered the double barrier")
        want(not entering.done.is_set(), "A waits for B to enter")
        db.enter()
        entering.join("A enters once B has")
        want(da.participating and db.participating, "both participating")
        leaving = Background(da.leave)
        db.leave()
        leaving.join("A leaves")
        poll_eq(lambda: self.a.get_children("/kz-barrier/d"), [],
                "double barrier empty after leaving")

    def parties(self):
        for kind in ("Party", "ShallowParty"):
            path = "/kz-party/" + kind
            pa = getattr(self.a, kind)(path, "a")
            pb = getattr(self.b, kind)(path, "b")
            pa.join()
            pb.join()
            poll_eq(lambda: sorted(pa), ["a", "b"], kind + " members, read by A")
            poll_eq(lambda: len(pb), 2, kind + " size, read by B")
            pb.leave()
            poll_eq(lambda: list(pa), ["a"], kind + " after B leaves")
            pa.leave()
            want_eq(len(pa), 0, kind + " empty")

    def queues(self):
        qa = self.a.Queue("/kz-queue/q")
        qb = self.b.Queue("/kz-queue/q")
        qa.put(b"first")
        qa.put(b"second")
        qa.put(b"urgent", priority=1)
        self.b.sync("/kz-queue/q")
        want_eq(len(qb), 3, "queue length")
        got = [qb.get(), qb.get(), qb.get(), qb.get()]
        want_eq(got, [b"urgent", b"first", b"second", None], "queue order")

        la = self.a.LockingQueue("/kz-queue/lq")
        lb = self.b.LockingQueue("/kz-queue/lq")
        la.put_all([b"x", b"y"])
        la.put(b"z", priority=200)
        want_eq(lb.get(timeout=WAIT), b"x", "B takes the first entry")
        want(lb.holds_lock(), "B holds the entry")
        want_eq(la.get(timeout=WAIT), b"y", "A skips B's locked entry")
        want(lb.consume() and la.consume(), "both consume")
        want_eq(lb.get(timeout=WAIT), b"z", "B takes the last entry")
        want(lb.release(), "B releases it unconsumed")
        want_eq(la.get(timeout=WAIT), b"z", "A takes the released entry")
        want(la.consume(), "A consumes it")
        want_eq(len(la), 0, "locking queue empty")
        want(lb.get(timeout=0.5) is None, "get on an empty queue times out")

    def session(self):
        c = self.client(self.hosts[:1])
        path = c.create("/kz-session/e", b"", ephemeral=True, makepath=True)
        party = c.Party("/kz-session/party", "c")
        party.join()
        self.b.sync(path)
        st = self.b.exists(path)
        want(st is not None and st.ephemeralOwner == c.client_id[0],
             "B sees C's ephemeral")
        want_eq(list(self.b.Party("/kz-session/party")), ["c"],
                "B sees C in the party")
        c.stop()
        c.close()
        poll(lambda: self.b.exists(path) is None,
             "C's ephemeral gone after stop")
        poll(lambda: list(self.b.Party("/kz-session/party")) == [],
             "C's party membership gone after stop")

    def session_move(self):
        """A dropped connection: the client resumes its session on the next
        node, keeping its ephemeral and its credentials. (kazoo 2.8 sends no
        setWatches; DataWatch and ChildrenWatch read again on reconnecting,
        and one-shot watches set before the move never fire, as with
        ZooKeeper.)"""
        m = self.client(self.hosts)
        m.add_auth("digest", "alice:secret")
        m.create("/kz-move-acl/secret", b"mine", makepath=True,
                 acl=[make_digest_acl("alice", "secret", all=True)])
        states = Recorder()
        m.add_listener(states.add)
        sid, before = m.client_id[0], peer(m)
        eph = m.create("/kz-move/eph", b"", ephemeral=True, makepath=True)
        m.create("/kz-move/d", b"0")
        seen = Recorder()
        m.DataWatch("/kz-move/d",
                    lambda data, stat: seen.add(data))
        kids = Recorder()
        m.ChildrenWatch("/kz-move", lambda c: kids.add(tuple(sorted(c))))
        seen.wait_for(b"0", "DataWatch before the move")
        kids.wait_for(("d", "eph"), "ChildrenWatch before the move")

        # kazoo has no call to drop its connection; shut its socket down.
        # (kazoo logs "Connection dropped" for this.)
        print("     dropping a connection on purpose", flush=True)
        m._connection._socket.shutdown(socket.SHUT_RDWR)
        self.b.set("/kz-move/d", b"while moving")
        states.wait_for(KazooState.SUSPENDED, "connection suspended")
        poll(lambda: m.state == KazooState.CONNECTED
             and m._connection._socket is not None
             and peer(m) != before, "reconnected to another node")
        want_eq(m.client_id[0], sid, "same session after the move")
        want(KazooState.LOST not in states.snapshot(), "session never lost")
        want_eq(m.get("/kz-move-acl/secret")[0], b"mine",
                "credentials sent again after the move")
        seen.wait_for(b"while moving", "DataWatch sees the change made "
                      "while the client moved")
        self.b.create("/kz-move/new")
        kids.wait_for(("d", "eph", "new"), "ChildrenWatch after the move")
        self.b.sync(eph)
        st = self.b.exists(eph)
        want(st is not None and st.ephemeralOwner == sid,
             "ephemeral survives the move")
        m.stop()
        m.close()
        poll(lambda: self.b.exists(eph) is None,
             "ephemeral gone after the moved session closes")

    def four_letter_words(self):
        v = self.a.server_version()
        want(isinstance(v, tuple) and len(v) >= 3 and v[:2] == (3, 8),
             "server_version %r" % (v,))
        want_eq(self.a.command(b"ruok"), "imok", "ruok")
        srvr = self.b.command(b"srvr")
        want("Zookeeper version: 3.8." in srvr, "srvr answer %r" % srvr)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="kazoo log: %(levelname)s %(name)s %(message)s")
    hosts = sys.argv[1].split(",")
    checks = Checks(hosts)
    steps = [
        ("connect to three nodes", checks.connect),
        ("create/get/set/exists/get_children/delete", checks.crud),
        ("transactions", checks.transactions),
        ("DataWatch, ChildrenWatch and one-shot watches", checks.watches),
        ("TreeCache", checks.tree_cache),
        ("digest ACLs, add_auth and set_acls", checks.acls),
        ("Lock", checks.lock),
        ("Election", checks.election),
        ("Counter", checks.counter),
        ("Barrier and DoubleBarrier", checks.barriers),
        ("Party and ShallowParty", checks.parties),
        ("Queue and LockingQueue", checks.queues),
        ("ephemerals end with the session", checks.session),
        ("session resumed on another node", checks.session_move),
        ("server_version and four-letter words", checks.four_letter_words),
    ]
    failed = []
    try:
        for name, step in steps:
            start = time.monotonic()
            try:
                step()
            except Exception as e:  # noqa: BLE001 - reported below
                failed.append(name)
                print("FAIL %s: %s: %s" % (name, type(e).__name__, e), flush=True)
                traceback.print_exc(file=sys.stdout)
                if name == "connect to three nodes":
                    break
            else:
                print("ok   %s (%.2fs)" % (name, time.monotonic() - start),
                      flush=True)
    finally:
        checks.close_all()
    if failed:
        print("%d of %d checks failed: %s" % (len(failed), len(steps),
                                             ", ".join(failed)))
        return 1
    print("all %d checks passed" % len(steps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
