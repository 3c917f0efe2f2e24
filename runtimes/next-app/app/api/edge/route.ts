import { webhooks } from "../../../lib/webhooks";

export const POST = webhooks.fetch;
export const runtime = "edge";
export const dynamic = "force-dynamic";
