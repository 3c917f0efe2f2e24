/**
 * BullMQ job ids from `webhook-id`s. BullMQ refuses ids that contain `:` (its key separator) or that
 * read as integers (its own auto-generated ids), and `0`. A `webhook-id` may be any of these, so it is
 * encoded, never rejected: a fixed prefix (never an integer), `%` and `:` percent-encoded (injective,
 * and the id stays readable in Bull Board).
 */
const PREFIX = "wh-";

export function jobIdFor(webhookId: string): string {
  return PREFIX + webhookId.replace(/[%:]/g, (char) => (char === "%" ? "%25" : "%3A"));
}

/** The `webhook-id` a job id was made from, or undefined for a job this package did not add. */
export function webhookIdOf(jobId: string | undefined): string | undefined {
  if (jobId === undefined || !jobId.startsWith(PREFIX)) return undefined;
  return jobId.slice(PREFIX.length).replace(/%3A|%25/g, (code) => (code === "%25" ? "%" : ":"));
}
