import type { DeliveryContext } from "./context.js";
import { isThenable } from "./maybe-promise.js";
import { WebhookError } from "./errors.js";
import { canonicalEventType, type AnyGeminiEvent } from "./events.js";
import { likelyMeant, typoWarning } from "./event-name-check.js";

/** A handler for one or more event types. Throw (or reject) to answer 500 and have Gemini retry. */
export type EventHandler<E> = (event: E, ctx: DeliveryContext) => unknown;

export type AnyHandler = EventHandler<AnyGeminiEvent>;

/** Handlers by event type, plus the catch-all ones; run in registration order. */
export class HandlerRegistry {
  private readonly byType = new Map<string, AnyHandler[]>();
  private readonly any: AnyHandler[] = [];

  private readonly given: string[] = [];
  private readonly warned = new Set<string>();

  /**
   * Registers under the documented type, so an alias's handler also runs for the documented name (a handler
   * written after the `batch.completed` example is not silently dead if Gemini sends `batch.succeeded`); the
   * same handler under both names runs once. A name close to a catalog name is warned about once.
   */
  add(type: string, handler: AnyHandler): void {
    if (!this.given.includes(type)) this.given.push(type);
    this.warnIfTypo(type);
    const canonical = canonicalEventType(type);
    const list = this.byType.get(canonical);
    if (!list) this.byType.set(canonical, [handler]);
    else if (canonical === type || !list.includes(handler)) list.push(handler);
  }

  private warnIfTypo(type: string): void {
    const meant = likelyMeant(type);
    if (meant === undefined || this.warned.has(type)) return;
    this.warned.add(type);
    // At registration, before any onError listener is likely attached, and not a delivery's failure: the console.
    console.warn(typoWarning(type, meant));
  }

  addAny(handler: AnyHandler): void {
    this.any.push(handler);
  }

  /** The types given to `add`, as given, in the order first registered (read-only: for tools like the CLI). */
  registeredTypes(): string[] {
    return [...this.given];
  }

  /** The handlers a delivery of `type` runs: its documented type's (an alias and its type share them), then catch-alls. */
  handlersFor(type: string): AnyHandler[] {
    const own = this.byType.get(canonicalEventType(type)) ?? [];
    if (this.any.length === 0) return own;
    return [...own, ...this.any];
  }
}

/**
 * Runs handlers one after another, awaiting only what returns a promise (a synchronous handler
 * costs no async hop). Rejects with the first handler's error; later handlers don't run.
 */
export function runHandlers(
  handlers: readonly AnyHandler[],
  event: AnyGeminiEvent,
  ctx: DeliveryContext,
): void | Promise<void> {
  for (let index = 0; index < handlers.length; index++) {
    const result = handlers[index]!(event, ctx);
    if (isThenable(result)) return continueAsync(result, handlers, index + 1, event, ctx);
  }
}

async function continueAsync(
  pending: PromiseLike<unknown>,
  handlers: readonly AnyHandler[],
  next: number,
  event: AnyGeminiEvent,
  ctx: DeliveryContext,
): Promise<void> {
  await pending;
  for (let index = next; index < handlers.length; index++) await handlers[index]!(event, ctx);
}

/**
 * Runs the handlers registered for `event` in the request (the default, without a queue): `received` when
 * they succeeded, `unhandled` when there were none. (The pipeline runs in the delivery's trace context, so
 * the spans a handler creates are children of the delivery's span.) A failure is `handler_failed` (500).
 * Not async: with synchronous handlers (the usual case) the answer is ready without a promise or a hop.
 */
export function dispatchInline(
  handlers: readonly AnyHandler[],
  event: AnyGeminiEvent,
  ctx: DeliveryContext,
): "received" | "unhandled" | Promise<"received"> {
  if (handlers.length === 0) return "unhandled";
  let pending: void | Promise<void>;
  try {
    pending = runHandlers(handlers, event, ctx);
  } catch (cause) {
    throw handlerFailed(ctx, event, cause);
  }
  if (!pending) return "received";
  return pending.then(
    () => "received" as const,
    (cause: unknown) => {
      throw handlerFailed(ctx, event, cause);
    },
  );
}

function handlerFailed(ctx: DeliveryContext, event: AnyGeminiEvent, cause: unknown): WebhookError {
  return new WebhookError("handler_failed", { webhookId: ctx.webhookId, eventType: event.type, cause });
}
