// CuratorCheck drives a ZooKeeper-protocol cluster with Apache Curator
// (Debian's libcurator-*-java 5.4.0) through two clients on different
// nodes: CRUD, a transaction, a CuratorCache fed by the other node, an
// InterProcessMutex, a LeaderLatch hand-over and a SharedCount. It prints one
// line per check and exits non-zero at the first that fails. How to run it
// is in docs/compatibility.md ("Apache Curator").
import org.apache.curator.framework.*;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.cache.*;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import java.util.concurrent.*;
import java.util.*;

public class CuratorCheck {
  static void check(String name, boolean ok) {
    System.out.println((ok ? "ok   " : "FAIL ") + name);
    if (!ok) System.exit(1);
  }
  public static void main(String[] args) throws Exception {
    String[] hosts = args[0].split(",");
    CuratorFramework a = CuratorFrameworkFactory.newClient(hosts[0], new ExponentialBackoffRetry(200, 5));
    CuratorFramework b = CuratorFrameworkFactory.newClient(hosts[1], new ExponentialBackoffRetry(200, 5));
    a.start(); b.start();
    check("connected", a.blockUntilConnected(15, TimeUnit.SECONDS) && b.blockUntilConnected(15, TimeUnit.SECONDS));
    a.create().creatingParentsIfNeeded().forPath("/cur/app/cfg", "v1".getBytes());
    check("get", new String(a.getData().forPath("/cur/app/cfg")).equals("v1"));
    String seq = a.create().withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath("/cur/app/e-");
    check("ephemeral sequential " + seq, seq.startsWith("/cur/app/e-00"));
    // transaction
    var res = a.transaction().forOperations(
      a.transactionOp().check().withVersion(0).forPath("/cur/app/cfg"),
      a.transactionOp().setData().forPath("/cur/app/cfg", "v2".getBytes()),
      a.transactionOp().create().forPath("/cur/app/tx"));
    check("transaction " + res.size() + " results", res.size() == 3 && new String(a.getData().forPath("/cur/app/cfg")).equals("v2"));
    // cache across nodes
    CountDownLatch changed = new CountDownLatch(1);
    CuratorCache cache = CuratorCache.build(b, "/cur/app");
    cache.listenable().addListener((type, oldData, data) -> {
      if (type == CuratorCacheListener.Type.NODE_CHANGED && data != null && new String(data.getData()).equals("v3")) changed.countDown();
    });
    cache.start();
    // wait until the cache has the node before changing it
    long dl = System.currentTimeMillis() + 10000;
    while (!cache.get("/cur/app/cfg").isPresent() && System.currentTimeMillis() < dl) Thread.sleep(20);
    a.setData().forPath("/cur/app/cfg", "v3".getBytes());
    check("CuratorCache on another node sees the change", changed.await(10, TimeUnit.SECONDS));
    // mutex
    InterProcessMutex ma = new InterProcessMutex(a, "/cur/lock"), mb = new InterProcessMutex(b, "/cur/lock");
    check("mutex a", ma.acquire(10, TimeUnit.SECONDS));
    check("mutex b waits", !mb.acquire(500, TimeUnit.MILLISECONDS));
    ExecutorService ex = Executors.newSingleThreadExecutor();
    Future<Boolean> got = ex.submit(() -> mb.acquire(15, TimeUnit.SECONDS));
    ma.release();
    check("mutex b after release", got.get(20, TimeUnit.SECONDS));
    ex.submit(() -> { mb.release(); return null; }).get();
    // leader latch
    LeaderLatch la = new LeaderLatch(a, "/cur/leader", "a"), lb = new LeaderLatch(b, "/cur/leader", "b");
    la.start(); lb.start();
    check("a leader latch", la.await(10, TimeUnit.SECONDS) || lb.await(10, TimeUnit.SECONDS));
    boolean aLeads = la.hasLeadership();
    check("exactly one leader", aLeads != lb.hasLeadership());
    (aLeads ? la : lb).close();
    check("the other takes over", (aLeads ? lb : la).await(10, TimeUnit.SECONDS));
    (aLeads ? lb : la).close();
    // shared count
    SharedCount ca = new SharedCount(a, "/cur/count", 0), cb = new SharedCount(b, "/cur/count", 0);
    ca.start(); cb.start();
    for (int i = 0; i < 5; i++) {
      while (!ca.trySetCount(ca.getVersionedValue(), ca.getCount() + 1)) {}
      while (!cb.trySetCount(cb.getVersionedValue(), cb.getCount() + 1)) {}
    }
    a.sync().forPath("/cur/count");
    int n = java.nio.ByteBuffer.wrap(a.getData().forPath("/cur/count")).getInt();
    check("shared count from two clients: " + n, n == 10);
    ca.close(); cb.close(); cache.close();
    a.close();
    b.sync().forPath(seq);
    long d2 = System.currentTimeMillis() + 10000;
    while (b.checkExists().forPath(seq) != null && System.currentTimeMillis() < d2) Thread.sleep(50);
    check("ephemeral gone after close", b.checkExists().forPath(seq) == null);
    b.close(); ex.shutdownNow();
    System.out.println("ALL OK");
  }
}
