/**
 * `gemini-webhooks doctor [--reenable]`: lists the project's webhooks and exits 1, naming each, when Gemini
 * stopped delivering to one (`disabled`, `disabled_due_to_failed_deliveries`). With `--reenable` it switches
 * such an endpoint back on and pings it.
 */
import { parseArgs } from "node:util";
import { checkEndpoints } from "../catch-up/endpoint-health.js";
import { createGeminiClient, redactingApiKey, type GeminiClient } from "./admin/client.js";
import { CommandFailure, describeFailure } from "./admin/gemini-api.js";
import { foreignText } from "./foreign-text.js";
import type { Io } from "./io.js";

export const DOCTOR_HELP = `Usage: gemini-webhooks doctor [--reenable]

Lists your webhooks (id, state, URI, subscribed events) and exits 1 when Gemini delivers nothing to one:
state "disabled" or "disabled_due_to_failed_deliveries" (after 24 hours of failed retries).

Options:
  --reenable   Switch such an endpoint back on (state enabled) and ping it
  -h, --help   Show this help

Environment: GEMINI_API_KEY (or GOOGLE_API_KEY); GOOGLE_GEMINI_BASE_URL (https, or http to this machine only).
Then recover what the endpoint missed: gemini-webhooks catch-up --since 48h --to <receiver URL>.
Exit status: 0 every endpoint enabled, 1 one is disabled or the API failed, 2 bad usage.`;

export async function doctorCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: { reenable: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    io.out(DOCTOR_HELP);
    return 0;
  }
  let client: GeminiClient;
  try {
    client = await createGeminiClient(io.env, "doctor");
  } catch (error) {
    if (error instanceof CommandFailure) return fail(io, error.message);
    throw error;
  }
  const safeIo = redactingApiKey(io, client.apiKey);
  let health;
  try {
    health = await checkEndpoints(client.sdk, { reenable: values.reenable === true });
  } catch (error) {
    return fail(safeIo, describeFailure(error, client.baseUrl, client.apiKeyVariable));
  }
  if (health.endpoints.length === 0) {
    safeIo.out('No webhooks in this project: "gemini-webhooks webhooks create" makes one.');
    return 0;
  }
  for (const endpoint of health.endpoints) {
    const mark = endpoint.reenabled === true ? "re-enabled and pinged" : endpoint.disabled ? "DISABLED" : "ok";
    safeIo.out(
      `${foreignText(endpoint.id, 100)}  ${foreignText(endpoint.state, 60)}  ${mark}  ${foreignText(endpoint.uri, 200)}  ` +
        `[${endpoint.subscribedEvents.map((event) => foreignText(event, 60)).join(", ")}]`,
    );
  }
  for (const endpoint of health.endpoints.filter((each) => each.reenabled === false)) {
    safeIo.err(
      `error: could not re-enable ${foreignText(endpoint.id, 100)}: ` +
        describeFailure(endpoint.reenableFailure, client.baseUrl, client.apiKeyVariable),
    );
  }
  if (health.healthy) {
    if (health.endpoints.some((endpoint) => endpoint.reenabled === true))
      safeIo.out(
        "Gemini did not deliver while it was disabled: run gemini-webhooks catch-up --since <when it failed> --to <receiver URL>.",
      );
    return 0;
  }
  const names = health.disabled.map((endpoint) => foreignText(endpoint.id, 100)).join(", ");
  return fail(
    safeIo,
    `Gemini delivers nothing to ${names}: fix the receiver, then "gemini-webhooks doctor --reenable", then ` +
      '"gemini-webhooks catch-up --since <when it failed> --to <receiver URL>".',
  );
}

function fail(io: Io, message: string): number {
  io.err(`error: ${message}`);
  return 1;
}
