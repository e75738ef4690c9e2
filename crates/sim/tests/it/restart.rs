//! A node restarted with no peer to help serves what it certified before from its own audit
//! log (its certificates are replayed, not recovered again from peers' partials).

use byzvote_sim::{Scenario, cluster::Cluster, keys};
use commonware_runtime::{Clock as _, Runner as _, Supervisor as _, deterministic};
use std::time::Duration;

#[test]
fn a_node_restarted_alone_serves_its_certificates_from_its_log() {
    let seed = 7;
    let scenario = Scenario::honest(seed, 4, 1);
    let request = scenario.requests().unwrap().remove(0);
    let id = request.id();
    let dir = std::env::temp_dir().join(format!("byzvote-restart-alone-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let keys = keys::keys(4).unwrap();
    let runner = deterministic::Runner::new(
        deterministic::Config::new()
            .with_seed(seed)
            .with_timeout(Some(Duration::from_secs(600))),
    );
    let data = dir.clone();
    runner.start(|ctx| async move {
        let tick = Duration::from_millis(50);
        let mut cluster = Cluster::new(ctx.child("cluster"), &scenario, keys, data)
            .await
            .unwrap();
        for i in 0..4 {
            cluster.start(i).await.unwrap();
        }
        for slot in &mut cluster.slots {
            let _ = slot.handle.as_mut().unwrap().submit(request.clone());
        }
        let before = loop {
            if let Some(d) = cluster.slots[0].handle.as_ref().unwrap().results.get(&id) {
                break d;
            }
            ctx.sleep(tick).await;
        };
        // Every node stops; node 0 comes back alone, cut off from the others.
        for i in 0..4 {
            cluster.crash(i);
        }
        cluster.partition(&[0], true).await.unwrap();
        cluster.start(0).await.unwrap();
        let after = loop {
            if let Some(d) = cluster.slots[0].handle.as_ref().unwrap().results.get(&id) {
                break d;
            }
            // The runtime's timeout fails the test (seed printed above) if it never comes.
            ctx.sleep(tick).await;
        };
        assert_eq!(after.record, before.record, "seed {seed}");
        assert_eq!(after.signature, before.signature, "seed {seed}");
        assert_eq!(after.proof, before.proof, "seed {seed}");
    });
    let _ = std::fs::remove_dir_all(&dir);
}
