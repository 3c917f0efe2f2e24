// The real OpenTelemetry SDK, registered globally for one test file (each file runs in its own process):
// spans go to an in-memory exporter, metrics to a reader that collects on demand.
import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { AggregationTemporality, DataPointType, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";

/** Collects on demand; delta temporality, so each collection holds only what was recorded since the last. */
class OnDemandReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One metric data point, flattened for assertions: a counter's value, or a histogram's count and sum. */
export interface MetricPoint {
  name: string;
  unit: string;
  attributes: Record<string, unknown>;
  value?: number;
  count?: number;
  sum?: number;
}

export interface OtelSdk {
  /** Spans ended since the last `reset()`, in the order they ended. */
  spans(): ReadableSpan[];
  /** Metric points recorded since the last `points()` or `reset()`. */
  points(): Promise<MetricPoint[]>;
  reset(): Promise<void>;
  /** Registers a fresh MeterProvider (as an app registering its SDK late would), returning its reader's points. */
  replaceMeterProvider(): () => Promise<MetricPoint[]>;
}

export function installOtelSdk(): OtelSdk {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  let reader = new OnDemandReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

  const collect = async (from: MetricReader): Promise<MetricPoint[]> => {
    const { resourceMetrics } = await from.collect();
    const points: MetricPoint[] = [];
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        for (const point of metric.dataPoints) {
          const base = {
            name: metric.descriptor.name,
            unit: metric.descriptor.unit,
            attributes: { ...point.attributes },
          };
          if (metric.dataPointType === DataPointType.HISTOGRAM) {
            const value = point.value as { count: number; sum?: number };
            points.push({ ...base, count: value.count, sum: value.sum });
          } else {
            points.push({ ...base, value: point.value as number });
          }
        }
      }
    }
    return points;
  };

  return {
    spans: () => exporter.getFinishedSpans(),
    points: () => collect(reader),
    async reset() {
      exporter.reset();
      await collect(reader);
    },
    replaceMeterProvider() {
      metrics.disable();
      reader = new OnDemandReader();
      metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
      const current = reader;
      return () => collect(current);
    },
  };
}
