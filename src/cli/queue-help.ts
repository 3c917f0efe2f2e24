/** `gemini-webhooks queue --help`: the queue command's help, printed by queue.ts. */
export const QUEUE_HELP = `Usage: gemini-webhooks queue failed [options]
       gemini-webhooks queue retry <webhook-id>... | --all [options]

Inspects the queue of bullmqQueue() (gemini-webhooks-express/bullmq, on Redis) or of pgBossQueue()
(gemini-webhooks-express/pg-boss, on PostgreSQL): "failed" lists the deliveries whose attempts are
exhausted, with their last error; "retry" moves them back to the queue (BullMQ: with all their attempts
again; pg-boss: one more attempt). Needs bullmq and ioredis, or pg-boss.

Options:
      --redis <url>     Redis URL of a BullMQ queue (default: $REDIS_URL)
      --postgres <url>  PostgreSQL URL of a pg-boss queue (implies --engine pg-boss)
      --engine <e>      bullmq (default) or pg-boss (its URL from --postgres, or $DATABASE_URL)
      --name <name>     Queue name given to bullmqQueue() or pgBossQueue() (default gemini-webhooks)
      --prefix <p>      BullMQ key prefix given to bullmqQueue() (default bull)
      --limit <n>       failed: how many to list (default 100)
      --all             retry: every failed delivery
      --json            failed: print JSON
  -h, --help            Show this help

Exit status: 0 on success, 1 when a delivery to retry was not found or had not failed, 2 for a usage error.

Examples:
  gemini-webhooks queue failed --redis redis://127.0.0.1:6379
  gemini-webhooks queue retry msg_2abc3def --redis redis://127.0.0.1:6379
  gemini-webhooks queue failed --postgres postgres://app@127.0.0.1:5432/app`;
