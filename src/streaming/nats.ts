import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { mergeDeltas, type DeltaSink, type ReplyDelta } from '../llm/deltas';
import { decodeLiveEvent, encodeLiveEvent, type LiveEvent, type LlmDeltaEvent, type ToolLogEvent, type ToolProgressEvent } from './messages';
import { inTree, runSubject, treeSubjects } from './subjects';

/**
 * Token deltas between processes over NATS core publish/subscribe: workers publish each LLM
 * call's deltas on its run's subject; every API process subscribes to the subjects of the runs
 * its clients watch. At-most-once, no storage: a delta published while nobody listens, or while a
 * connection is down, is gone, which is what best-effort deltas may do. The durable events never
 * pass through here.
 */

export interface StreamingSettings {
  natsUrl: string;
  subjectPrefix: string;
  /** The Temporal namespace: one NATS server may serve several. */
  namespace: string;
  /** Names the connection in the server's monitoring (`worker`, `api`). */
  name: string;
  logger?: Logger;
}

/**
 * `streaming.nats_url` as the client takes it: the servers (URLs separated by commas), the
 * credentials a URL carries (`nats://user:password@host`, or `nats://token@host`), which the client
 * would otherwise ignore, and TLS required when a URL says tls://. The client reads no scheme (it
 * upgrades to TLS only when the server offers it), so without `tls` a tls:// URL to a server
 * without TLS would carry the deltas in clear text.
 */
export function natsServers(url: string): { servers: string[]; user?: string; pass?: string; token?: string; tls?: Record<string, never> } {
  const options: { servers: string[]; user?: string; pass?: string; token?: string; tls?: Record<string, never> } = { servers: [] };
  for (const part of url.split(',').map((p) => p.trim()).filter(Boolean)) {
    if (/^tls:\/\//i.test(part)) options.tls = {};
    const parsed = URL.canParse(part.includes('://') ? part : `nats://${part}`) ? new URL(part.includes('://') ? part : `nats://${part}`) : undefined;
    if (!parsed || !parsed.username) {
      options.servers.push(part);
      continue;
    }
    const user = decodeURIComponent(parsed.username);
    if (parsed.password) {
      options.user = user;
      options.pass = decodeURIComponent(parsed.password);
    } else {
      options.token = user;
    }
    parsed.username = '';
    parsed.password = '';
    options.servers.push(parsed.toString().replace(/\/$/, ''));
  }
  return options;
}

/** Between attempts to make the first connection, as the client waits between reconnects. */
const CONNECT_RETRY_MS = 1000;
/**
 * How long one attempt to reach a server may take (TCP, TLS, the server's INFO and PONG): the
 * client's default of 20 s would also be how long a stop waits on a server that drops packets.
 */
const CONNECT_TIMEOUT_MS = 5000;
/** How long a stop lets a connection drain (flush what is published) before closing it outright. */
const DRAIN_MS = 1000;

/**
 * One connection per process, connected in the background: the process starts whether or not
 * NATS is up (deltas are lost meanwhile), and reconnects for as long as it lives.
 *
 * The first connection is made by a loop of our own rather than the client's `waitOnFirstConnect`:
 * that option's promise only settles once a server answers, and until then there is no connection
 * object to close, so its retry timers would keep a stopping process alive for ever with NATS
 * down. Our loop stops when the link closes, and an attempt already under way ends within
 * CONNECT_TIMEOUT_MS and closes what it got.
 */
class NatsLink {
  private connection?: NatsConnection;
  private readonly connecting: Promise<NatsConnection | undefined>;
  private closed = false;
  /** Ends the wait between two first-connect attempts early, on close. */
  private wakeUp?: () => void;

  constructor(readonly settings: StreamingSettings) {
    this.connecting = this.connectLoop();
  }

  private async connectLoop(): Promise<NatsConnection | undefined> {
    const { settings } = this;
    let warned = false;
    while (!this.closed) {
      try {
        const connection = await connect({
          ...natsServers(settings.natsUrl),
          name: `mcp-agent ${settings.name}`,
          timeout: CONNECT_TIMEOUT_MS,
          // Once connected, the client reconnects by itself for as long as the connection is open.
          maxReconnectAttempts: -1,
          reconnectTimeWait: CONNECT_RETRY_MS,
        });
        if (this.closed) {
          await connection.close().catch(() => undefined);
          return undefined;
        }
        this.connection = connection;
        settings.logger?.info({ nats: settings.natsUrl }, 'streaming LLM deltas over NATS');
        return connection;
      } catch (error) {
        if (this.closed) break;
        if (!warned) settings.logger?.warn({ err: error, nats: settings.natsUrl }, 'NATS unreachable: LLM deltas are not streamed until it is; retrying every second');
        warned = true;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CONNECT_RETRY_MS);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
    return undefined;
  }

  get current(): NatsConnection | undefined {
    return this.connection;
  }

  ready(): Promise<NatsConnection | undefined> {
    return this.connecting;
  }

  /**
   * Drains what was published, for at most DRAIN_MS: a connection that lost its server gets no
   * answer to the drain's flush before its next reconnect attempt ends (up to CONNECT_TIMEOUT_MS
   * against a server that drops packets). Then closes, which also ends the client's reconnect loop.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeUp?.();
    const connection = this.connection;
    this.connection = undefined;
    if (!connection || connection.isClosed()) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_MS)));
    await Promise.race([connection.drain().catch(() => undefined), timeout]);
    clearTimeout(timer);
    await connection.close().catch(() => undefined);
  }
}

/** Which call attempt a sink's deltas belong to. */
export interface CallIdentity {
  workflowId: string;
  activityId: string;
  attempt: number;
}

export interface CallSink {
  sink: DeltaSink;
  /**
   * Publishes what is still buffered; call once the reply has ended. Resolves once the NATS server
   * has every delta of the call (a round trip, at most FINAL_FLUSH_MS), so they reach API processes
   * before the call's result can reach them through Temporal.
   */
  flush(): Promise<void>;
}

/** The longest a finished call waits for NATS to confirm its last deltas: a slow NATS never holds up a run. */
const FINAL_FLUSH_MS = 1000;

export interface DeltaPublisher {
  forCall(call: CallIdentity): CallSink;
  /** A tool call's progress or log message, sent at once (best effort, as deltas are). */
  toolEvent(event: ToolProgressEvent | ToolLogEvent): void;
  close(): Promise<void>;
}

/**
 * Deltas that arrive together (one network read often holds several chunks) go out merged, on the
 * next turn of the event loop: no timer, so the first delta leaves as soon as it arrived.
 */
export function natsDeltaPublisher(settings: StreamingSettings): DeltaPublisher {
  const link = new NatsLink(settings);
  return {
    forCall(call) {
      const subject = runSubject(settings.subjectPrefix, settings.namespace, call.workflowId);
      let pending: ReplyDelta[] = [];
      let scheduled: NodeJS.Immediate | undefined;
      let seq = 0;
      const publish = () => {
        if (scheduled) clearImmediate(scheduled);
        scheduled = undefined;
        const deltas = mergeDeltas(pending);
        pending = [];
        const connection = link.current;
        if (!connection || connection.isClosed()) return;
        const at = new Date().toISOString();
        for (const delta of deltas) {
          const event: LlmDeltaEvent = {
            type: 'llm_delta',
            at,
            data: { ...delta, runId: call.workflowId, activityId: call.activityId, attempt: call.attempt, seq: seq++ },
          };
          try {
            connection.publish(subject, encodeLiveEvent(event));
          } catch {
            // Closed or draining: the delta is lost, as best effort allows.
          }
        }
      };
      return {
        sink(delta) {
          pending.push(delta);
          scheduled ??= setImmediate(publish);
        },
        async flush() {
          publish();
          const connection = link.current;
          if (seq === 0 || !connection || connection.isClosed()) return;
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, FINAL_FLUSH_MS)));
          await Promise.race([connection.flush().catch(() => undefined), timeout]);
          clearTimeout(timer);
        },
      };
    },
    toolEvent(event) {
      const connection = link.current;
      if (!connection || connection.isClosed()) return;
      try {
        connection.publish(runSubject(settings.subjectPrefix, settings.namespace, event.data.runId), encodeLiveEvent(event));
      } catch {
        // Closed or draining: lost, as best effort allows.
      }
    },
    close: () => link.close(),
  };
}

export type DeltaListener = (event: LiveEvent) => void;

/** Where an API process gets the deltas of the runs its clients watch. */
export interface DeltaFeed {
  /** Deltas of the run and of every run below it; call the result to stop. Resolves once subscribed, or NATS is not up. */
  watch(runId: string, listener: DeltaListener): Promise<() => void>;
  close(): Promise<void>;
}

export function natsDeltaFeed(settings: StreamingSettings): DeltaFeed {
  const link = new NatsLink(settings);
  const createdAt = Date.now();
  /** How long, after start-up, a new stream waits for the first connection before going on without it. */
  const connectWaitMs = 2000;

  interface Watcher {
    runId: string;
    listener: DeltaListener;
    subscriptions?: Subscription[];
  }
  const watchers = new Set<Watcher>();
  const attach = (connection: NatsConnection, watcher: Watcher) => {
    watcher.subscriptions = treeSubjects(settings.subjectPrefix, settings.namespace, watcher.runId).map((subject) =>
      connection.subscribe(subject, {
        callback: (error, message) => {
          if (error) return;
          const event = decodeLiveEvent(message.data);
          if (event && inTree(watcher.runId, event.data.runId)) watcher.listener(event);
        },
      }),
    );
  };
  // Streams opened while NATS was not up yet get their deltas once it is (later reconnects keep
  // subscriptions by themselves).
  void link.ready().then((connection) => {
    if (connection) for (const watcher of watchers) if (!watcher.subscriptions) attach(connection, watcher);
  });

  return {
    async watch(runId, listener) {
      const watcher: Watcher = { runId, listener };
      watchers.add(watcher);
      const stop = () => {
        watchers.delete(watcher);
        for (const subscription of watcher.subscriptions ?? []) subscription.unsubscribe();
      };
      let connection = link.current;
      if (connection) {
        attach(connection, watcher);
      } else if (Date.now() - createdAt < connectWaitMs) {
        // Just started: the connection is probably a moment away, and this stream's first deltas with it.
        const wait = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), connectWaitMs).unref());
        connection = await Promise.race([link.ready(), wait]);
      }
      // Subscribed on the server, not just queued here: deltas published from now on arrive.
      if (connection && watcher.subscriptions && !connection.isClosed()) await connection.flush().catch(() => undefined);
      return stop;
    },
    close: async () => {
      watchers.clear();
      await link.close();
    },
  };
}
