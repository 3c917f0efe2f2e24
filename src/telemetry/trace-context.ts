import type { SpanContext, TraceState } from "@opentelemetry/api";
import { guarded } from "./guarded.js";

/**
 * W3C Trace Context (`traceparent`, `tracestate`) for a queued job's data, written and read here rather than
 * through the app's global propagator: the job format must not depend on which propagator (B3, Jaeger, none)
 * the app registered, and the worker only needs the receive span's identity to link to it.
 */

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_SPAN_ID = "0".repeat(16);

/** The carrier for a span's context, or `undefined` for a span that has no valid context (no SDK registered). */
export function formatTraceContext(spanContext: SpanContext): Record<string, string> | undefined {
  const { traceId, spanId } = spanContext;
  if (
    !/^[0-9a-f]{32}$/.test(traceId) ||
    !/^[0-9a-f]{16}$/.test(spanId) ||
    traceId === ZERO_TRACE_ID ||
    spanId === ZERO_SPAN_ID
  ) {
    return undefined;
  }
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, "0");
  const carrier: Record<string, string> = { traceparent: `00-${traceId}-${spanId}-${flags}` };
  const state = spanContext.traceState?.serialize();
  if (state) carrier.tracestate = state;
  return carrier;
}

/**
 * The remote span context in a job's carrier, or `undefined` when there is none or it is malformed.
 * Job data comes back from Redis: it is parsed strictly, never trusted to be what was written.
 */
export function parseTraceContext(
  carrier: Record<string, string> | undefined,
  createTraceState?: (serialized: string) => TraceState,
): SpanContext | undefined {
  const header = carrier?.traceparent;
  if (typeof header !== "string") return undefined;
  const match = TRACEPARENT.exec(header);
  if (!match) return undefined;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined;
  const spanContext: SpanContext = { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true };
  const state = carrier?.tracestate;
  if (typeof state === "string" && state !== "" && createTraceState) {
    // A malformed tracestate is dropped, the link stays.
    const traceState = guarded(() => createTraceState(state), undefined);
    if (traceState) spanContext.traceState = traceState;
  }
  return spanContext;
}
