//! Follows one resource with kube's `watcher` (list, then watch from the list's
//! resourceVersion, re-listing on 410 Gone), turning its events into handler calls and its
//! failures into recorded gaps with retries.

use std::fmt::Debug;
use std::time::Duration;

use futures::{Stream, StreamExt};
use kube::Api;
use kube::runtime::watcher::{self, Event};
use serde::de::DeserializeOwned;
use tokio::time::{Interval, MissedTickBehavior};

use super::health::{Health, Retry, describe_watch_error, is_expired};
use super::writer::Sink;

/// What a source does with what the watch sees. Objects come from a (re)list (`listed`) or
/// from the watch; after a re-list, `list_done` lets the handler notice objects that vanished.
pub trait WatchHandler<K>: Send {
    fn applied(&mut self, object: K, listed: bool, sink: &Sink);
    fn deleted(&mut self, object: K, sink: &Sink);
    fn list_started(&mut self) {}
    fn list_done(&mut self, _sink: &Sink) {}
    /// Called every `tick` interval while the source is healthy.
    fn tick(&mut self, _sink: &Sink) {}
}

pub struct WatchPlan {
    /// Name in collector.jsonl: `hpa`, `events`, `pods`.
    pub source: &'static str,
    /// For messages: `horizontalpodautoscalers.autoscaling`, `events`, `pods`.
    pub resource: &'static str,
    pub namespace: String,
    pub config: watcher::Config,
    pub tick: Option<Duration>,
    pub retry: Retry,
}

enum Step<T> {
    Item(T),
    Ended,
    Tick,
}

/// Runs until the task is aborted.
pub async fn follow<K, H>(api: Api<K>, plan: WatchPlan, mut handler: H, sink: Sink)
where
    K: kube::Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    H: WatchHandler<K>,
{
    let mut health = Health::new(plan.source, plan.retry);
    let mut ticker = plan.tick.map(|every| {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        ticker
    });
    loop {
        let mut stream = watcher(api.clone(), plan.config.clone()).boxed();
        loop {
            match next_step(&mut stream, ticker.as_mut()).await {
                Step::Tick if !health.in_gap() => handler.tick(&sink),
                Step::Tick => {}
                Step::Ended => break,
                Step::Item(Ok(event)) => dispatch(event, &mut handler, &mut health, &sink),
                Step::Item(Err(e)) if is_expired(&e) => {
                    sink.info(plan.source, "watch expired (410 Gone); listing again");
                }
                Step::Item(Err(e)) => {
                    health.failed(
                        &sink,
                        describe_watch_error(&e, plan.resource, &plan.namespace),
                    );
                    break;
                }
            }
        }
        // A fresh watcher after the delay: it lists again, so nothing changed meanwhile is missed.
        tokio::time::sleep(health.delay()).await;
    }
}

fn watcher<K>(
    api: Api<K>,
    config: watcher::Config,
) -> impl Stream<Item = watcher::Result<Event<K>>> + Send
where
    K: kube::Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    watcher::watcher(api, config)
}

async fn next_step<S, T>(stream: &mut S, ticker: Option<&mut Interval>) -> Step<T>
where
    S: Stream<Item = T> + Unpin,
{
    match ticker {
        Some(ticker) => tokio::select! {
            item = stream.next() => item.map_or(Step::Ended, Step::Item),
            _ = ticker.tick() => Step::Tick,
        },
        None => stream.next().await.map_or(Step::Ended, Step::Item),
    }
}

fn dispatch<K, H: WatchHandler<K>>(
    event: Event<K>,
    handler: &mut H,
    health: &mut Health,
    sink: &Sink,
) {
    match event {
        // Emitted before the list request is made: not yet proof that the server answers.
        Event::Init => handler.list_started(),
        Event::InitApply(object) => {
            health.succeeded(sink);
            handler.applied(object, true, sink);
        }
        Event::InitDone => {
            health.succeeded(sink);
            handler.list_done(sink);
        }
        Event::Apply(object) => {
            health.succeeded(sink);
            handler.applied(object, false, sink);
        }
        Event::Delete(object) => {
            health.succeeded(sink);
            handler.deleted(object, sink);
        }
    }
}
