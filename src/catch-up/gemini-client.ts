/**
 * The parts of `@google/genai`'s client that catch-up and the endpoint check read, as structural types: the
 * package never imports the SDK here, so `@google/genai` stays an optional peer (pass `new GoogleGenAI(...)`).
 */

/** A batch job as `client.batches.list()` yields it. */
export interface BatchJobLike {
  name?: string;
  displayName?: string;
  /** `JOB_STATE_SUCCEEDED`, `JOB_STATE_FAILED`, `JOB_STATE_CANCELLED`, `JOB_STATE_EXPIRED`, or a running state. */
  state?: string;
  createTime?: string;
  updateTime?: string;
  endTime?: string;
  dest?: { fileName?: string; gcsUri?: string; bigqueryUri?: string };
  error?: { code?: number | string; message?: string };
}

/** One page of `client.batches.list()` (the SDK's Pager). */
export interface BatchPagerLike {
  readonly page: BatchJobLike[];
  hasNextPage(): boolean;
  nextPage(): Promise<BatchJobLike[]>;
}

/** An interaction as `client.interactions.get(id)` returns it. */
export interface InteractionLike {
  id?: string;
  /** `completed`, `failed`, `cancelled`, `requires_action`, `incomplete`, `budget_exceeded`, `requires_continuation`, ... */
  status?: string;
  updated?: string;
}

/** A video generation operation as `client.operations.getVideosOperation()` returns it (the SDK's mapping). */
export interface VideoOperationLike {
  name?: string;
  done?: boolean;
  /** The operation failed: `{ code, message }` as the API's google.rpc.Status. */
  error?: { code?: unknown; message?: unknown };
  response?: {
    generatedVideos?: Array<{ video?: { uri?: string; mimeType?: string } }>;
    raiMediaFilteredCount?: number;
    raiMediaFilteredReasons?: string[];
  };
}

/** A webhook as `client.webhooks.list()` returns it. */
export interface WebhookLike {
  id?: string;
  name?: string;
  uri?: string;
  subscribed_events?: string[];
  state?: string;
}

export interface GeminiClientLike {
  batches: { list(params?: { config?: { pageSize?: number; pageToken?: string } }): Promise<BatchPagerLike> };
  interactions: { get(id: string): Promise<InteractionLike> };
  /**
   * Looked up for tracked video operations only. Its `operation` must be the SDK's own `GenerateVideosOperation`
   * (the SDK builds its answer through it): catch-up makes one with `@google/genai` when a video is tracked.
   */
  operations?: { getVideosOperation(params: { operation: VideoOperationLike }): Promise<VideoOperationLike> };
  webhooks: {
    list(params?: { page_size?: number; page_token?: string }): Promise<{
      webhooks?: WebhookLike[];
      next_page_token?: string;
    }>;
    update(id: string, params: { state?: "enabled"; update_mask?: string }): Promise<WebhookLike>;
    ping(id: string): Promise<unknown>;
  };
}
