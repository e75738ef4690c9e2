//! A TCP proxy mesh the harness controls: node `i` reaches node `j` at `port(i, j)`, a
//! listener that forwards to `j`'s real p2p address. Commonware's `authenticated::lookup`
//! dials every peer at the address in the config and both sides may dial, so a connection
//! between `i` and `j` always crosses the `i → j` or the `j → i` listener; blocking both cuts
//! the pair whoever dialed.
//!
//! A partition isolates a group: every link with exactly one end inside it is blocked.
//! Existing connections on blocked links are shut down; new ones are refused (accepted and
//! closed at once) or blackholed (accepted and held open in silence until the heal, so the
//! dialer's handshake times out instead of failing fast). Threads and `std::net` only.

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One forwarded connection: the node that dialed (`client`) and the upstream peer.
struct Conn {
    id: u64,
    from: usize,
    to: usize,
    client: TcpStream,
    upstream: TcpStream,
}

#[derive(Default)]
struct State {
    /// The isolated group (empty: no partition).
    cut: BTreeSet<usize>,
    blackhole: bool,
    conns: Vec<Conn>,
    /// Blackholed connections, closed at the heal.
    held: Vec<TcpStream>,
}

impl State {
    fn blocked(&self, from: usize, to: usize) -> bool {
        self.cut.contains(&from) != self.cut.contains(&to)
    }
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
    next_id: AtomicU64,
    /// Connections shut down by a partition, and refused or blackholed while one held.
    severed: AtomicU64,
    refused: AtomicU64,
}

pub struct Mesh {
    shared: Arc<Shared>,
    /// `ports[i][j]`: where node `i` reaches node `j` (0 on the diagonal).
    ports: Vec<Vec<u16>>,
}

impl Mesh {
    /// Starts one listener per directed pair, forwarding to `targets[j]`.
    pub fn new(targets: &[SocketAddr]) -> Self {
        let n = targets.len();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            stop: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
            severed: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        });
        let mut ports = vec![vec![0u16; n]; n];
        for (from, row) in ports.iter_mut().enumerate() {
            for (to, port) in row.iter_mut().enumerate() {
                if from == to {
                    continue;
                }
                let listener = TcpListener::bind("127.0.0.1:0").expect("bind a proxy port");
                *port = listener.local_addr().unwrap().port();
                let shared = shared.clone();
                let target = targets[to];
                std::thread::spawn(move || accept_loop(listener, shared, from, to, target));
            }
        }
        Self { shared, ports }
    }

    /// Where node `from` reaches node `to`.
    pub fn port(&self, from: usize, to: usize) -> u16 {
        self.ports[from][to]
    }

    /// Cuts `group` off from the others (replacing any earlier partition).
    pub fn partition(&self, group: &BTreeSet<usize>, blackhole: bool) {
        let mut st = self.shared.state.lock().unwrap();
        st.cut = group.clone();
        st.blackhole = blackhole;
        let cut = st.cut.clone();
        for c in st
            .conns
            .iter()
            .filter(|c| cut.contains(&c.from) != cut.contains(&c.to))
        {
            let _ = c.client.shutdown(Shutdown::Both);
            let _ = c.upstream.shutdown(Shutdown::Both);
            self.shared.severed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Ends the partition; blackholed connections are closed so their dialers retry.
    pub fn heal(&self) {
        let mut st = self.shared.state.lock().unwrap();
        st.cut.clear();
        for s in st.held.drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// (connections severed by partitions, connections refused or blackholed during them).
    pub fn counts(&self) -> (u64, u64) {
        (
            self.shared.severed.load(Ordering::Relaxed),
            self.shared.refused.load(Ordering::Relaxed),
        )
    }
}

impl Drop for Mesh {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.heal();
        for c in self.shared.state.lock().unwrap().conns.drain(..) {
            let _ = c.client.shutdown(Shutdown::Both);
            let _ = c.upstream.shutdown(Shutdown::Both);
        }
        // Wake every accept loop so its thread sees `stop` and ends.
        for row in &self.ports {
            for &port in row.iter().filter(|&&p| p != 0) {
                let _ = TcpStream::connect(("127.0.0.1", port));
            }
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    from: usize,
    to: usize,
    target: SocketAddr,
) {
    for client in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        {
            let mut st = shared.state.lock().unwrap();
            if st.blocked(from, to) {
                shared.refused.fetch_add(1, Ordering::Relaxed);
                if st.blackhole {
                    st.held.push(client);
                }
                continue; // refused: dropped, so closed
            }
        }
        let shared = shared.clone();
        std::thread::spawn(move || forward(shared, from, to, client, target));
    }
}

/// Connects upstream and pumps both ways until either side closes or a partition cuts it.
fn forward(shared: Arc<Shared>, from: usize, to: usize, client: TcpStream, target: SocketAddr) {
    let Ok(upstream) = TcpStream::connect_timeout(&target, Duration::from_secs(2)) else {
        return; // the peer is down: closing the client tells the dialer
    };
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    {
        let mut st = shared.state.lock().unwrap();
        // A partition may have started while we dialed: re-check under the lock.
        if st.blocked(from, to) || shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let (Ok(c), Ok(u)) = (client.try_clone(), upstream.try_clone()) else {
            return;
        };
        st.conns.push(Conn {
            id,
            from,
            to,
            client: c,
            upstream: u,
        });
    }
    let (Ok(c2), Ok(u2)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let back = std::thread::spawn(move || pump(u2, c2));
    pump(client, upstream);
    let _ = back.join();
    shared.state.lock().unwrap().conns.retain(|c| c.id != id);
}

/// Copies `from` to `to` until EOF or an error, then shuts both down (so the other direction
/// ends too).
fn pump(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => {
                if to.write_all(&buf[..k]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
