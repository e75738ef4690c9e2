//! Wiring of Commonware's simplex consensus, marshal (ordered finalized blocks with
//! backfill) and the buffered block broadcast, for one node.
//!
//! Five p2p channels carry: simplex votes, simplex certificates, simplex's resolver, block
//! broadcast, and marshal's backfill. The caller provides them from either the real
//! authenticated transport (`p2p::authenticated::lookup`) or the simulated network.

use super::app::{App, OnFinalized, Shared};
use super::block::Block;
use super::types::{Digest, PrivateKey, PublicKey, Scheme};
use commonware_broadcast::buffered;
use commonware_consensus::{
    Reporter,
    marshal::{
        self, Update, core::Actor as Marshal, resolver::p2p as marshal_resolver, standard::Inline,
    },
    simplex::{self, elector::RoundRobin},
    types::{Epoch, FixedEpocher, ViewDelta},
};
use commonware_cryptography::Digested;
use commonware_cryptography::{
    Signer as _,
    certificate::{ConstantProvider, Verifier as Verifier_},
};
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{Clock, Handle, Metrics, Spawner, Storage, buffer::paged::CacheRef};
use commonware_storage::archive::immutable;
use commonware_utils::{NZDuration, NZU16, NZU64, NZUsize, ordered::Set};
use rand::Rng;
use rand_core::CryptoRng;
use std::sync::Arc;
use std::time::Duration;

/// The single epoch of a cluster (membership changes would start a new one).
pub const EPOCH: Epoch = Epoch::zero();
/// Blocks per epoch: effectively unbounded, the cluster never reconfigures mid-run.
const EPOCH_LENGTH: u64 = u64::MAX / 2;

/// Timeouts of the consensus, with defaults measured on loopback (notes/commonware.md:
/// a 250 ms leader timeout kept the longest stall with one node down at 0.55 s).
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub leader: Duration,
    pub certification: Duration,
    pub retry: Duration,
    /// How long to wait for one peer's answer before asking another, both for consensus's
    /// missing certificates and for marshal's backfill of missing blocks. It must stay well
    /// below the vote deadlines: a member that missed a block (its leader's broadcast was
    /// lost) learns of a vote only once it has backfilled it (sim seeds 1151, 1163).
    pub fetch: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            leader: Duration::from_millis(1000),
            certification: Duration::from_millis(1500),
            retry: Duration::from_millis(2000),
            fetch: Duration::from_millis(1000),
        }
    }
}

/// What one node's chain needs.
pub struct Config<B, P> {
    pub signer: PrivateKey,
    pub participants: Set<PublicKey>,
    pub namespace: Vec<u8>,
    /// Prefix of every storage partition of this node.
    pub partition: String,
    pub blocker: B,
    pub provider: P,
    pub app: App,
    pub timeouts: Timeouts,
    /// Given each block this node holds the moment its finalization is reported, ahead of
    /// marshal's durable, in-order delivery (which follows anyway).
    pub on_finalized: Option<OnFinalized>,
}

/// A p2p channel pair.
pub type Channel<S, R> = (S, R);

/// The five channels of the chain.
pub struct Channels<S, R> {
    pub votes: Channel<S, R>,
    pub certificates: Channel<S, R>,
    pub resolver: Channel<S, R>,
    pub broadcast: Channel<S, R>,
    pub backfill: Channel<S, R>,
}

fn archive_config<C>(
    prefix: &str,
    name: &str,
    page_cache: &CacheRef,
    codec: C,
) -> immutable::Config<C> {
    let p = |s: &str| format!("{prefix}-{name}-{s}");
    immutable::Config {
        metadata_partition: p("metadata"),
        freezer_table_partition: p("freezer-table"),
        freezer_table_initial_size: 1024,
        freezer_table_resize_frequency: 4,
        freezer_table_resize_chunk_size: 1024,
        freezer_key_partition: p("freezer-key"),
        freezer_key_page_cache: page_cache.clone(),
        freezer_value_partition: p("freezer-value"),
        freezer_value_target_size: 64 * 1024 * 1024,
        freezer_value_compression: None,
        ordinal_partition: p("ordinal"),
        items_per_section: NZU64!(4096),
        codec_config: codec,
        replay_buffer: NZUsize!(1024 * 1024),
        freezer_key_write_buffer: NZUsize!(64 * 1024),
        freezer_value_write_buffer: NZUsize!(64 * 1024),
        ordinal_write_buffer: NZUsize!(64 * 1024),
    }
}

/// The consensus reporter in front of marshal: hands a finalized block this node holds to
/// [`Config::on_finalized`] as soon as its finalization certificate is reported (marshal
/// delivers it again once stored), and times the certificates of the blocks this node proposed
/// (each step since the previous one: proposed → notarized → certified → finalized; the
/// executor takes finalized → applied) when timings are on.
#[derive(Clone)]
struct Observer<R> {
    inner: R,
    shared: Shared,
    on_finalized: Option<OnFinalized>,
}

impl<R: Reporter<Activity = simplex::types::Activity<Scheme, Digest>>> Reporter for Observer<R> {
    type Activity = simplex::types::Activity<Scheme, Digest>;

    fn report(&mut self, activity: Self::Activity) -> commonware_actor::Feedback {
        use simplex::types::Activity;
        let t = &self.shared.timings;
        match &activity {
            Activity::Notarization(n) => t.follow(
                "chain.notarized",
                "proposed",
                "notarized",
                n.proposal.payload.as_ref(),
            ),
            Activity::Certification(n) => t.follow(
                "chain.certified",
                "notarized",
                "certified",
                n.proposal.payload.as_ref(),
            ),
            Activity::Finalization(f) => {
                let digest = &f.proposal.payload;
                t.follow("chain.finalized", "certified", "finalized", digest.as_ref());
                if let Some(on_finalized) = &self.on_finalized
                    && let Some(block) = self.shared.recent.get(digest)
                {
                    on_finalized(block);
                }
            }
            _ => {}
        }
        self.inner.report(activity)
    }
}

/// Starts consensus, marshal and broadcast; finalized blocks go to `executor` in height
/// order, at least once (a restart may redeliver: the executor must be idempotent).
pub async fn start<E, B, P, S, R, X>(
    context: E,
    cfg: Config<B, P>,
    executor: X,
    channels: Channels<S, R>,
) -> Handle<()>
where
    E: Clock + Rng + CryptoRng + Spawner + Storage + Metrics,
    B: Blocker<PublicKey = PublicKey>,
    P: Provider<PublicKey = PublicKey>,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
    X: Reporter<Activity = Update<Block>>,
{
    let me = cfg.signer.public_key();
    let limits = cfg.app.limits;
    let scheme = Scheme::signer(&cfg.namespace, cfg.participants.clone(), cfg.signer.clone())
        .expect("signer is a participant (checked by config validation)");
    let page_cache = CacheRef::new(NZU16!(4096), NZUsize!(4096));

    // Block broadcast.
    let (buffer, buffer_mailbox) = buffered::Engine::new(
        context.child("buffer"),
        buffered::Config {
            public_key: me.clone(),
            mailbox_size: NZUsize!(1024),
            deque_size: 16,
            priority: false,
            codec_config: limits,
            peer_provider: cfg.provider.clone(),
            strategy: Sequential,
        },
    );
    buffer.start(channels.broadcast);

    // Marshal's backfill resolver.
    let backfill = marshal_resolver::init(
        context.child("backfill"),
        marshal_resolver::Config {
            public_key: me.clone(),
            peer_provider: cfg.provider.clone(),
            blocker: cfg.blocker.clone(),
            mailbox_size: NZUsize!(1024),
            fetch_timeout: NZDuration!(cfg.timeouts.fetch),
            fetch_retry_delay: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        channels.backfill,
    );

    // Marshal: finalized blocks and certificates, persisted before delivery.
    let finalizations: immutable::Archive<E, Digest, simplex::types::Finalization<Scheme, Digest>> =
        immutable::Archive::init(
            context.child("finalizations"),
            archive_config(
                &cfg.partition,
                "finalizations",
                &page_cache,
                <Scheme as Verifier_>::certificate_codec_config_unbounded(),
            ),
        )
        .await
        .expect("open finalizations archive");
    let blocks: immutable::Archive<E, Digest, Arc<Block>> = immutable::Archive::init(
        context.child("blocks"),
        archive_config(&cfg.partition, "blocks", &page_cache, limits),
    )
    .await
    .expect("open blocks archive");
    let epocher = FixedEpocher::new(NZU64!(EPOCH_LENGTH));
    let (marshal, marshal_mailbox, _floor) = Marshal::init(
        context.child("marshal"),
        finalizations,
        blocks,
        marshal::Config {
            provider: ConstantProvider::new(scheme.clone()),
            epocher: epocher.clone(),
            start: marshal::Start::Genesis(Digested::precomputed(
                Block::genesis(),
                Block::genesis_digest(),
            )),
            partition_prefix: cfg.partition.clone(),
            mailbox_size: NZUsize!(1024),
            view_retention: ViewDelta::new(64),
            prunable_items_per_section: NZU64!(1024),
            page_cache: page_cache.clone(),
            replay_buffer: NZUsize!(1024 * 1024),
            key_write_buffer: NZUsize!(64 * 1024),
            value_write_buffer: NZUsize!(64 * 1024),
            block_codec_config: limits,
            max_repair: NZUsize!(16),
            max_pending_acks: NZUsize!(16),
            strategy: Sequential,
        },
    )
    .await;
    let shared = cfg.app.shared.clone();
    let inline = Inline::new(context.child("inline"), cfg.app, marshal_mailbox, epocher);
    marshal.start(executor, buffer_mailbox, backfill);

    // Consensus.
    let engine = simplex::Engine::new(
        context.child("simplex"),
        simplex::Config {
            scheme,
            elector: RoundRobin::<commonware_cryptography::Sha256>::default(),
            blocker: cfg.blocker,
            automaton: inline.clone(),
            relay: inline.clone(),
            reporter: Observer {
                inner: inline,
                shared,
                on_finalized: cfg.on_finalized,
            },
            track_historical_votes: false,
            strategy: Sequential,
            partition: format!("{}-simplex", cfg.partition),
            mailbox_size: NZUsize!(1024),
            epoch: EPOCH,
            floor: simplex::config::Floor::Genesis(Block::genesis_digest()),
            replay_buffer: NZUsize!(1024 * 1024),
            write_buffer: NZUsize!(64 * 1024),
            page_cache,
            leader_timeout: cfg.timeouts.leader,
            certification_timeout: cfg.timeouts.certification,
            timeout_retry: cfg.timeouts.retry,
            view_retention: ViewDelta::new(64),
            skip: simplex::config::SkipPolicy::Disabled,
            fetch_timeout: NZDuration!(cfg.timeouts.fetch),
            fetch_retry_delay: Duration::from_millis(100),
            forward: simplex::config::ForwardPolicy::SilentLeader,
        },
    );
    engine.start(channels.votes, channels.certificates, channels.resolver)
}
