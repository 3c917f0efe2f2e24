/**
 * Runs one telemetry call, or gives `fallback` when it throws. A failing tracer, exporter or span processor is
 * the app's concern: it must never change a delivery's answer, so every call into OpenTelemetry goes through here.
 */
export function guarded<T>(call: () => T, fallback: T): T {
  try {
    return call();
  } catch {
    return fallback;
  }
}
