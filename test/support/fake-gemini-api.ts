// A local stand-in for the Gemini WebhookService REST API, speaking the shapes @google/genai sends and
// reads (test/fixtures/gemini-webhook-api.json), with webhooks kept in memory and every request recorded,
// so CLI tests can point the real SDK at it (GOOGLE_GEMINI_BASE_URL) and check what was sent. It also answers
// the two calls that start a job with a dynamic webhook (a batch, a background interaction).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listen, type RunningServer } from "./helpers.js";

interface ApiShapes {
  apiVersion: string;
  exampleWebhook: StoredWebhook;
  errors: Record<
    "invalidKey" | "notFound" | "invalidArgument",
    { error: { code: number; message: string; status: string } }
  >;
}

export const API_SHAPES = JSON.parse(
  readFileSync(new URL("../fixtures/gemini-webhook-api.json", import.meta.url), "utf8"),
) as ApiShapes;

export interface StoredWebhook {
  id: string;
  name?: string;
  uri: string;
  subscribed_events: string[];
  state: string;
  signing_secrets: Array<{ truncated_secret: string; expire_time?: string }>;
  create_time?: string;
  update_time?: string;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query, decoded: `/v1/webhooks/abc:ping`. */
  path: string;
  query: Record<string, string>;
  /** The `x-goog-api-key` header as received. */
  apiKey: string | undefined;
  contentType: string | undefined;
  /** The JSON body, parsed (undefined when there was none). */
  body: unknown;
}

/** A dynamic webhook as the API understood it: where to deliver, and the metadata each delivery carries back. */
export interface JobWebhook {
  uris: string[];
  user_metadata?: Record<string, unknown>;
}

export interface StartedJob {
  kind: "batch" | "interaction";
  /** The batch's name (`batches/...`) or the interaction's id. */
  id: string;
  webhookConfig: JobWebhook | undefined;
}

export interface FakeGeminiApiOptions {
  /** The only key accepted. */
  apiKey: string;
  /** Webhooks per list page (small values exercise paging). Default 50. */
  pageSize?: number;
  /** Misbehave: echo the received key in error messages (to prove the CLI never prints it). */
  echoKeyInErrors?: boolean;
}

export interface FakeGeminiApi {
  /** The base URL to give the SDK (GOOGLE_GEMINI_BASE_URL). */
  url: string;
  requests: RecordedRequest[];
  webhooks: Map<string, StoredWebhook>;
  /** Full secrets by webhook id, newest last (the API only ever shows them truncated, after creation). */
  secrets: Map<string, string[]>;
  pings: string[];
  /** Batches and interactions started, with the dynamic webhook each asked for. */
  startedJobs: StartedJob[];
  add(webhook: Partial<StoredWebhook> & { id: string }): StoredWebhook;
  /** Batches and interactions (see fakeJobsApi below). */
  jobs: FakeJobs;
  close(): Promise<void>;
}

function newSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

function truncated(secret: string): string {
  return `whsec_...${secret.slice(-4)}`;
}

export async function startFakeGeminiApi(options: FakeGeminiApiOptions): Promise<FakeGeminiApi> {
  const { apiKey, pageSize = 50, echoKeyInErrors = false } = options;
  const version = API_SHAPES.apiVersion;
  const requests: RecordedRequest[] = [];
  const webhooks = new Map<string, StoredWebhook>();
  const secrets = new Map<string, string[]>();
  const pings: string[] = [];
  const startedJobs: StartedJob[] = [];
  let created = 0;
  const jobs: FakeJobs = {
    batches: [],
    interactions: new Map(),
    videoOperations: new Map(),
    batchPageSize: 2,
    failBatchPagesFrom: undefined,
  };

  function add(webhook: Partial<StoredWebhook> & { id: string }): StoredWebhook {
    const stored: StoredWebhook = { ...structuredClone(API_SHAPES.exampleWebhook), ...webhook };
    webhooks.set(stored.id, stored);
    return stored;
  }

  /** DELETE /v1/webhooks/{id}: gone from the store, its secrets with it; the API answers an empty object. */
  function deleteWebhook(id: string): Record<string, never> {
    webhooks.delete(id);
    secrets.delete(id);
    return {};
  }

  function body_(recorded: RecordedRequest): Record<string, unknown> {
    return (recorded.body ?? {}) as Record<string, unknown>;
  }

  /**
   * The two job-starting calls a dynamic webhook rides on: a batch (`POST /v1/models/<model>:batchGenerateContent`,
   * the SDK's `batch.webhookConfig`) and an interaction (`POST /v1/interactions`, `webhook_config`, which the guide
   * says requires `background: true`). Each job started is kept with the webhook it asked for; undefined when the
   * path is neither, "invalid" for a body the API would refuse.
   */
  function startJob(recorded: RecordedRequest, body: Record<string, unknown>): object | "invalid" | undefined {
    if (recorded.method !== "POST") return undefined;
    const batchPath = new RegExp(`^/${version}/models/([^/:]+):batchGenerateContent$`).exec(recorded.path);
    if (batchPath) {
      const batch = body.batch as Record<string, unknown> | undefined;
      const config = batch?.webhookConfig ?? batch?.webhook_config;
      if (!validWebhookConfig(config)) return "invalid";
      const name = `batches/fake-${startedJobs.length + 1}`;
      startedJobs.push({ kind: "batch", id: name, webhookConfig: normalized(config) });
      return { name, metadata: { name, state: "BATCH_STATE_PENDING" } };
    }
    if (recorded.path === `/${version}/interactions`) {
      const config = body.webhook_config;
      if (!validWebhookConfig(config)) return "invalid";
      if (config !== undefined && body.background !== true) return "invalid";
      const id = `interaction-fake-${startedJobs.length + 1}`;
      startedJobs.push({ kind: "interaction", id, webhookConfig: normalized(config) });
      return { id, object: "interaction", status: "in_progress" };
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://fake");
    const received = req.headers["x-goog-api-key"];
    const recorded: RecordedRequest = {
      method: req.method ?? "",
      path: decodeURIComponent(url.pathname),
      query: Object.fromEntries(url.searchParams),
      apiKey: typeof received === "string" ? received : undefined,
      contentType: req.headers["content-type"],
      body: text === "" ? undefined : JSON.parse(text),
    };
    requests.push(recorded);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
      res.end(JSON.stringify(body));
    };
    const error = (kind: keyof ApiShapes["errors"], extra = "") => {
      const body = structuredClone(API_SHAPES.errors[kind]);
      if (extra) body.error.message += ` ${extra}`;
      send(body.error.code, body);
    };

    if (recorded.apiKey !== apiKey)
      return error("invalidKey", echoKeyInErrors ? `(received key: ${recorded.apiKey})` : "");
    const job = startJob(recorded, body_(recorded));
    if (job === "invalid") return error("invalidArgument");
    if (job) return send(200, job);
    if (answerJobRequest(jobs, recorded, send, () => error("notFound"))) return;
    const prefix = `/${version}/webhooks`;
    if (!recorded.path.startsWith(prefix)) return error("notFound", echoKeyInErrors ? `(key ${recorded.apiKey})` : "");
    const rest = recorded.path.slice(prefix.length);
    const body = (recorded.body ?? {}) as Record<string, unknown>;

    if (rest === "" && recorded.method === "POST") {
      const events = body.subscribed_events;
      if (
        typeof body.uri !== "string" ||
        !Array.isArray(events) ||
        events.length === 0 ||
        !events.every((e) => typeof e === "string")
      ) {
        return error("invalidArgument");
      }
      const id = `wh-${++created}-${randomBytes(3).toString("hex")}`;
      const secret = newSecret();
      secrets.set(id, [secret]);
      const now = new Date().toISOString();
      const webhook: StoredWebhook = {
        id,
        ...(typeof body.name === "string" && { name: body.name }),
        uri: body.uri,
        subscribed_events: events as string[],
        state: "enabled",
        signing_secrets: [{ truncated_secret: truncated(secret) }],
        create_time: now,
        update_time: now,
      };
      webhooks.set(id, webhook);
      return send(200, { ...webhook, new_signing_secret: secret });
    }
    if (rest === "" && recorded.method === "GET") {
      const all = [...webhooks.values()];
      const start = recorded.query.page_token ? Number(recorded.query.page_token) : 0;
      const size = Math.min(pageSize, recorded.query.page_size ? Number(recorded.query.page_size) : pageSize);
      const page = all.slice(start, start + size);
      const next = start + size < all.length ? { next_page_token: String(start + size) } : {};
      return send(200, { webhooks: page, ...next });
    }
    const match = /^\/([^/:]+)(?::(ping|rotateSigningSecret))?$/.exec(rest);
    const webhook = match ? webhooks.get(match[1]!) : undefined;
    if (!match || !webhook) return error("notFound");
    const [, id, verb] = match as unknown as [string, string, string | undefined];
    if (verb === undefined && recorded.method === "GET") return send(200, webhook);
    if (verb === undefined && recorded.method === "DELETE") return send(200, deleteWebhook(id));
    if (verb === undefined && recorded.method === "PATCH") {
      const mask = recorded.query.update_mask?.split(",") ?? Object.keys(body);
      for (const field of mask) {
        if (field === "state") {
          if (typeof body.state !== "string" || !["enabled", "disabled"].includes(body.state))
            return error("invalidArgument");
          webhook.state = body.state;
        } else if (field === "uri" || field === "name") webhook[field] = String(body[field]);
        else if (field === "subscribed_events") webhook.subscribed_events = body.subscribed_events as string[];
        else return error("invalidArgument");
      }
      webhook.update_time = new Date().toISOString();
      return send(200, webhook);
    }
    if (verb === "ping" && recorded.method === "POST") {
      pings.push(id);
      return send(200, {});
    }
    if (verb === "rotateSigningSecret" && recorded.method === "POST") {
      const behavior = body.revocation_behavior ?? "revoke_previous_secrets_after_h24";
      if (behavior !== "revoke_previous_secrets_after_h24" && behavior !== "revoke_previous_secrets_immediately")
        return error("invalidArgument");
      const secret = newSecret();
      const expires = new Date(Date.now() + 24 * 3600 * 1000).toISOString();
      const previous =
        behavior === "revoke_previous_secrets_immediately"
          ? []
          : webhook.signing_secrets.map((s) => ({ ...s, expire_time: s.expire_time ?? expires }));
      webhook.signing_secrets = [{ truncated_secret: truncated(secret) }, ...previous];
      secrets.set(
        id,
        behavior === "revoke_previous_secrets_immediately" ? [secret] : [...(secrets.get(id) ?? []), secret],
      );
      return send(200, { secret });
    }
    return error("notFound");
  }

  function validWebhookConfig(config: unknown): boolean {
    if (config === undefined) return true;
    if (typeof config !== "object" || config === null) return false;
    const { uris } = config as { uris?: unknown };
    return uris === undefined || (Array.isArray(uris) && uris.every((uri) => typeof uri === "string"));
  }

  /** The API's JSON accepts a field in camelCase or snake_case; the user's own metadata keys are kept as sent. */
  function normalized(config: unknown): JobWebhook | undefined {
    if (config === undefined) return undefined;
    const fields = config as { uris?: string[]; userMetadata?: unknown; user_metadata?: unknown };
    const metadata = fields.user_metadata ?? fields.userMetadata;
    return {
      uris: fields.uris ?? [],
      ...(metadata !== undefined && { user_metadata: metadata as Record<string, unknown> }),
    };
  }

  const server: RunningServer = await listen((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  return { url: server.url, requests, webhooks, secrets, pings, add, jobs, startedJobs, close: () => server.close() };
}

// ---- Batches, interactions and video operations (catch-up): kept apart from the webhook API above. ----

/** A batch as the REST API returns it (the SDK maps `metadata.*` to its BatchJob and BATCH_STATE_* to JOB_STATE_*). */
export interface StoredBatch {
  name: string;
  metadata: {
    state: string;
    createTime?: string;
    updateTime?: string;
    endTime?: string;
    displayName?: string;
    output?: { responsesFile?: string };
  };
}

/** A video operation as the REST API returns it (the SDK maps `response.generateVideoResponse` to `response`). */
export interface StoredVideoOperation {
  name: string;
  done?: boolean;
  error?: { code: number; message: string };
  response?: {
    "@type"?: string;
    generateVideoResponse: {
      generatedSamples?: Array<{ video: { uri: string } }>;
      raiMediaFilteredCount?: number;
      raiMediaFilteredReasons?: string[];
    };
  };
}

/** A video operation in each final state the REST API can report: running, done with a video, failed, filtered. */
export function videoOperation(
  name: string,
  state: "running" | "done" | "failed" | "filtered",
  fileId = "video-file-1",
): StoredVideoOperation {
  if (state === "running") return { name };
  if (state === "failed") return { name, done: true, error: { code: 3, message: "The prompt was refused." } };
  const type = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse";
  if (state === "filtered")
    return {
      name,
      done: true,
      response: { "@type": type, generateVideoResponse: { raiMediaFilteredCount: 1, raiMediaFilteredReasons: ["x"] } },
    };
  const uri = `https://generativelanguage.googleapis.com/v1beta/files/${fileId}:download?alt=media`;
  return {
    name,
    done: true,
    response: { "@type": type, generateVideoResponse: { generatedSamples: [{ video: { uri } }] } },
  };
}

export interface FakeJobs {
  batches: StoredBatch[];
  /** Interactions by id (without `interactions/`), as `GET /{version}/interactions/{id}` returns them. */
  interactions: Map<string, { id: string; status: string; updated?: string }>;
  /**
   * Video generation operations by full name (`models/<model>/operations/<id>`), as `GET /{version}/<name>` returns
   * them to `operations.getVideosOperation` (see videoOperation below).
   */
  videoOperations: Map<string, StoredVideoOperation>;
  /** Batches per page (small, so paging is exercised). */
  batchPageSize: number;
  /** Misbehave: answer 503 for every page from this index on (0 = the first page). */
  failBatchPagesFrom: number | undefined;
}

/**
 * Answers `GET /{version}/batches`, `GET /{version}/interactions/{id}` and `GET /{version}/models/{model}/operations/{id}`;
 * false for anything else.
 */
function answerJobRequest(
  jobs: FakeJobs,
  recorded: RecordedRequest,
  send: (status: number, body: unknown) => void,
  notFound: () => void,
): boolean {
  if (recorded.method !== "GET") return false;
  if (/^\/[^/]+\/batches$/.test(recorded.path)) {
    const start = recorded.query.pageToken ? Number(recorded.query.pageToken) : 0;
    const size = Math.min(jobs.batchPageSize, Number(recorded.query.pageSize ?? jobs.batchPageSize));
    if (jobs.failBatchPagesFrom !== undefined && start / size >= jobs.failBatchPagesFrom) {
      send(503, { error: { code: 503, message: "The service is currently unavailable.", status: "UNAVAILABLE" } });
      return true;
    }
    const page = jobs.batches.slice(start, start + size);
    const next = start + size < jobs.batches.length ? { nextPageToken: String(start + size) } : {};
    send(200, { operations: page, ...next });
    return true;
  }
  const operation = /^\/[^/]+\/(models\/[^/:]+\/operations\/[^/:]+)$/.exec(recorded.path);
  if (operation) {
    const found = jobs.videoOperations.get(operation[1]!);
    if (found) send(200, found);
    else notFound();
    return true;
  }
  const interaction = /^\/[^/]+\/interactions\/([^/:]+)$/.exec(recorded.path);
  if (interaction) {
    const found = jobs.interactions.get(interaction[1]!);
    if (found) send(200, found);
    else notFound();
    return true;
  }
  return false;
}
