import { webhooks } from "../../../lib/webhooks";

export const POST = webhooks.fetch;
export const runtime = "nodejs";
export const dynamic = "force-dynamic";
