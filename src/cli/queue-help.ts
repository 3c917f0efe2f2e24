/** `gemini-webhooks queue --help`: the queue command's help, printed by queue.ts. */
export const QUEUE_HELP = `Usage: gemini-webhooks queue failed [options]
       gemini-webhooks queue retry <webhook-id>... | --all [options]

Inspects the BullMQ queue of bullmqQueue() (gemini-webhooks-express/bullmq): "failed" lists the
deliveries whose attempts are exhausted, with their last error; "retry" moves them back to the queue,
with all their attempts again. Needs the bullmq and ioredis packages.

Options:
      --redis <url>     Redis URL (default: $REDIS_URL)
      --name <name>     Queue name given to bullmqQueue() (default gemini-webhooks)
      --prefix <p>      BullMQ key prefix given to bullmqQueue() (default bull)
      --limit <n>       failed: how many to list (default 100)
      --all             retry: every failed delivery
      --json            failed: print JSON
  -h, --help            Show this help

Exit status: 0 on success, 1 when a delivery to retry was not found or had not failed, 2 for a usage error.

Examples:
  gemini-webhooks queue failed --redis redis://127.0.0.1:6379
  gemini-webhooks queue retry msg_2abc3def --redis redis://127.0.0.1:6379`;
