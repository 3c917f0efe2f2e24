import type { EventHandler as Handler } from "./dispatch.js";
import { HandlerRegistry, type AnyHandler } from "./dispatch.js";
import type {
  AnyGeminiEvent,
  CheckedEventName,
  EventFor,
  GeminiEventType,
  GeminiEventTypeAlias,
  UserMetadata,
} from "./events.js";
import { attachReceiverCore } from "./adapter.js";
import type { CryptoProvider } from "./crypto/provider.js";
import { createNodeMiddleware, type NodeMiddleware } from "./express.js";
import type { LifecycleListener } from "./lifecycle.js";
import { Listeners, type ErrorListener } from "./listeners.js";
import { resolveOptions, type GeminiWebhooksOptions } from "./options.js";
import { createPipeline } from "./pipeline.js";
import { WebhookError } from "./errors.js";
import { createJobOwner } from "./queue/job-owner.js";
import { createProcessor } from "./queue/process.js";
import type { AnyDeliveryQueue, WorkerOf, WorkerOptionsOf } from "./queue/queue.js";
import { createFetchHandler, type FetchHandler } from "./web.js";
import { createTrack, type Track } from "./dedupe/track.js";

export type { ErrorListener } from "./listeners.js";
/** A handler for one or more event types. Throw (or reject) to answer 500 and have Gemini retry. */
export type EventHandler<E> = Handler<E>;

/**
 * The receiver: an Express middleware (`app.use(path, webhooks)`) and a Web handler (`webhooks.fetch`), with
 * handler registration.
 * `M` types `event.user_metadata` in every handler (dynamic webhooks).
 */
export interface GeminiWebhooks<
  M = UserMetadata,
  Q extends AnyDeliveryQueue = AnyDeliveryQueue,
> extends NodeMiddleware {
  /**
   * The same receiver for Web `Request`s: `export const POST = webhooks.fetch` (Next.js),
   * `(c) => webhooks.fetch(c.req.raw)` (Hono), `Bun.serve({ fetch: webhooks.fetch })`. Works unbound.
   */
  readonly fetch: FetchHandler;
  /**
   * Runs `handler` for deliveries of `type` (or any of several types). Names outside the catalog are allowed
   * (Gemini adds types), but an unknown name in a catalog namespace (`"batch.succeded"`) is a compile error,
   * and one close to a catalog name is warned about once at run time. An alias (`"batch.completed"`) is
   * registered as its documented type: the handler runs for deliveries under either name.
   */
  on<T extends GeminiEventType | GeminiEventTypeAlias | (string & {})>(
    type: CheckedEventName<T> | readonly CheckedEventName<T>[],
    handler: EventHandler<EventFor<T, M>>,
  ): GeminiWebhooks<M, Q>;
  /** Runs `handler` for every verified delivery, known type or not, after the type's own handlers. */
  onAny(handler: EventHandler<AnyGeminiEvent<M>>): GeminiWebhooks<M, Q>;
  /** Reports rejections and failures (for logs and metrics). Without a listener, 5xx causes go to console.error. */
  onError(listener: ErrorListener): GeminiWebhooks<M, Q>;
  /** Reports each stage of each delivery: `received`, `verified`, `rejected`, `duplicate`, `handled`, `failed`, `queued`. */
  onLifecycle(listener: LifecycleListener): GeminiWebhooks<M, Q>;
  /**
   * Starts a queue worker in this process: it runs the handlers registered here for the deliveries the
   * `queue` option stores, with retries. `options` go to the queue's worker (BullMQ: `concurrency`,
   * `lockDuration`, ...), typed by the configured queue. `close()` is graceful. A TypeError when no `queue`
   * is configured.
   */
  work(options?: WorkerOptionsOf<Q>): WorkerOf<Q>;
  /** The types registered with `on()`, as given, in registration order (`onAny` adds none). Read-only. */
  registeredTypes(): string[];
  /**
   * Keeps a job the app waits for (`"interactions/abc"` after `interactions.create({ background: true,
   * webhook_config })`, or a video operation's `"models/<model>/operations/<id>"`) in the dedupe store, so catch-up
   * (`catchUp(webhooks, ...)`) looks it up once overdue. Tracking stops when its completion is handled. Needs
   * `oncePerCompletion: true` and a store that keeps tracked jobs (the built-in ones do): a TypeError says so.
   */
  track: Track;
}

/**
 * Creates the receiver with the given cryptography: the entries call this with node:crypto (src/index.ts) or
 * WebCrypto (src/index.web.ts). Options are checked now: a bad one throws a TypeError naming it.
 */
export function createReceiver<M = UserMetadata, Q extends AnyDeliveryQueue = AnyDeliveryQueue>(
  options: GeminiWebhooksOptions<Q>,
  crypto: CryptoProvider,
): GeminiWebhooks<M, Q> {
  const config = resolveOptions(options);
  const registry = new HandlerRegistry();
  const listeners = new Listeners();
  const pipeline = createPipeline(config, registry, listeners, crypto);

  const webhooks = createNodeMiddleware(pipeline, config) as GeminiWebhooks<M, Q>;
  // The adapters: Express is the receiver itself, the Web adapter a property, other adapters open the core.
  (webhooks as { fetch: FetchHandler }).fetch = createFetchHandler(pipeline, config);
  attachReceiverCore(webhooks, { pipeline, limits: config, dedupe: config.dedupe });
  webhooks.on = (type, handler) => {
    for (const name of typeof type === "string" ? [type] : type) {
      if (typeof name !== "string" || name === "")
        throw new TypeError("webhooks.on(type, handler): type must be a non-empty string.");
      registry.add(name, checkFunction(handler) as AnyHandler);
    }
    return webhooks;
  };
  webhooks.onAny = (handler) => {
    registry.addAny(checkFunction(handler) as AnyHandler);
    return webhooks;
  };
  webhooks.onError = (listener) => {
    listeners.errors.push(checkFunction(listener));
    return webhooks;
  };
  webhooks.onLifecycle = (listener) => {
    listeners.lifecycle.push(checkFunction(listener));
    return webhooks;
  };
  webhooks.work = (workerOptions) => {
    const { queue } = config;
    if (!queue) {
      throw new TypeError(
        "webhooks.work(): no queue is configured, so there is nothing to work on (handlers run inline). Pass one: " +
          'geminiWebhooks({ secret, queue: bullmqQueue({ connection }) }), with bullmqQueue from "gemini-webhooks-express/bullmq".',
      );
    }
    const processDelivery = createProcessor(
      registry,
      listeners,
      config.telemetry,
      createJobOwner(config, crypto),
      crypto,
    );
    // The worker's own trouble (Redis unreachable, a lock it could not renew) belongs to no delivery.
    const onError = (cause: unknown) =>
      listeners.reportError(new WebhookError("queue_unavailable", { cause, detail: "in a queue worker" }));
    // The queue in the config is the one given as `Q` (resolveOptions checks it, and returns it as it is).
    return queue.work(processDelivery, workerOptions, { onError }) as WorkerOf<Q>;
  };
  webhooks.registeredTypes = () => registry.registeredTypes();
  webhooks.track = createTrack(config.dedupe, config.oncePerCompletion);
  return webhooks;
}

function checkFunction<F>(value: F): F {
  if (typeof value !== "function") throw new TypeError("gemini-webhooks: a handler or listener must be a function.");
  return value;
}
