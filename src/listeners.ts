import { ANSWERS, type WebhookError } from "./errors.js";
import type { DeliveryLifecycleEvent, DeliveryStage, LifecycleListener } from "./lifecycle.js";
import type { DeliveryOutcome, DeliveryTrace } from "./telemetry/telemetry.js";
import type { SignatureScheme, Verification } from "./verify/index.js";

/** Receives every rejection and handler failure; `error.code` is stable, `error.cause` holds the original error. */
export type ErrorListener = (error: WebhookError) => unknown;

/**
 * Calls a user's listener so that nothing it does can change an answer or reach the process: a throw is
 * swallowed, and so is a rejected promise (an async logger whose sink is down must not become an unhandled
 * rejection that a stranger's forged request can trigger).
 */
export function callSafely<A>(listener: (arg: A) => unknown, arg: A): void {
  try {
    const result = listener(arg);
    if (result !== null && typeof result === "object" && typeof (result as PromiseLike<unknown>).then === "function") {
      Promise.resolve(result).then(undefined, ignore);
    }
  } catch {
    /* listener errors are the listener's concern */
  }
}

function ignore(): void {}

/** The receiver's `onError` and `onLifecycle` listeners. */
export class Listeners {
  readonly errors: ErrorListener[] = [];
  readonly lifecycle: LifecycleListener[] = [];

  reportError(error: WebhookError): void {
    if (this.errors.length === 0) {
      if (error.status >= 500) console.error(`[gemini-webhooks] ${error.code}: ${error.message}`, error.cause ?? "");
      return;
    }
    for (const listener of this.errors) callSafely(listener, error);
  }
}

/**
 * One delivery, as the lifecycle reports and the trace see it. Only validated values are ever stored:
 * `webhookId` is set once the header passed validation.
 */
export class DeliveryRecord {
  readonly started: number;
  webhookId?: string;
  type?: string;
  scheme?: SignatureScheme;
  secretIndex?: number;
  keyId?: string;
  /** Whether the adapter read the whole body: if not, the connection is closed after the answer. */
  bodyRead = false;

  constructor(
    private readonly listeners: Listeners,
    readonly trace: DeliveryTrace | undefined,
  ) {
    // performance.now() only when someone will read the duration.
    this.started = listeners.lifecycle.length > 0 || trace !== undefined ? performance.now() : 0;
  }

  /** What the signature proved: from now on reports carry the verified id and scheme. */
  verified(verification: Verification): void {
    this.webhookId = verification.webhookId;
    this.scheme = verification.scheme;
    this.secretIndex = verification.secretIndex;
    this.keyId = verification.keyId;
  }

  report(stage: DeliveryStage, status?: number, code?: WebhookError["code"]): void {
    const { lifecycle } = this.listeners;
    if (lifecycle.length === 0) return;
    const event: DeliveryLifecycleEvent = {
      stage,
      status,
      code,
      webhookId: this.webhookId,
      type: this.type,
      scheme: this.scheme,
      durationMs: performance.now() - this.started,
    };
    for (const listener of lifecycle) callSafely(listener, event);
  }

  /** The final report: lifecycle stage, trace end. */
  finish(outcome: DeliveryOutcome, status: number, code?: WebhookError["code"], error?: unknown): void {
    this.report(outcome, status, code);
    if (this.trace) {
      const trace = this.trace;
      const facts = {
        outcome,
        status,
        code,
        webhookId: this.webhookId,
        type: this.type,
        scheme: this.scheme,
        secretIndex: this.secretIndex,
        keyId: this.keyId,
        durationMs: performance.now() - this.started,
        error,
      };
      try {
        trace.end(facts);
      } catch {
        /* a telemetry backend's failure must not change the answer */
      }
    }
  }

  fail(error: WebhookError): void {
    // A 5xx is a failure on our side: its cause (a handler's error, the store's) goes to the trace.
    this.finish(
      ANSWERS[error.code].stage,
      error.status,
      error.code,
      error.status >= 500 ? (error.cause ?? error) : undefined,
    );
  }
}
