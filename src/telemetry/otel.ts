import type {
  Attributes,
  Counter,
  Histogram,
  Meter,
  MeterProvider,
  Span,
  Tracer,
  TracerProvider,
} from "@opentelemetry/api";
import type { QueuedDelivery } from "../queued-delivery.js";
import { loadOtelApi, type OtelApiModule } from "./load-api.js";
import { guarded } from "./guarded.js";
import type { DeliveryFacts, DeliveryTrace, ProcessTrace, Telemetry } from "./telemetry.js";
import { formatTraceContext, parseTraceContext } from "./trace-context.js";

/**
 * The OpenTelemetry adapter: one CONSUMER span per delivery (`gemini.webhooks.receive`), one per queued attempt
 * (`gemini.webhooks.process`, linked to the receive span), a counter of deliveries by outcome and a histogram of
 * the pipeline's duration. Every name here is documented in the README's "OpenTelemetry" section.
 */

/** The instrumentation scope: the tracer's and the meter's name. */
export const INSTRUMENTATION_SCOPE = "gemini-webhooks-express";

const RECEIVE_SPAN = "gemini.webhooks.receive";
const PROCESS_SPAN = "gemini.webhooks.process";
const DELIVERIES_METRIC = "gemini.webhooks.deliveries";
const DURATION_METRIC = "gemini.webhooks.duration";

// Semantic conventions (messaging, HTTP, error) where one exists; `gemini.webhooks.*` for the rest.
const MESSAGING_SYSTEM = "messaging.system.name";
const MESSAGING_OPERATION_NAME = "messaging.operation.name";
const MESSAGING_OPERATION_TYPE = "messaging.operation.type";
const MESSAGING_MESSAGE_ID = "messaging.message.id";
const HTTP_STATUS = "http.response.status_code";
const ERROR_TYPE = "error.type";
const OUTCOME = "gemini.webhooks.outcome";
const EVENT_TYPE = "gemini.webhooks.event_type";
const SCHEME = "gemini.webhooks.scheme";
const SECRET_INDEX = "gemini.webhooks.secret_index";
const KEY_ID = "gemini.webhooks.key_id";
const ATTEMPT = "gemini.webhooks.attempt";

const SYSTEM_NAME = "gemini";

/** Bucket bounds in seconds: verification alone takes well under a millisecond, handlers up to seconds. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * `telemetry` option → the receiver's telemetry: `false` turns it off; otherwise (the default) it is on when
 * `@opentelemetry/api` is installed, and `undefined` (nothing is called, nothing is loaded again) when it is not.
 */
export function resolveTelemetry(option: boolean | undefined): Telemetry | undefined {
  if (option === false) return undefined;
  const api = loadOtelApi();
  return api ? createOtelTelemetry(api) : undefined;
}

/** The adapter over an `@opentelemetry/api` module. A no-op (non-recording spans, no-op meter) until an SDK is registered. */
export function createOtelTelemetry(api: OtelApiModule): Telemetry {
  const tracers = providerCache(
    () => api.trace.getTracerProvider(),
    (provider: TracerProvider): Tracer => provider.getTracer(INSTRUMENTATION_SCOPE),
  );
  // The metrics API has no proxy provider: a meter taken before the app registers its SDK stays a no-op forever.
  // So the instruments are re-taken whenever the global provider changes (one identity check per delivery).
  const noopMeterClass = api.createNoopMeter().constructor;
  const instruments = providerCache(
    () => api.metrics.getMeterProvider(),
    (provider: MeterProvider) => createInstruments(provider.getMeter(INSTRUMENTATION_SCOPE), noopMeterClass),
  );

  // With the API installed but no SDK registered (common: many libraries depend on the API), every span would be
  // a non-recording one and every instrument a no-op: the receiver then skips telemetry entirely (the span,
  // its context, the attributes, the clock), and takes it up again with the first delivery after an SDK registers.
  const noopTracerProvider = new api.ProxyTracerProvider().getDelegate();
  const tracing = (): boolean => {
    const provider = api.trace.getTracerProvider();
    // A provider from another copy of the API is not recognized here, and is treated as recording (the safe side).
    return !(provider instanceof api.ProxyTracerProvider) || provider.getDelegate() !== noopTracerProvider;
  };

  function startDelivery(): DeliveryTrace | undefined {
    return guarded(() => {
      if (tracing()) return startReceiveSpan();
      return instruments().recording ? METRICS_ONLY : undefined;
    }, UNTRACED_DELIVERY);
  }

  /** Metrics without spans: an SDK that registered only a MeterProvider. */
  const METRICS_ONLY: DeliveryTrace = {
    run: (fn) => fn(),
    carrier: () => undefined,
    end: (facts) => guarded(() => recordDelivery(instruments(), facts), undefined),
  };

  function startReceiveSpan(): DeliveryTrace {
    const parent = api.context.active();
    const span = tracers().startSpan(
      RECEIVE_SPAN,
      {
        kind: api.SpanKind.CONSUMER,
        // Known at the start, for samplers; the operation type changes to "receive" if the delivery is queued.
        attributes: {
          [MESSAGING_SYSTEM]: SYSTEM_NAME,
          [MESSAGING_OPERATION_NAME]: "receive",
          [MESSAGING_OPERATION_TYPE]: "process",
        },
      },
      parent,
    );
    const context = api.trace.setSpan(parent, span);
    let ended = false;
    return {
      run: (fn) => api.context.with(context, fn),
      carrier: () => formatTraceContext(span.spanContext()),
      end(facts) {
        if (ended) return;
        ended = true;
        guarded(() => endReceiveSpan(span, facts), undefined);
        guarded(() => recordDelivery(instruments(), facts), undefined);
      },
    };
  }

  function endReceiveSpan(span: Span, facts: DeliveryFacts): void {
    if (span.isRecording()) {
      span.setAttributes(receiveAttributes(facts));
      // 4xx answers are the receiver doing its job (as for HTTP server spans): only a 5xx marks the span as failed.
      if (facts.status >= 500) {
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: facts.code });
        if (facts.error !== undefined)
          span.recordException(facts.error instanceof Error ? facts.error : String(facts.error));
      }
    }
    span.end();
  }

  function startProcess(delivery: QueuedDelivery, attempt: number): ProcessTrace {
    return guarded(() => startProcessSpan(delivery, attempt), UNTRACED_PROCESS);
  }

  function startProcessSpan(delivery: QueuedDelivery, attempt: number): ProcessTrace {
    const parent = api.context.active();
    const origin = parseTraceContext(delivery.traceContext, api.createTraceState);
    const context = delivery.context;
    const attributes: Attributes = {
      [MESSAGING_SYSTEM]: SYSTEM_NAME,
      [MESSAGING_OPERATION_NAME]: "process",
      [MESSAGING_OPERATION_TYPE]: "process",
      [MESSAGING_MESSAGE_ID]: context?.webhookId,
      [EVENT_TYPE]: delivery.event?.type,
      [SCHEME]: context?.scheme,
      [SECRET_INDEX]: context?.secretIndex,
      [KEY_ID]: context?.keyId,
      [ATTEMPT]: attempt,
    };
    const span = tracers().startSpan(
      PROCESS_SPAN,
      { kind: api.SpanKind.CONSUMER, attributes: defined(attributes), links: origin ? [{ context: origin }] : [] },
      parent,
    );
    const spanContext = api.trace.setSpan(parent, span);
    let ended = false;
    return {
      run: (fn) => api.context.with(spanContext, fn),
      end(outcome, error) {
        if (ended) return;
        ended = true;
        guarded(() => {
          if (span.isRecording()) {
            span.setAttribute(OUTCOME, outcome);
            if (outcome !== "handled") {
              span.setAttribute(ERROR_TYPE, "handler_failed");
              if (error !== undefined) span.recordException(error instanceof Error ? error : String(error));
              span.setStatus({ code: api.SpanStatusCode.ERROR, message: "handler_failed" });
            }
          }
          span.end();
        }, undefined);
      },
    };
  }

  return { startDelivery, startProcess };
}

const UNTRACED_DELIVERY: DeliveryTrace = { run: (fn) => fn(), carrier: () => undefined, end: () => {} };
const UNTRACED_PROCESS: ProcessTrace = { run: (fn) => fn(), end: () => {} };

interface Instruments {
  deliveries: Counter;
  duration: Histogram;
  /** False for the API's own no-op meter (no MeterProvider registered). */
  recording: boolean;
}

/** `noopMeterClass`: the class of the API's no-op meter, what the global meter provider hands out until one registers. */
function createInstruments(meter: Meter, noopMeterClass: unknown): Instruments {
  return {
    recording: meter.constructor !== noopMeterClass,
    deliveries: meter.createCounter(DELIVERIES_METRIC, {
      unit: "{delivery}",
      description: "Webhook deliveries received, by outcome.",
    }),
    duration: meter.createHistogram(DURATION_METRIC, {
      unit: "s",
      description: "Time from a delivery's arrival to its answer.",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
  };
}

function recordDelivery(instruments: Instruments, facts: DeliveryFacts): void {
  // Low-cardinality attributes only: no ids, no event types (a sender chooses those).
  const attributes: Attributes = { [OUTCOME]: facts.outcome };
  if (facts.code !== undefined) attributes[ERROR_TYPE] = facts.code;
  instruments.deliveries.add(1, attributes);
  instruments.duration.record(facts.durationMs / 1000, attributes);
}

function receiveAttributes(facts: DeliveryFacts): Attributes {
  return defined({
    // Queued: the handlers run later, in a linked process span. Otherwise the handlers ran inside this span:
    // a pushed message handled where it arrives is a "process" operation in the messaging conventions.
    [MESSAGING_OPERATION_TYPE]: facts.outcome === "queued" ? "receive" : "process",
    [MESSAGING_MESSAGE_ID]: facts.webhookId,
    [HTTP_STATUS]: facts.status,
    [OUTCOME]: facts.outcome,
    [ERROR_TYPE]: facts.code,
    [EVENT_TYPE]: facts.type,
    [SCHEME]: facts.scheme,
    [SECRET_INDEX]: facts.secretIndex,
    [KEY_ID]: facts.keyId,
  });
}

function defined(attributes: Attributes): Attributes {
  for (const key of Object.keys(attributes)) if (attributes[key] === undefined) delete attributes[key];
  return attributes;
}

/** The value built for the current global provider, rebuilt when the app registers (or replaces) its SDK. */
function providerCache<P, V>(current: () => P, build: (provider: P) => V): () => V {
  let provider: P | undefined;
  let value: V | undefined;
  return () => {
    const now = current();
    if (now !== provider || value === undefined) {
      value = build(now);
      provider = now;
    }
    return value;
  };
}
